import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, attributed, contents, fixture, ofType, textOf } from "./feed.js";

const adapter = getAdapter("sglang");

test("request: /generate with sampling_params; exact output via ignore_eos + min_new_tokens; seed as sampling_seed", () => {
  const spec = adapter.buildRequest({ prompt: "Q?", model: "ignored-by-sglang", maxTokens: 7, exactOutput: true, seed: 5 });
  assert.equal(spec.path, "/generate");
  assert.deepEqual(JSON.parse(spec.body!), {
    text: "Q?",
    sampling_params: { max_new_tokens: 7, temperature: 0, ignore_eos: true, min_new_tokens: 7, sampling_seed: 5 },
    stream: true,
  });
  const loose = JSON.parse(adapter.buildRequest({ prompt: "Q?", maxTokens: 7, exactOutput: false }).body!);
  assert.deepEqual(loose.sampling_params, { max_new_tokens: 7, temperature: 0 }, "only keys SamplingParams accepts, and only when needed");
  assert.deepEqual(adapter.parseModels?.({ model_path: "meta-llama/Llama-3.1-8B-Instruct", is_generation: true }), ["meta-llama/Llama-3.1-8B-Instruct"]);
});

const EXPECTED = [
  { text: " The", tokens: 1 },
  { text: " answer", tokens: 1 },
  { text: "", tokens: 1 },
  { text: " is 42 ✓", tokens: 3 },
  { text: ".", tokens: 1 },
];

for (const name of ["sglang-cumulative.sse", "sglang-incremental.sse"]) {
  test(`stream (${name}): deltas recovered, counts from meta_info running total, usage, timings, done`, () => {
    const events = assertSplitInvariant(adapter, fixture(name));
    assert.deepEqual(attributed(events), { chunks: EXPECTED });
    assert.equal(textOf(events), " The answer is 42 ✓.");
    assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 7, promptTokens: 5, cachedPromptTokens: 0, source: "sglang.meta_info" }]);
    assert.deepEqual(ofType(events, "timings"), [{ type: "timings", values: { e2e_latency_ms: 250 } }]);
    assert.deepEqual(events.at(-1), { type: "done", finishReason: "length" });
  });
}

test("a stream cut before [DONE] still reports the last usage once", () => {
  const events = assertSplitInvariant(adapter, 'data: {"text":"a","meta_info":{"prompt_tokens":3,"completion_tokens":1,"finish_reason":null}}\n\ndata: {"text":"ab","meta_info":{"prompt_tokens":3,"completion_tokens":2,"finish_reason":null}}\n\n');
  assert.equal(textOf(events), "ab");
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 2, promptTokens: 3, source: "sglang.meta_info" }]);
  assert.equal(ofType(events, "done").length, 0);
});

test("error object from SGLang fails the request", () => {
  const events = assertSplitInvariant(adapter, 'data: {"error":{"message":"The input (9000 tokens) is longer than the model\'s context length (8192 tokens)."}}\n\ndata: [DONE]\n\n');
  assert.deepEqual(ofType(events, "error"), [{ type: "error", message: "The input (9000 tokens) is longer than the model's context length (8192 tokens)." }]);
});
