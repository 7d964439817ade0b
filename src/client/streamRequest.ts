import type { ErrorKind, HttpRequestSpec, OutputKind, ProtocolAdapter, StreamEvent } from "../types.js";
import type { Dispatcher } from "undici";
import type { Target } from "./targets.js";

/** One content event as the socket delivered it (see StreamEvent "content"). */
export interface RawChunk {
  /** Arrival, ms on the run's monotonic clock. */
  t: number;
  /** Generated text (content, reasoning or tool-call text) this chunk carried; may be empty. */
  text: string;
  /** Exact count of tokens in this chunk, when the server says so (token ids, one per event). */
  tokens?: number;
  /** The server's running total of generated tokens as of this chunk (e.g. usage on a content chunk). */
  cumulative?: number;
  /** Absent: answer text. */
  kind?: OutputKind;
}

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

class Timeout extends Error {}
class Interrupted extends Error {}
const MAX_ERROR_BODY = 4096;
export const NO_TOKEN = "stream ended without any generated token";

/**
 * Sends one streaming request and timestamps every body chunk as the socket delivers it. It uses
 * undici's dispatch handler directly: chunks arrive synchronously from the socket, with no
 * Readable stream or promise per chunk, which both makes timestamps earlier (truer) and keeps
 * the client's cost per token event low. Never rejects: every failure becomes a classified
 * result, so a faulty server cannot stop the run.
 */
export function streamRequest(target: Target, adapter: ProtocolAdapter, spec: HttpRequestSpec, opts: StreamOptions): Promise<RawResult> {
  return new Promise<RawResult>((resolve) => {
    const res: RawResult = { sentAt: opts.now(), endAt: 0, ok: false, chunks: [], sawDone: false };
    const parser = adapter.createParser();
    const decoder = new TextDecoder("utf-8");
    let controller: Dispatcher.DispatchController | undefined;
    let pendingAbort: Error | undefined;
    let gotHeaders = false;
    let errorBody = "";
    let settled = false;

    const handle = (events: StreamEvent[], t: number) => {
      for (const ev of events) {
        switch (ev.type) {
          case "content":
            res.chunks.push(ev.kind && ev.kind !== "answer" ? { t, text: ev.text, tokens: ev.tokens, cumulative: ev.cumulative, kind: ev.kind } : { t, text: ev.text, tokens: ev.tokens, cumulative: ev.cumulative });
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
    const abort = (reason: Error) => {
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    };
    const timer = setTimeout(() => abort(new Timeout()), opts.timeoutMs);
    const onRunAbort = () => abort(new Interrupted());
    opts.signal?.addEventListener("abort", onRunAbort, { once: true });
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onRunAbort);
      target.inFlight--;
      res.endAt = opts.now();
      resolve(res);
    };

    target.inFlight++;
    res.sentAt = opts.now();
    if (opts.signal?.aborted) onRunAbort();
    target.pool.dispatch(
      { origin: target.url, path: spec.path, method: spec.method, headers: spec.headers, body: spec.body },
      {
        onRequestStart(c) {
          controller = c;
          if (pendingAbort) c.abort(pendingAbort);
        },
        onResponseStart(_c, statusCode, headers) {
          gotHeaders = true;
          res.httpStatus = statusCode;
          if (adapter.parseHeaders) {
            const h = adapter.parseHeaders(headers);
            if (Object.keys(h).length) res.timings = { ...h };
          }
        },
        onResponseData(_c, chunk) {
          const t = opts.now();
          if (res.httpStatus! < 200 || res.httpStatus! >= 300) {
            if (errorBody.length < MAX_ERROR_BODY) errorBody += chunk.toString("utf8");
            return;
          }
          handle(parser.feed(decoder.decode(chunk, { stream: true })), t);
        },
        onResponseEnd() {
          if (res.httpStatus! < 200 || res.httpStatus! >= 300) {
            fail(res, "http", `HTTP ${res.httpStatus}${errorBody ? ": " + oneLine(errorBody) : ""}`);
          } else {
            const t = opts.now();
            handle(parser.feed(decoder.decode()), t);
            handle(parser.end(), t);
            if (!res.errorKind) {
              // Whether a chunk really carried a token is settled by attribution (src/measure/record.ts).
              if (res.chunks.length === 0) fail(res, "protocol", NO_TOKEN);
              else res.ok = true;
            }
          }
          finish();
        },
        onResponseError(_c, e) {
          if (e instanceof Timeout) fail(res, "timeout", `no completion within ${opts.timeoutMs} ms`);
          else if (e instanceof Interrupted) fail(res, "aborted", "run interrupted");
          else fail(res, classify(e, gotHeaders), describe(e));
          finish();
        },
      },
    );
  });
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

