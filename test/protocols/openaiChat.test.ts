import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, attributed, contents, fixture, ofType, textOf, toCrlf } from "./feed.js";

const adapter = getAdapter("openai-chat");

test("request: one user message, max_tokens, stream options, exact output", () => {
  const spec = adapter.buildRequest({ prompt: "Hello?", model: "qwen", maxTokens: 10, exactOutput: true });
  assert.equal(spec.path, "/v1/chat/completions");
  const body = JSON.parse(spec.body!);
  assert.deepEqual(body.messages, [{ role: "user", content: "Hello?" }]);
  assert.equal(body.max_tokens, 10);
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true, continuous_usage_stats: true });
  assert.equal(body.ignore_eos, true);
  assert.equal(body.min_tokens, 10);
  assert.equal(body.prompt, undefined);
});

test("vLLM chat: role-only first chunk is not a token, reasoning counts, usage and done", () => {
  const events = assertSplitInvariant(adapter, fixture("vllm-chat.sse"));
  assert.deepEqual(attributed(events).chunks, [
    { text: "Hmm,", tokens: 1 },
    { text: " easy.", tokens: 2 },
    { text: "Hello", tokens: 1 },
    { text: " wörld", tokens: 2 },
    { text: "!", tokens: 1 },
  ]);
  assert.deepEqual(ofType(events, "usage").at(-1), { type: "usage", promptTokens: 9, completionTokens: 7, source: "openai.usage" });
  assert.deepEqual(
    ofType(events, "content").filter((c) => c.text).map((c) => c.kind ?? "answer"),
    ["reasoning", "reasoning", "answer", "answer", "answer"],
  );
  assert.deepEqual(events.at(-1), { type: "done", finishReason: "stop" });
});

test("bare stream: `data:` without space, keep-alives, no usage, no [DONE], last event unterminated", () => {
  const text = fixture("openai-chat-bare.sse");
  for (const variant of [text, toCrlf(text)]) {
    const events = assertSplitInvariant(adapter, variant);
    assert.deepEqual(contents(events), [
      { text: "Bonjour", tokens: undefined },
      { text: " à", tokens: undefined },
      { text: " tous", tokens: undefined },
    ]);
    assert.equal(ofType(events, "done").length, 0, "no explicit end marker was sent");
    assert.equal(ofType(events, "error").length, 0);
  }
});

test("an empty content delta with a finish reason is not a token", () => {
  const text = 'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';
  const events = assertSplitInvariant(adapter, text);
  assert.equal(textOf(events), "x");
  assert.equal(contents(events).length, 1);
});

test("llama.cpp's OpenAI endpoint: timings block on the last chunk becomes a timings event", () => {
  const text =
    'data: {"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n' +
    'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"timings":{"prompt_n":4,"prompt_ms":10.5,"predicted_n":1,"predicted_ms":3.25}}\n\n' +
    "data: [DONE]\n\n";
  const events = assertSplitInvariant(adapter, text);
  assert.deepEqual(ofType(events, "timings"), [{ type: "timings", values: { prompt_n: 4, prompt_ms: 10.5, predicted_n: 1, predicted_ms: 3.25 } }]);
});
