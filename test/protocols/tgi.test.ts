import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, contents, fixture, ofType, textOf } from "./feed.js";

const adapter = getAdapter("tgi");

test("request: inputs + parameters, greedy as do_sample=false (TGI rejects temperature 0), no ignore_eos", () => {
  const spec = adapter.buildRequest({ prompt: "What is DL?", maxTokens: 20, exactOutput: true, seed: 9 });
  assert.equal(spec.path, "/generate_stream");
  assert.deepEqual(JSON.parse(spec.body!), {
    inputs: "What is DL?",
    parameters: { max_new_tokens: 20, do_sample: false, seed: 9, details: true },
  });
  const sampled = JSON.parse(adapter.buildRequest({ prompt: "x", maxTokens: 5, exactOutput: false, temperature: 0.8, extraBody: { parameters: { top_p: 0.95 } } }).body!);
  assert.deepEqual(sampled.parameters, { max_new_tokens: 5, do_sample: true, temperature: 0.8, details: true, top_p: 0.95 });
  assert.equal(adapter.exactOutput, "unsupported");
  assert.equal(adapter.modelsPath, "/info");
  assert.deepEqual(adapter.parseModels?.({ model_id: "bigscience/bloom-560m", max_input_length: 1024 }), ["bigscience/bloom-560m"]);
});

test("stream: one event per token, special EOS counted without its text, details give usage and finish reason", () => {
  const events = assertSplitInvariant(adapter, fixture("tgi.sse"));
  assert.deepEqual(contents(events), [
    { text: " Deep", tokens: 1 },
    { text: " learning", tokens: 1 },
    { text: " is", tokens: 1 },
    { text: " fün", tokens: 1 },
    { text: "", tokens: 1 },
  ]);
  assert.equal(textOf(events), " Deep learning is fün");
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 5, promptTokens: 6, source: "tgi.details" }]);
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "eos_token" });
});

test("headers: timing and count headers become timings values, others ignored", () => {
  const values = adapter.parseHeaders!({
    "x-compute-type": "gpu+optimized",
    "x-total-time": "1520",
    "x-validation-time": "1",
    "x-queue-time": "12",
    "x-inference-time": "1507",
    "x-time-per-token": "30",
    "x-prompt-tokens": "6",
    "x-generated-tokens": ["50"],
    "x-queue-time-bogus": "7",
    "x-accel-buffering": "no",
    "x-inference-time-empty": "",
  });
  assert.deepEqual(values, {
    total_time_ms: 1520,
    validation_time_ms: 1,
    queue_time_ms: 12,
    inference_time_ms: 1507,
    time_per_token_ms: 30,
    prompt_tokens: 6,
    generated_tokens: 50,
  });
  assert.deepEqual(adapter.parseHeaders!({ "X-Queue-Time": "abc" }), {}, "non-numeric values are dropped");
});

test("in-stream TGI error object fails the request with its type and message", () => {
  const text = 'data:{"index":1,"token":{"id":1,"text":"a","logprob":0,"special":false},"generated_text":null,"details":null}\n\ndata:{"error":"Request failed during generation: Server error: CUDA out of memory","error_type":"generation"}\n\n';
  const events = assertSplitInvariant(adapter, text);
  assert.deepEqual(ofType(events, "error"), [{ type: "error", message: "generation: Request failed during generation: Server error: CUDA out of memory" }]);
});
