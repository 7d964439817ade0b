// OpenAI-compatible HTTP server over LlamaEngine: routing, queueing, streaming, metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { LlamaEngine } from "./engine.js";
import { generate } from "./generation.js";
import { readJsonBody, sendError, sendJson, sendText, SseWriter } from "./http-io.js";
import { createEngineMetrics, PROMETHEUS_CONTENT_TYPE, type EngineMetrics } from "./metrics.js";
import { ChunkBuilder, fullResponse, newIdentity, usage } from "./openai-format.js";
import { QueueAbortedError } from "./pool.js";
import { HttpError, parseRequest, type ParsedRequest } from "./request.js";

export interface EngineServerOptions {
  engine: LlamaEngine;
  modelName: string;
  host: string;
  port: number;
}

export interface RunningServer {
  url: string;
  server: Server;
  metrics: EngineMetrics;
  close(): Promise<void>;
}

function checkLengths(engine: LlamaEngine, req: ParsedRequest, promptTokens: number): { maxTokens: number; minTokens: number } {
  const ctx = engine.contextSize;
  if (promptTokens >= ctx) throw new HttpError(400, `prompt is ${promptTokens} tokens, but the context holds ${ctx} tokens per sequence (prompt + output)`);
  const maxTokens = req.maxTokens ?? ctx - promptTokens;
  if (promptTokens + maxTokens > ctx)
    throw new HttpError(400, `prompt (${promptTokens} tokens) + max_tokens (${maxTokens}) exceeds the context of ${ctx} tokens per sequence`);
  const minTokens = req.ignoreEos ? maxTokens : Math.min(req.minTokens, maxTokens);
  return { maxTokens, minTokens };
}

async function handleGeneration(kind: "completion" | "chat", req: IncomingMessage, res: ServerResponse, o: EngineServerOptions, m: EngineMetrics): Promise<void> {
  const arrival = performance.now();
  const parsed = parseRequest(kind, await readJsonBody(req));
  if (parsed.model !== undefined && parsed.model !== o.modelName) throw new HttpError(404, `model "${parsed.model}" does not exist (this server has "${o.modelName}")`);
  const promptTokens = o.engine.tokenizePrompt(parsed.prompt);
  const { maxTokens, minTokens } = checkLengths(o.engine, parsed, promptTokens.length);

  const abort = new AbortController();
  // "close" also fires after a normal end; only an unfinished response means the client left.
  res.on("close", () => {
    if (!res.writableFinished) abort.abort();
  });

  const ident = newIdentity(kind, o.modelName);
  const chunks = new ChunkBuilder(kind, ident);
  const sse = parsed.stream ? new SseWriter(res) : undefined;
  const perChunkUsage = (n: number) => (parsed.continuousUsage ? usage(promptTokens.length, n) : undefined);
  sse?.open();
  if (sse && kind === "chat") sse.send(chunks.roleChunk(perChunkUsage(0)));

  let seq;
  try {
    seq = await o.engine.pool.acquire(abort.signal);
  } catch (e) {
    if (e instanceof QueueAbortedError) {
      m.requests.inc(1, { finish_reason: "abort" });
      return;
    }
    throw e;
  }
  let firstTokenAt: number | undefined;
  let lastTokenAt = 0;
  let counted = 0;
  let text = "";
  try {
    m.promptTokens.inc(promptTokens.length);
    const result = await generate(
      o.engine,
      seq,
      { promptTokens, maxTokens, minTokens, temperature: parsed.temperature, topP: parsed.topP, seed: parsed.seed, stop: parsed.stop },
      abort.signal,
      (delta, produced) => {
        const now = performance.now();
        if (firstTokenAt === undefined) {
          firstTokenAt = now;
          m.ttft.observe((now - arrival) / 1000);
        }
        // A flush of held-back text at end-of-generation carries no new token.
        if (produced > counted) {
          m.generationTokens.inc(produced - counted);
          counted = produced;
          lastTokenAt = now;
        }
        if (!delta) return;
        if (sse) sse.send(chunks.content(delta, perChunkUsage(produced)));
        else text += delta;
      },
    );
    m.requests.inc(1, { finish_reason: result.finish });
    if (firstTokenAt !== undefined && result.completionTokens > 1) m.tpot.observe((lastTokenAt - firstTokenAt) / 1000 / (result.completionTokens - 1));
    if (result.finish === "abort") return;
    const u = usage(promptTokens.length, result.completionTokens);
    if (sse) {
      sse.send(chunks.finish(result.finish, perChunkUsage(result.completionTokens)));
      if (parsed.includeUsage) sse.send(chunks.usageOnly(u));
      sse.done();
    } else {
      sendJson(res, 200, fullResponse(kind, ident, text, result.finish, u));
    }
  } catch (e) {
    m.requests.inc(1, { finish_reason: "error" });
    if (!sse) throw e;
    // Headers are gone already: report in-stream, as OpenAI-compatible servers do.
    sse.send({ error: { message: (e as Error).message, type: "server_error", code: 500 } });
    sse.done();
  } finally {
    o.engine.pool.release(seq);
  }
}

async function route(req: IncomingMessage, res: ServerResponse, o: EngineServerOptions, m: EngineMetrics): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  const method = req.method ?? "GET";
  const routes: Record<string, { method: string; run: () => Promise<void> | void }> = {
    "/health": { method: "GET", run: () => sendJson(res, 200, { status: "ok" }) },
    "/v1/models": {
      method: "GET",
      run: () =>
        sendJson(res, 200, {
          object: "list",
          data: [{ id: o.modelName, object: "model", created: 0, owned_by: "tokenbench", max_model_len: o.engine.contextSize }],
        }),
    },
    "/metrics": { method: "GET", run: () => sendText(res, 200, PROMETHEUS_CONTENT_TYPE, m.registry.render()) },
    "/v1/completions": { method: "POST", run: () => handleGeneration("completion", req, res, o, m) },
    "/v1/chat/completions": { method: "POST", run: () => handleGeneration("chat", req, res, o, m) },
  };
  const r = routes[path];
  if (!r) throw new HttpError(404, `no route ${method} ${path}`);
  if (r.method !== method) throw new HttpError(405, `method ${method} not allowed on ${path}`);
  await r.run();
}

export async function startEngineServer(o: EngineServerOptions): Promise<RunningServer> {
  const m = createEngineMetrics({
    running: () => o.engine.pool.running,
    waiting: () => o.engine.pool.waiting,
    kvCellsUsed: () => o.engine.kvCellsUsed(),
    kvCellsTotal: () => o.engine.kvCellsTotal,
  });
  const inFlight = new Set<Promise<void>>();
  const server = createServer({ noDelay: true }, (req, res) => {
    const handled = route(req, res, o, m).catch((e: unknown) => {
      const err = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error).message}`);
      if (!res.headersSent) sendError(res, err);
      else res.destroy();
    });
    inFlight.add(handled);
    void handled.finally(() => inFlight.delete(handled));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    server,
    metrics: m,
    close: () =>
      (closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Dropping the connections aborts in-flight generations, which then free their sequences.
        server.closeAllConnections();
        await closed;
        // Aborted generations stop within one decode step; let them release their sequences
        // before the context goes away.
        await Promise.race([Promise.allSettled([...inFlight]), new Promise((r) => setTimeout(r, 10_000).unref())]);
        await o.engine.close();
      })()),
  };
}
