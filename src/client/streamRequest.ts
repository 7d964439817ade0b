import type { ErrorKind, HttpRequestSpec, ProtocolAdapter, StreamEvent } from "../types.js";
import type { Target } from "./targets.js";
import type { RawChunk } from "./tokenCounts.js";

export interface RawResult {
  sentAt: number;
  endAt: number;
  ok: boolean;
  httpStatus?: number;
  errorKind?: ErrorKind;
  error?: string;
  chunks: RawChunk[];
  usage?: { promptTokens?: number; completionTokens?: number; source: string };
  timings?: Record<string, number>;
  /** Whether the stream carried an explicit end marker. */
  sawDone: boolean;
}

export interface StreamOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Monotonic clock relative to the run start. */
  now: () => number;
}

const TIMEOUT = Symbol("timeout");

/**
 * Sends one streaming request and timestamps every body chunk as it arrives. Never throws:
 * every failure becomes a classified result, so a faulty server cannot stop the run.
 */
export async function streamRequest(target: Target, adapter: ProtocolAdapter, spec: HttpRequestSpec, opts: StreamOptions): Promise<RawResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(TIMEOUT), opts.timeoutMs);
  const onRunAbort = () => controller.abort(opts.signal?.reason ?? "aborted");
  opts.signal?.addEventListener("abort", onRunAbort, { once: true });
  if (opts.signal?.aborted) onRunAbort();

  const res: RawResult = { sentAt: opts.now(), endAt: 0, ok: false, chunks: [], sawDone: false };
  const parser = adapter.createParser();
  const decoder = new TextDecoder("utf-8");
  let gotHeaders = false;
  const handle = (events: StreamEvent[], t: number) => {
    for (const ev of events) {
      switch (ev.type) {
        case "content":
          res.chunks.push({ t, text: ev.text, tokens: ev.tokens });
          break;
        case "usage":
          res.usage = { ...res.usage, ...definedOnly(ev), source: ev.source };
          break;
        case "timings":
          res.timings = { ...res.timings, ...ev.values };
          break;
        case "error":
          if (!res.errorKind) fail(res, "protocol", ev.message);
          break;
        case "done":
          res.sawDone = true;
          break;
      }
    }
  };

  target.inFlight++;
  try {
    res.sentAt = opts.now();
    const response = await target.pool.request({
      path: spec.path,
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      signal: controller.signal,
    });
    gotHeaders = true;
    res.httpStatus = response.statusCode;
    if (adapter.parseHeaders) {
      const h = adapter.parseHeaders(response.headers);
      if (Object.keys(h).length) res.timings = { ...h };
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const body = await response.body.text().catch(() => "");
      fail(res, "http", `HTTP ${response.statusCode}${body ? ": " + oneLine(body) : ""}`);
    } else {
      for await (const buf of response.body) {
        const t = opts.now();
        handle(parser.feed(decoder.decode(buf as Buffer, { stream: true })), t);
      }
      const t = opts.now();
      handle(parser.feed(decoder.decode()), t);
      handle(parser.end(), t);
      if (!res.errorKind) {
        if (res.chunks.length === 0) fail(res, "protocol", "stream ended without any generated token");
        else res.ok = true;
      }
    }
  } catch (e) {
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    if (reason === TIMEOUT) fail(res, "timeout", `no completion within ${opts.timeoutMs} ms`);
    else if (controller.signal.aborted) fail(res, "aborted", "run interrupted");
    else fail(res, classify(e, gotHeaders), describe(e));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener("abort", onRunAbort);
    target.inFlight--;
    res.endAt = opts.now();
  }
  return res;
}

function fail(res: RawResult, kind: ErrorKind, message: string): void {
  res.ok = false;
  res.errorKind = kind;
  res.error = message;
}

function definedOnly(ev: { promptTokens?: number; completionTokens?: number }) {
  const out: { promptTokens?: number; completionTokens?: number } = {};
  if (ev.promptTokens !== undefined) out.promptTokens = ev.promptTokens;
  if (ev.completionTokens !== undefined) out.completionTokens = ev.completionTokens;
  return out;
}

const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "EADDRNOTAVAIL"]);

function classify(e: unknown, gotHeaders: boolean): ErrorKind {
  const code = errorCode(e);
  if (code && CONNECT_CODES.has(code)) return "connect";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timeout";
  return gotHeaders ? "disconnect" : code === "UND_ERR_SOCKET" || code === "ECONNRESET" ? "disconnect" : "connect";
}

function errorCode(e: unknown): string | undefined {
  let cur = e as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; cur && i < 4; i++) {
    if (cur.code) return cur.code;
    cur = cur.cause as typeof cur;
  }
  return undefined;
}

function describe(e: unknown): string {
  const err = e as { message?: string; code?: string };
  const code = errorCode(e);
  return oneLine(`${code ? code + ": " : ""}${err?.message ?? String(e)}`);
}

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? flat.slice(0, 300) + "…" : flat;
}

