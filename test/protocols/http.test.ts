// End to end over real HTTP: a scripted server on 127.0.0.1 checks each adapter's request
// (method, path, headers, JSON body) and answers with the API's fixture stream, written in
// irregular byte pieces (some inside UTF-8 sequences) with small pauses, like a real server
// flushing per token. The client side mirrors the lead's client: undici + streaming TextDecoder.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { request } from "undici";
import { getAdapter } from "../../src/protocols/index.js";
import type { ApiKind, GenerationRequest, StreamEvent } from "../../src/protocols/types.js";
import { feedText, fixture, ofType, prng } from "./feed.js";

interface Case {
  api: ApiKind;
  fixture: string;
  /** Fields the server requires in the JSON body (dotted paths). */
  expectBody: Record<string, unknown>;
  contentType: string;
  headers?: Record<string, string>;
  models?: { body: unknown; ids: string[] };
}

const REQ: GenerationRequest = { prompt: "Say something naïve 🙂", model: "test-model", maxTokens: 8, exactOutput: true, seed: 3 };

const CASES: Case[] = [
  { api: "openai-completions", fixture: "vllm-completions.sse", contentType: "text/event-stream", expectBody: { prompt: REQ.prompt, max_tokens: 8, ignore_eos: true, "stream_options.continuous_usage_stats": true }, models: { body: { object: "list", data: [{ id: "test-model", object: "model" }] }, ids: ["test-model"] } },
  { api: "openai-chat", fixture: "vllm-chat.sse", contentType: "text/event-stream", expectBody: { "messages.0.content": REQ.prompt, max_tokens: 8, min_tokens: 8 }, models: { body: { data: [{ id: "a" }, { id: "b" }] }, ids: ["a", "b"] } },
  { api: "tgi", fixture: "tgi.sse", contentType: "text/event-stream", expectBody: { inputs: REQ.prompt, "parameters.max_new_tokens": 8, "parameters.details": true }, headers: { "x-queue-time": "12", "x-time-per-token": "30" }, models: { body: { model_id: "bigscience/bloom" }, ids: ["bigscience/bloom"] } },
  { api: "llamacpp", fixture: "llamacpp.sse", contentType: "text/event-stream", expectBody: { prompt: REQ.prompt, n_predict: 8, ignore_eos: true, stream: true } },
  { api: "ollama", fixture: "ollama.ndjson", contentType: "application/x-ndjson", expectBody: { model: "test-model", "options.num_predict": 8, stream: true }, models: { body: { models: [{ name: "llama3.2:1b" }] }, ids: ["llama3.2:1b"] } },
  { api: "sglang", fixture: "sglang-cumulative.sse", contentType: "text/event-stream", expectBody: { text: REQ.prompt, "sampling_params.max_new_tokens": 8, "sampling_params.ignore_eos": true } },
  { api: "lightllm", fixture: "lightllm.sse", contentType: "text/event-stream", expectBody: { inputs: REQ.prompt, "parameters.ignore_eos": true } },
  { api: "triton", fixture: "triton-cumulative.sse", contentType: "text/event-stream", expectBody: { text_input: REQ.prompt, max_tokens: 8, min_length: 8, stream: true } },
];

function at(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), obj);
}

let server: Server;
let base: string;
const rand = prng(99);

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

async function writeInPieces(res: ServerResponse, bytes: Buffer): Promise<void> {
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(rand() * 40);
    res.write(bytes.subarray(i, i + n));
    i += n;
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 3)));
  }
  res.end();
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  // TGI and LightLLM share /generate_stream: each API is mounted under its own prefix.
  const c = CASES.find((x) => {
    const a = getAdapter(x.api);
    return req.url === `/${x.api}${req.method === "POST" ? a.buildRequest(REQ).path : a.modelsPath}`;
  });
  if (!c) return void res.writeHead(404).end(`no route for ${req.method} ${req.url}`);
  if (req.method === "GET") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(c.models?.body));
  const problems: string[] = [];
  if (req.headers["content-type"] !== "application/json") problems.push("content-type");
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    problems.push("body is not JSON");
  }
  for (const [k, v] of Object.entries(c.expectBody)) if (at(body, k) !== v) problems.push(`${k}=${JSON.stringify(at(body, k))}`);
  if (problems.length) return void res.writeHead(422).end(problems.join("; "));
  res.writeHead(200, { "content-type": c.contentType, ...c.headers });
  await writeInPieces(res, Buffer.from(fixture(c.fixture), "utf8"));
}

before(async () => {
  server = createServer((req, res) => void handle(req, res).catch((e) => res.destroy(e)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

for (const c of CASES) {
  test(`${c.api}: request accepted by the scripted server, streamed reply parsed like the fixture`, async () => {
    const adapter = getAdapter(c.api);
    const spec = adapter.buildRequest(REQ);
    const res = await request(`${base}/${c.api}${spec.path}`, { method: spec.method, headers: spec.headers, body: spec.body });
    if (res.statusCode !== 200) assert.fail(`server rejected the request: ${await res.body.text()}`);
    const parser = adapter.createParser();
    const decoder = new TextDecoder();
    const events: StreamEvent[] = [];
    let pieces = 0;
    for await (const buf of res.body) {
      pieces++;
      events.push(...parser.feed(decoder.decode(buf as Buffer, { stream: true })));
    }
    events.push(...parser.feed(decoder.decode()), ...parser.end());
    assert.ok(pieces > 1, "the body arrived in several pieces");
    assert.deepEqual(events, feedText(adapter, fixture(c.fixture)));
    assert.ok(ofType(events, "content").length > 0);
    assert.equal(ofType(events, "error").length, 0);
    if (c.headers) assert.deepEqual(adapter.parseHeaders?.(res.headers), { queue_time_ms: 12, time_per_token_ms: 30 });
    if (c.models) {
      const m = await request(`${base}/${c.api}${adapter.modelsPath}`);
      assert.deepEqual(adapter.parseModels?.(await m.body.json()), c.models.ids);
    }
  });
}

test("the benchmark client over each API: a path-prefixed base URL, the server's stop reason kept", async () => {
  const { openTargets, closeTargets } = await import("../../src/client/targets.js");
  const { streamRequest } = await import("../../src/client/streamRequest.js");
  const reasons: Record<string, string | undefined> = {};
  for (const c of CASES) {
    const adapter = getAdapter(c.api);
    // Each API is mounted under /<api>: the prefix must go before every API path.
    const targets = openTargets([`${base}/${c.api}`], 1, 10_000);
    try {
      const t0 = performance.now();
      const raw = await streamRequest(targets[0], adapter, adapter.buildRequest(REQ), { timeoutMs: 10_000, now: () => performance.now() - t0 });
      assert.equal(raw.ok, true, `${c.api}: ${raw.error}`);
      const done = ofType(feedText(adapter, fixture(c.fixture)), "done").at(-1);
      assert.equal(raw.finishReason, done?.finishReason, c.api);
      reasons[c.api] = raw.finishReason;
    } finally {
      await closeTargets(targets);
    }
  }
  // Triton's generate_stream has no stop reason; every other API names one.
  assert.deepEqual(reasons, { "openai-completions": "length", "openai-chat": "stop", tgi: "eos_token", llamacpp: "limit", ollama: "length", sglang: "length", lightllm: "length", triton: undefined });
});
