import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, attributed, contents, feedText, fixture, ofType, textOf, toCrlf } from "./feed.js";

const adapter = getAdapter("openai-completions");

test("request: streaming body with usage options, exact output fields and extraBody merged last", () => {
  const spec = adapter.buildRequest({
    prompt: "Hi",
    model: "m",
    maxTokens: 64,
    exactOutput: true,
    seed: 3,
    extraBody: { top_p: 0.9, stream_options: { continuous_usage_stats: null } },
  });
  assert.equal(spec.method, "POST");
  assert.equal(spec.path, "/v1/completions");
  assert.equal(spec.headers["content-type"], "application/json");
  assert.deepEqual(JSON.parse(spec.body!), {
    model: "m",
    prompt: "Hi",
    max_tokens: 64,
    temperature: 0,
    seed: 3,
    stream: true,
    stream_options: { include_usage: true },
    ignore_eos: true,
    min_tokens: 64,
    top_p: 0.9,
  });
  const plain = JSON.parse(adapter.buildRequest({ prompt: "Hi", maxTokens: 5, exactOutput: false, temperature: 0.7 }).body!);
  assert.equal(plain.model, undefined, "no model field when none given");
  assert.equal(plain.ignore_eos, undefined);
  assert.equal(plain.min_tokens, undefined);
  assert.equal(plain.temperature, 0.7);
  assert.deepEqual(plain.stream_options, { include_usage: true, continuous_usage_stats: true });
  assert.equal(adapter.exactOutput, "native");
  assert.equal(adapter.modelsPath, "/v1/models");
  assert.deepEqual(adapter.parseModels?.({ object: "list", data: [{ id: "a" }, { id: "b" }, { nope: 1 }] }), ["a", "b"]);
});

test("vLLM stream with continuous usage: per-chunk token counts from the running total, final usage, done", () => {
  const events = assertSplitInvariant(adapter, fixture("vllm-completions.sse"));
  assert.deepEqual(attributed(events).chunks, [
    { text: " The", tokens: 1 },
    { text: " café", tokens: 1 },
    { text: " serves 🚀 fast", tokens: 3 },
    { text: "", tokens: 1 },
    { text: " crêpes.", tokens: 2 },
  ]);
  const usage = ofType(events, "usage");
  assert.deepEqual(usage.at(-1), { type: "usage", promptTokens: 12, completionTokens: 8, source: "openai.usage" });
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "length" });
  assert.equal(ofType(events, "error").length, 0);
  // Sum of per-chunk counts equals the server's total; the running totals are consistent.
  assert.equal(attributed(events).chunks.reduce((s, c) => s + c.tokens, 0), 8);
  assert.equal(attributed(events).anomaly, undefined);
});

test("same stream with CRLF line endings gives the same events", () => {
  const lf = feedText(adapter, fixture("vllm-completions.sse"));
  assert.deepEqual(assertSplitInvariant(adapter, toCrlf(fixture("vllm-completions.sse"))), lf);
});

test("without usage stats token counts stay undefined and the tokenizer decides", () => {
  const text = ['data: {"choices":[{"index":0,"text":"a","finish_reason":null}]}', 'data: {"choices":[{"index":0,"text":"b","finish_reason":"stop"}]}', "data: [DONE]", ""].join("\n\n");
  const events = assertSplitInvariant(adapter, text);
  assert.deepEqual(contents(events), [{ text: "a", tokens: undefined }, { text: "b", tokens: undefined }]);
  assert.equal(ofType(events, "usage").length, 0);
  assert.equal(textOf(events), "ab");
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "stop" });
});

test("include_usage without continuous stats: `usage: null` chunks carry no count, the final chunk the totals", () => {
  const text = [
    'data: {"choices":[{"index":0,"text":"x","finish_reason":null}],"usage":null}',
    'data: {"choices":[{"index":0,"text":"y","finish_reason":"length"}],"usage":null}',
    'data: {"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}',
    "data: [DONE]",
    "",
  ].join("\n\n");
  const events = assertSplitInvariant(adapter, text);
  assert.deepEqual(contents(events), [{ text: "x", tokens: undefined }, { text: "y", tokens: undefined }]);
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", promptTokens: 4, completionTokens: 2, source: "openai.usage" }]);
});
