// The OpenAI adapters against a real llama.cpp (the embedded engine, tiny random-weight model):
// proves the request bodies are accepted and the real byte stream parses into exact counts.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { startEmbeddedServer, type EmbeddedServer } from "../../src/engine/index.js";
import { getAdapter } from "../../src/protocols/index.js";
import type { ApiKind, StreamEvent } from "../../src/protocols/types.js";
import { attributed, ofType } from "./feed.js";

let server: EmbeddedServer;
// The generated model goes to a private TOKENBENCH_HOME, not the user's cache.
const home = mkdtempSync(join(tmpdir(), "tokenbench-protocols-test-"));
const previousHome = process.env.TOKENBENCH_HOME;

before(async () => {
  process.env.TOKENBENCH_HOME = home;
  server = await startEmbeddedServer({ preset: "tiny", port: 0, host: "127.0.0.1", parallel: 2, threads: 1 });
});

after(async () => {
  await server?.close();
  if (previousHome === undefined) delete process.env.TOKENBENCH_HOME;
  else process.env.TOKENBENCH_HOME = previousHome;
  rmSync(home, { recursive: true, force: true });
});

async function run(api: ApiKind, maxTokens: number): Promise<StreamEvent[]> {
  const adapter = getAdapter(api);
  const spec = adapter.buildRequest({ prompt: "The quick brown fox", model: server.modelName, maxTokens, exactOutput: true, seed: 1 });
  const res = await request(server.url.replace(/\/$/, "") + spec.path, { method: spec.method, headers: spec.headers, body: spec.body });
  if (res.statusCode !== 200) assert.fail(`HTTP ${res.statusCode}: ${await res.body.text()}`);
  const parser = adapter.createParser();
  const decoder = new TextDecoder();
  const events: StreamEvent[] = [];
  for await (const buf of res.body) events.push(...parser.feed(decoder.decode(buf as Buffer, { stream: true })));
  events.push(...parser.feed(decoder.decode()), ...parser.end());
  return events;
}

for (const api of ["openai-completions", "openai-chat"] as const) {
  test(`${api} against the embedded llama.cpp server: exact output, per-chunk counts sum to usage`, async () => {
    const events = await run(api, 12);
    assert.equal(ofType(events, "error").length, 0, JSON.stringify(ofType(events, "error")));
    const usage = ofType(events, "usage").at(-1);
    assert.equal(usage?.completionTokens, 12, "ignore_eos + min_tokens gave exactly max_tokens");
    assert.ok((usage?.promptTokens ?? 0) > 0);
    const withText = ofType(events, "content").filter((c) => c.text.length > 0);
    assert.ok(withText.every((c) => c.cumulative !== undefined), "continuous usage stats give a running total on every chunk");
    const a = attributed(events);
    assert.equal(a.anomaly, undefined);
    assert.equal(a.chunks.reduce((s, c) => s + c.tokens, 0), 12);
    assert.equal(events.at(-1)?.type, "done");
  });
}

test("the models list of the embedded server parses to its model name", async () => {
  const adapter = getAdapter("openai-completions");
  const res = await request(server.url.replace(/\/$/, "") + adapter.modelsPath);
  assert.deepEqual(adapter.parseModels?.(await res.body.json()), [server.modelName]);
});
