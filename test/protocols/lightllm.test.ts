import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, contents, fixture, ofType, textOf } from "./feed.js";

const adapter = getAdapter("lightllm");

test("request: inputs + parameters with ignore_eos for exact output, greedy without temperature", () => {
  const spec = adapter.buildRequest({ prompt: "Hi", maxTokens: 6, exactOutput: true, seed: 4 });
  assert.equal(spec.path, "/generate_stream");
  assert.deepEqual(JSON.parse(spec.body!), { inputs: "Hi", parameters: { max_new_tokens: 6, do_sample: false, ignore_eos: true } });
  const sampled = JSON.parse(adapter.buildRequest({ prompt: "Hi", maxTokens: 6, exactOutput: false, temperature: 0.6 }).body!);
  assert.deepEqual(sampled.parameters, { max_new_tokens: 6, do_sample: true, temperature: 0.6 });
  assert.equal(adapter.exactOutput, "native");
});

test("stream: one event per token, jumps in count_output_tokens give multi-token chunks, finished gives usage", () => {
  const events = assertSplitInvariant(adapter, fixture("lightllm.sse"));
  assert.deepEqual(contents(events), [
    { text: " 你好", tokens: 1 },
    { text: ",", tokens: 1 },
    { text: " world and more", tokens: 3 },
    { text: ".", tokens: 1 },
  ]);
  assert.equal(textOf(events), " 你好, world and more.");
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 6, promptTokens: 8, source: "lightllm.count_output_tokens" }]);
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "length" });
});

test("events without count_output_tokens still count one token each", () => {
  const events = assertSplitInvariant(adapter, 'data:{"token":{"text":"a"},"finished":false}\n\ndata:{"token":{"text":"b"},"finished":true,"finish_reason":"stop"}\n\n');
  assert.deepEqual(contents(events), [{ text: "a", tokens: 1 }, { text: "b", tokens: 1 }]);
  assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 2, promptTokens: undefined, source: "lightllm.count_output_tokens" }]);
});
