import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, contents, fixture, ofType } from "./feed.js";

const adapter = getAdapter("llamacpp");

test("request: /completion with n_predict, ignore_eos for exact output", () => {
  const spec = adapter.buildRequest({ prompt: "Tell me", maxTokens: 6, exactOutput: true, temperature: 0 });
  assert.equal(spec.path, "/completion");
  assert.deepEqual(JSON.parse(spec.body!), { prompt: "Tell me", n_predict: 6, temperature: 0, stream: true, ignore_eos: true });
  const loose = JSON.parse(adapter.buildRequest({ prompt: "x", maxTokens: 3, exactOutput: false, extraBody: { cache_prompt: false } }).body!);
  assert.equal(loose.ignore_eos, undefined);
  assert.equal(loose.cache_prompt, false);
  assert.equal(adapter.exactOutput, "native");
});

test("stream: token ids give per-chunk counts (withheld text, speculative chunks); final chunk gives usage, timings, stop type", () => {
  const events = assertSplitInvariant(adapter, fixture("llamacpp.sse"));
  assert.deepEqual(contents(events), [
    { text: " Once", tokens: 1 },
    { text: "", tokens: 1 },
    { text: "🦙", tokens: 1 },
    { text: " upon a time", tokens: 3 },
  ]);
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 6, promptTokens: 7, source: "llamacpp.tokens_predicted" }]);
  assert.deepEqual(ofType(events, "timings"), [
    {
      type: "timings",
      values: {
        prompt_n: 7,
        prompt_ms: 35.2,
        prompt_per_token_ms: 5.03,
        prompt_per_second: 198.9,
        predicted_n: 6,
        predicted_ms: 120.5,
        predicted_per_token_ms: 20.08,
        predicted_per_second: 49.8,
      },
    },
  ]);
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "limit" });
});

test("older servers without a tokens array: text chunks have undefined counts", () => {
  const events = assertSplitInvariant(adapter, 'data: {"content":"Hi","stop":false}\n\ndata: {"content":"","stop":true,"tokens_predicted":1}\n\n');
  assert.deepEqual(contents(events), [{ text: "Hi", tokens: undefined }]);
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 1, promptTokens: undefined, source: "llamacpp.tokens_predicted" }]);
});

test("errors: llama.cpp `error:` SSE line and `data: {\"error\":...}` both fail the request", () => {
  const a = assertSplitInvariant(adapter, 'data: {"content":"a","tokens":[1],"stop":false}\n\nerror: {"code":400,"message":"the request exceeds the available context size","type":"exceed_context_size_error"}\n\n');
  assert.deepEqual(ofType(a, "error"), [{ type: "error", message: "the request exceeds the available context size" }]);
  const b = assertSplitInvariant(adapter, 'data: {"error":{"code":500,"message":"slot unavailable","type":"server_error"}}\n\n');
  assert.deepEqual(ofType(b, "error"), [{ type: "error", message: "slot unavailable" }]);
});
