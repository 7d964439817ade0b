import { subscribe } from "node:diagnostics_channel";
import { Client } from "undici";
import type { HttpRequestSpec, OutputKind, ProtocolAdapter, StreamEvent } from "../protocols/types.js";
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

/** How a request failed, as the client classifies it (docs/metrics.md, errors). */
export type ErrorKind =
  | "connect" // could not connect / connection refused
  | "http" // non-2xx status
  | "timeout" // per-request timeout (stall)
  | "protocol" // malformed stream, server-reported error event
  | "disconnect" // connection closed mid-stream before an end marker or full output
  | "aborted"; // run interrupted

export interface RawResult {
  sentAt: number;
  endAt: number;
  ok: boolean;
  httpStatus?: number;
  errorKind?: ErrorKind;
  error?: string;
  chunks: RawChunk[];
  usage?: { promptTokens?: number; completionTokens?: number; cachedPromptTokens?: number; source: string };
  timings?: Record<string, number>;
  /** Whether the stream carried an explicit end marker. */
  sawDone: boolean;
  /** Why generation stopped, as the server said it (finish_reason, stop_type, done_reason). */
  finishReason?: string;
  /**
   * Set when the first attempt failed on a reused keep-alive connection before any response
   * byte (the server had closed it) and the request was sent again on a fresh connection:
   * the first attempt's error.
   */
  retriedAfter?: string;
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
const STREAM = { stream: true };
export const NO_TOKEN = "stream ended without any generated token";

// Which requests went out on a reused keep-alive connection. undici does not say, but it
// publishes every request's headers with the socket they are written to (diagnostics channel
// "undici:client:sendHeaders"), synchronously right after the request's onRequestStart: the
// attempt that set `writing` in onRequestStart is the one being written. Sockets are counted
// in a WeakMap, so closed ones are forgotten.
interface Attempt {
  reused: boolean;
}
let writing: Attempt | undefined;
const socketUses = new WeakMap<object, number>();
let subscribed = false;
function watchSockets(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe("undici:client:sendHeaders", (msg) => {
    const socket = (msg as { socket?: object }).socket;
    if (!socket) return;
    const uses = socketUses.get(socket) ?? 0;
    socketUses.set(socket, uses + 1);
    if (writing) {
      writing.reused = uses > 0;
      writing = undefined;
    }
  });
}

// One timestamp per socket read. A read can carry several body chunks (SSE events written
// back to back, or waiting in the socket while the client was busy); each chunk's callback runs
// synchronously within the read's callback, and Node drains microtasks only after it. The first
// chunk of a read takes the time and a microtask forgets it, so every chunk of one read gets the
// read's arrival time: their ITL is 0, not the microseconds the client spent on the chunks before
// them, and "read together" is exact equality (the client self-check's same_read_pct).
let readAt: number | undefined;
let readClock: (() => number) | undefined;
const forgetRead = () => {
  readAt = undefined;
};
function readTime(now: () => number): number {
  if (readAt === undefined || readClock !== now) {
    readAt = now();
    readClock = now;
    queueMicrotask(forgetRead);
  }
  return readAt;
}

/** Errors of a connection the server had closed (keep-alive race): the request may never have reached it. */
const CLOSED_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "ECONNCLOSED"]);

// Requests in flight per run signal. One "abort" listener per signal, not one per request:
// EventTarget's removeEventListener scans its listener list, so 10,000 streams each adding and
// removing their own listener cost O(n^2) on the hot path; a Set's delete is O(1).
const inFlightBySignal = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts later (as addEventListener would: not if it already has); returns the un-register. */
function onAbortOf(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) return () => undefined;
  let set = inFlightBySignal.get(signal);
  if (!set) {
    const fresh = new Set<() => void>();
    set = fresh;
    inFlightBySignal.set(signal, fresh);
    signal.addEventListener("abort", () => { for (const f of [...fresh]) f(); fresh.clear(); }, { once: true });
  }
  set.add(fn);
  const own = set;
  return () => void own.delete(fn);
}

/**
 * Sends one streaming request and timestamps every body chunk as the socket delivers it, over
 * tokenbench's own HTTP/1.1 client for http: targets (src/client/h1.ts: every socket read lands
 * in one callback) or undici's dispatch handler for https and `--http-client undici`: either way
 * chunks arrive synchronously from the socket, with no Readable stream or promise per chunk,
 * which both makes timestamps earlier (truer) and keeps the client's cost per token event low.
 * Never rejects: every failure becomes a classified result, so a faulty server cannot stop the run.
 *
 * A request that fails on a reused keep-alive connection before any response byte arrived
 * (the server closed the idle connection as the request went out: ECONNCLOSED, "other side
 * closed", ECONNRESET) is sent once more on a fresh connection, as curl and browsers do, and
 * marked with `retriedAfter`. The timeout and `sentAt` stay those of the first attempt, so the
 * retry's cost shows in the request's latencies.
 *
 * `sentAt` is when the first attempt's request is written to the socket, not when it was handed
 * to the client: tokenbench's client writes within the dispatch on a kept-alive connection;
 * undici defers the write on a reused connection to setImmediate (its idle-socket check,
 * undici 7.x), which under load is milliseconds of the client's own time (docs/metrics.md,
 * client_wait).
 */
export function streamRequest(target: Target, adapter: ProtocolAdapter, spec: HttpRequestSpec, opts: StreamOptions): Promise<RawResult> {
  watchSockets();
  return new Promise<RawResult>((resolve) => {
    const res: RawResult = { sentAt: opts.now(), endAt: 0, ok: false, chunks: [], sawDone: false };
    let controller: { abort(reason: Error): void } | undefined;
    let pendingAbort: Error | undefined;
    let settled = false;
    let fresh: Client | undefined;

    const abort = (reason: Error) => {
      if (controller) controller.abort(reason);
      else pendingAbort = reason;
    };
    const timer = setTimeout(() => abort(new Timeout()), opts.timeoutMs);
    const onRunAbort = () => abort(new Interrupted());
    const unwatch = opts.signal ? onAbortOf(opts.signal, onRunAbort) : undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      target.inFlight--;
      res.endAt = opts.now();
      if (fresh) void fresh.destroy().catch(() => undefined);
      resolve(res);
    };

    const send = (mayRetry: boolean) => {
      const parser = adapter.createParser();
      const decoder = new TextDecoder("utf-8");
      const attempt: Attempt = { reused: false };
      let gotHeaders = false;
      let errorBody = "";
      const handle = (events: StreamEvent[], t: number) => {
        for (const ev of events) {
          switch (ev.type) {
            case "content":
              res.chunks.push(ev.kind && ev.kind !== "answer" ? { t, text: ev.text, tokens: ev.tokens, cumulative: ev.cumulative, kind: ev.kind } : { t, text: ev.text, tokens: ev.tokens, cumulative: ev.cumulative });
              break;
            case "usage":
              // In place: with continuous usage every event carries one (a copy each was garbage per token).
              res.usage = mergeUsage(res.usage, ev);
              break;
            case "timings":
              res.timings = { ...res.timings, ...ev.values };
              break;
            case "error":
              if (!res.errorKind) fail(res, "protocol", ev.message);
              break;
            case "done":
              res.sawDone = true;
              if (ev.finishReason) res.finishReason = ev.finishReason;
              break;
            case "finish":
              res.finishReason = ev.reason;
              break;
          }
        }
      };
      controller = undefined;
      const onRequestStart = (c: { abort(reason: Error): void }) => {
        controller = c;
        // Called synchronously just before the request is written to the socket, after any wait of
        // the HTTP client's own (a connection to open; for undici, the idle keep-alive check that
        // defers a reused socket's next write to setImmediate): the send time. A retry keeps the
        // first attempt's, so the retry's cost stays in the latencies.
        if (mayRetry) res.sentAt = opts.now();
        if (pendingAbort) c.abort(pendingAbort);
      };
      const onResponseStart = (statusCode: number, headers: Record<string, string | string[] | undefined>) => {
        gotHeaders = true;
        res.httpStatus = statusCode;
        if (adapter.parseHeaders) {
          const h = adapter.parseHeaders(headers);
          if (Object.keys(h).length) res.timings = { ...h };
        }
      };
      const onResponseData = (chunk: Buffer) => {
        const t = readTime(opts.now);
        if (res.httpStatus! < 200 || res.httpStatus! >= 300) {
          if (errorBody.length < MAX_ERROR_BODY) errorBody += chunk.toString("utf8");
          return;
        }
        handle(parser.feed(decoder.decode(chunk, STREAM)), t);
      };
      const onResponseEnd = () => {
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
      };
      const onResponseError = (e: Error) => {
        if (mayRetry && attempt.reused && !gotHeaders && !settled && CLOSED_CODES.has(errorCode(e) ?? "")) {
          res.retriedAfter = describe(e);
          // A connection of its own: the pool could hand out another idle socket the server
          // is about to close.
          send(false);
          return;
        }
        if (e instanceof Timeout) fail(res, "timeout", `no completion within ${opts.timeoutMs} ms`);
        else if (e instanceof Interrupted) fail(res, "aborted", "run interrupted");
        else fail(res, classify(e, gotHeaders), describe(e));
        finish();
      };
      const req = { path: target.prefix + spec.path, method: spec.method, headers: spec.headers, body: spec.body };
      if (target.h1) {
        target.h1.dispatch(req, {
          onRequestStart(c, reused) {
            attempt.reused = reused;
            onRequestStart(c);
          },
          onResponseStart,
          onResponseData,
          onResponseEnd,
          onResponseError,
        }, !mayRetry);
        return;
      }
      if (!mayRetry) fresh = new Client(target.origin, target.connectionOptions);
      (fresh ?? target.pool).dispatch(
        { origin: target.origin, ...req },
        {
          onRequestStart(c) {
            // Read by the sendHeaders subscriber within this same synchronous write; cleared
            // after it in case the write does not happen (aborted before sending).
            writing = attempt;
            queueMicrotask(() => {
              if (writing === attempt) writing = undefined;
            });
            onRequestStart(c);
          },
          onResponseStart: (_c, statusCode, headers) => onResponseStart(statusCode, headers),
          onResponseData: (_c, chunk) => onResponseData(chunk),
          onResponseEnd: () => onResponseEnd(),
          onResponseError: (_c, e) => onResponseError(e),
        },
      );
    };

    target.inFlight++;
    // Until the write (onRequestStart), and for good when it never happens (no connection).
    res.sentAt = opts.now();
    if (opts.signal?.aborted) onRunAbort();
    send(true);
  });
}

function fail(res: RawResult, kind: ErrorKind, message: string): void {
  res.ok = false;
  res.errorKind = kind;
  res.error = message;
}

/** `usage` with the fields `ev` defines overwritten (the last report wins, a missing field keeps the earlier one). */
function mergeUsage(usage: RawResult["usage"], ev: { promptTokens?: number; completionTokens?: number; cachedPromptTokens?: number; source: NonNullable<RawResult["usage"]>["source"] }): NonNullable<RawResult["usage"]> {
  const u = usage ?? { source: ev.source };
  if (ev.promptTokens !== undefined) u.promptTokens = ev.promptTokens;
  if (ev.completionTokens !== undefined) u.completionTokens = ev.completionTokens;
  if (ev.cachedPromptTokens !== undefined) u.cachedPromptTokens = ev.cachedPromptTokens;
  u.source = ev.source;
  return u;
}

const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT", "ECONNTIMEOUT", "EADDRNOTAVAIL"]);

function classify(e: unknown, gotHeaders: boolean): ErrorKind {
  const code = errorCode(e);
  if (code && CONNECT_CODES.has(code)) return "connect";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") return "timeout";
  if (code === "EHTTPPARSE") return "protocol";
  return gotHeaders ? "disconnect" : code === "UND_ERR_SOCKET" || code === "ECONNRESET" || code === "ECONNCLOSED" ? "disconnect" : "connect";
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

