import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, contents, fixture, ofType, toCrlf } from "./feed.js";

const adapter = getAdapter("ollama");

test("request: /api/generate NDJSON, raw prompt, options.num_predict; exact output unsupported", () => {
  const spec = adapter.buildRequest({ prompt: "Why?", model: "llama3.2:1b", maxTokens: 6, exactOutput: true, seed: 1 });
  assert.equal(spec.path, "/api/generate");
  assert.equal(spec.headers.accept, "application/x-ndjson");
  assert.deepEqual(JSON.parse(spec.body!), {
    model: "llama3.2:1b",
    prompt: "Why?",
    stream: true,
    raw: true,
    options: { num_predict: 6, temperature: 0, seed: 1 },
  });
  const templated = JSON.parse(adapter.buildRequest({ prompt: "x", maxTokens: 1, exactOutput: false, extraBody: { raw: null, options: { num_ctx: 4096 } } }).body!);
  assert.equal(templated.raw, undefined, "extraBody null removes a default");
  assert.deepEqual(templated.options, { num_predict: 1, temperature: 0, num_ctx: 4096 });
  assert.equal(adapter.exactOutput, "unsupported");
  assert.deepEqual(adapter.parseModels?.({ models: [{ name: "llama3.2:1b", model: "llama3.2:1b" }, { model: "qwen3:0.6b" }] }), ["llama3.2:1b", "qwen3:0.6b"]);
});

test("stream: thinking and response text, done line gives counts and durations converted ns -> ms", () => {
  const text = fixture("ollama.ndjson");
  for (const variant of [text, toCrlf(text), text.trimEnd() /* last line without newline */]) {
    const events = assertSplitInvariant(adapter, variant);
    assert.deepEqual(contents(events), [
      { text: "Let me think.", tokens: undefined },
      { text: "Sky", tokens: undefined },
      { text: " is", tokens: undefined },
      { text: " blue ☀", tokens: undefined },
    ]);
    assert.deepEqual(ofType(events, "usage"), [{ type: "usage", completionTokens: 6, promptTokens: 11, source: "ollama.eval_count" }]);
    assert.deepEqual(ofType(events, "timings"), [
      { type: "timings", values: { total_duration_ms: 523, load_duration_ms: 12.5, prompt_eval_duration_ms: 40, eval_duration_ms: 450.25 } },
    ]);
    assert.deepEqual(events.at(-1), { type: "done", finishReason: "length" });
  }
});

test("errors: an error line mid-stream and a malformed line each give one error event", () => {
  const events = assertSplitInvariant(adapter, '{"response":"a","done":false}\n{"error":"an error was encountered while running the model: unexpected EOF"}\n{"response": oops\n');
  assert.deepEqual(
    ofType(events, "error").map((e) => e.message),
    ["an error was encountered while running the model: unexpected EOF", 'malformed JSON in stream: {"response": oops'],
  );
});
