import http from "node:http";
import type { AddressInfo } from "node:net";
import type { TimedFrame } from "./streamShapes.js";

// A scripted OpenAI-compatible streaming server with an exact timing schedule, for checking
// that the client reports what the server really did. Real HTTP, real sockets; only the
// "model" is a timetable.

export type Fault =
  | { kind: "status"; status: number; body?: string }
  | { kind: "close-after"; tokens: number } // destroy the socket mid-stream
  | { kind: "stall-after"; tokens: number } // stop sending, keep the socket open
  | { kind: "garbage" } // a data line that is not JSON
  | { kind: "no-done" }; // end the stream without [DONE]

export interface Script {
  /** Delay before the first token, ms. */
  ttftMs: number;
  /** Delay between chunks, ms. */
  itlMs: number;
  /** Tokens per chunk (multi-token chunks, as with speculative decoding). */
  tokensPerChunk?: number;
  /** Send a role-only/empty chunk at once, before the first token. */
  emptyFirstChunk?: boolean;
  /** Report per-chunk token counts via continuous usage stats. */
  continuousUsage?: boolean;
  fault?: Fault;
  /**
   * A recorded stream shape (test/support/streamShapes.ts) replayed verbatim instead of the
   * timetable above: each `data:` payload written at its time from the request's start.
   */
  frames?: readonly TimedFrame[];
  /** Text of one token (request number, token number): answers that differ per request; default " tok". */
  tokenText?: (request: number, token: number) => string;
}

export interface ScriptedServer {
  url: string;
  /** Requests received so far. */
  received: number;
  /** Largest number of requests served at once. */
  maxActive: number;
  /** Gaps between consecutive token chunks as the server actually wrote them, ms. */
  writtenGapsMs: number[];
  /** Per request, as the server actually did it: request received -> first token written, ms. */
  writtenTtftMs: number[];
  /** Per request: time spent waiting for a slot in the server's queue, ms. */
  queuedMs: number[];
  /** Per request replaying `frames`: when each frame was written, ms after the request arrived. */
  frameWritesMs: number[][];
  /** Requests answered 401 for lacking the `auth` header, by method ("GET", "POST"). */
  unauthorized: Record<string, number>;
  /**
   * Per generation request, by arrival order (the `n` a script function gets): what the server
   * did, as absolute `performance.now()` times in ms (the client's records count from the run's
   * own zero, so compare differences). `firstTokenAt`/`lastTokenAt` are after the first/last
   * token chunk's write (absent when none was written), `endedAt` after `res.end()` of a stream
   * that ended normally. What timing tests compare tokenbench with, instead of the script's
   * nominal times (its timers fire late on a loaded machine and up to ~1 ms early).
   */
  served: ServedRequest[];
  close(): Promise<void>;
}

export interface ServedRequest {
  /** The request's handler started (headers parsed), ms on `performance.now()`. */
  arrivedAt: number;
  /** A batch slot was taken (= `arrivedAt` without `slots`). */
  startedAt?: number;
  firstTokenAt?: number;
  lastTokenAt?: number;
  endedAt?: number;
  /** Gaps between this response's token writes, ms (one per token chunk after the first). */
  gapsMs?: number[];
}

export interface ScriptedServerOptions {
  /** Chooses the script per request (by arrival order); default: the same for all. */
  script: Script | ((n: number, body: Record<string, unknown>) => Script);
  /** Server-side concurrency limit: requests beyond it wait in a FIFO queue (batch slots). */
  slots?: number;
  /**
   * Close the connection this many ms after each streamed response ends, although keep-alive
   * was advertised (a llama.cpp server build did this): a request the client sends on that
   * connection meanwhile dies with "other side closed" before any response byte.
   */
  closeAfterEndMs?: number;
  /** An authenticated server: every request (GETs too) without this header value is answered 401. */
  auth?: { header: string; value: string };
}

/**
 * Requests of `served` that arrived at or after `since` (epoch ms) and got a token, on the host's wall-clock scale:
 * [arrived (epoch ms), first token written (epoch ms), gaps between its token writes (ms)].
 */
export function servedSince(served: readonly ServedRequest[], since: number): Array<[number, number, number[]]> {
  const o = performance.timeOrigin;
  return served.filter((r) => r && o + r.arrivedAt >= since && r.firstTokenAt !== undefined).map((r) => [o + r.arrivedAt, o + r.firstTokenAt!, r.gapsMs ?? []]);
}

export async function startScriptedServer(opts: ScriptedServerOptions): Promise<ScriptedServer> {
  let received = 0;
  let active = 0;
  let maxActive = 0;
  const writtenGapsMs: number[] = [];
  const writtenTtftMs: number[] = [];
  const queuedMs: number[] = [];
  const frameWritesMs: number[][] = [];
  const unauthorized: Record<string, number> = {};
  const served: ServedRequest[] = [];
  const queue: Array<() => void> = [];
  const sockets = new Set<import("node:net").Socket>();
  const acquire = () =>
    new Promise<void>((resolve) => {
      if (opts.slots === undefined || active < opts.slots) {
        active++;
        maxActive = Math.max(maxActive, active);
        resolve();
      } else queue.push(resolve);
    });
  const release = () => {
    const next = queue.shift();
    if (next) next();
    else active--;
  };

  const closing = new WeakSet<object>();
  const server = http.createServer(async (req, res) => {
    const arrived = performance.now();
    // The server has decided to close this connection: what arrives on it is never answered.
    if (closing.has(req.socket)) return;
    if (opts.auth && req.headers[opts.auth.header.toLowerCase()] !== opts.auth.value) {
      unauthorized[req.method ?? "?"] = (unauthorized[req.method ?? "?"] ?? 0) + 1;
      for await (const _ of req);
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { message: "missing or wrong credentials" } }));
      return;
    }
    if (req.method === "GET" && req.url?.startsWith("/stats?since=")) {
      // Per request on the host's wall-clock scale (epoch ms): those that arrived at or after `since`.
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(servedSince(served, Number(req.url.slice("/stats?since=".length)))));
      return;
    }
    if (req.method === "GET" && req.url === "/stats") {
      res.setHeader("content-type", "application/json");
      // timeOrigin + a served time is on the wall-clock scale every process on the host shares
      // (bench/client-capacity.ts splits TTFT into send and read sides with it).
      res.end(JSON.stringify({ received, maxActive, writtenGapsMs, writtenTtftMs, timeOrigin: performance.timeOrigin, arrivedAt: served.map((r) => r?.arrivedAt), firstTokenAt: served.map((r) => r?.firstTokenAt) }));
      return;
    }
    if (req.method === "GET" && req.url === "/v1/models") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ object: "list", data: [{ id: "scripted-model", object: "model" }] }));
      return;
    }
    // Any other GET (the client's pre-connect to an API without a models list) is no generation.
    if (req.method === "GET") {
      res.statusCode = 404;
      res.end();
      return;
    }
    let raw = "";
    for await (const c of req) raw += c;
    const body = JSON.parse(raw || "{}") as Record<string, unknown>;
    const n = received++;
    const rec: ServedRequest = (served[n] = { arrivedAt: arrived });
    const script = typeof opts.script === "function" ? opts.script(n, body) : opts.script;
    await acquire();
    const start = performance.now();
    rec.startedAt = start;
    queuedMs.push(start - arrived);
    let released = false;
    const done = () => {
      if (!released) (released = true), release();
    };
    res.on("close", done);
    if (script.fault?.kind === "status") {
      res.statusCode = script.fault.status;
      res.end(script.fault.body ?? JSON.stringify({ error: { message: "scripted failure" } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    res.flushHeaders();
    if (script.frames) {
      const writes: number[] = (frameWritesMs[n] = []);
      for (const f of script.frames) {
        const wait = start + f.atMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (res.destroyed) return;
        res.write(`data: ${f.data}\n\n`);
        writes.push(performance.now() - arrived);
      }
      res.end();
      rec.endedAt = performance.now();
      return;
    }
    const maxTokens = Number(body.max_tokens ?? 16);
    const per = script.tokensPerChunk ?? 1;
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    // Chat endpoints get chat deltas; everything else the completions shape.
    const chat = req.url?.includes("/chat/completions") ?? false;
    const chunk = (text: string, completion?: number) =>
      chat ? send({
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        model: "scripted-model",
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
        ...(completion !== undefined ? { usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion } } : {}),
      }) : send({
        id: "cmpl-1",
        object: "text_completion",
        model: "scripted-model",
        choices: [{ index: 0, text, finish_reason: null }],
        ...(completion !== undefined ? { usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion } } : {}),
      });
    if (script.emptyFirstChunk) chunk("", script.continuousUsage ? 0 : undefined);
    let sent = 0;
    let k = 0;
    let lastWrite = 0;
    // Deadlines from the request start, so timer lateness does not accumulate.
    while (sent < maxTokens) {
      const due = start + script.ttftMs + k * script.itlMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (res.destroyed) return;
      const f = script.fault;
      if (f?.kind === "close-after" && sent >= f.tokens) return void res.socket?.destroy();
      if (f?.kind === "stall-after" && sent >= f.tokens) return; // never ends; the client must time out
      if (f?.kind === "garbage" && sent >= 1) {
        res.write("data: {not json\n\n");
        return void res.end();
      }
      const m = Math.min(per, maxTokens - sent);
      sent += m;
      k++;
      let text = "";
      for (let j = sent - m; j < sent; j++) text += script.tokenText ? script.tokenText(n, j) : " tok";
      chunk(text, script.continuousUsage ? sent : undefined);
      const t = performance.now();
      if (k > 1) {
        writtenGapsMs.push(t - lastWrite);
        (rec.gapsMs ??= []).push(t - lastWrite);
      } else {
        writtenTtftMs.push(t - arrived);
        rec.firstTokenAt = t;
      }
      lastWrite = rec.lastTokenAt = t;
    }
    send({ id: "cmpl-1", object: "text_completion", model: "scripted-model", choices: [{ index: 0, text: "", finish_reason: "length" }] });
    send({ id: "cmpl-1", object: "text_completion", model: "scripted-model", choices: [], usage: { prompt_tokens: 10, completion_tokens: sent, total_tokens: 10 + sent } });
    if (script.fault?.kind !== "no-done") res.write("data: [DONE]\n\n");
    res.end();
    rec.endedAt = performance.now();
    if (opts.closeAfterEndMs !== undefined) {
      const socket = req.socket;
      closing.add(socket);
      setTimeout(() => socket.destroy(), opts.closeAfterEndMs);
    }
  });
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  server.keepAliveTimeout = 60_000;
  server.maxRequestsPerSocket = 0;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const handle: ScriptedServer = {
    url: `http://127.0.0.1:${port}`,
    get received() {
      return received;
    },
    get maxActive() {
      return maxActive;
    },
    writtenGapsMs,
    writtenTtftMs,
    queuedMs,
    frameWritesMs,
    unauthorized,
    served,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
  return handle;
}
