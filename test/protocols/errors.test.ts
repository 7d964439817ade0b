// Failure semantics shared by every adapter: in-stream error objects and malformed JSON become
// `error` events (the request fails as a protocol error) and nothing ever throws out of the parser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { API_KINDS, type ApiKind } from "../../src/protocols/types.js";
import { assertSplitInvariant, feedText, ofType, prng } from "./feed.js";

const SSE_APIS = API_KINDS.filter((a): a is Exclude<ApiKind, "ollama"> => a !== "ollama");

test("OpenAI-style error objects: {error:{message}} and vLLM {object:'error'}", () => {
  const adapter = getAdapter("openai-completions");
  const a = assertSplitInvariant(adapter, 'data: {"choices":[{"index":0,"text":"x"}]}\n\ndata: {"error":{"message":"Engine loop has died","type":"InternalServerError","code":500}}\n\ndata: [DONE]\n\n');
  assert.deepEqual(ofType(a, "error"), [{ type: "error", message: "Engine loop has died" }]);
  const b = assertSplitInvariant(getAdapter("openai-chat"), 'data: {"object":"error","message":"This model\'s maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}\n\n');
  assert.deepEqual(ofType(b, "error"), [{ type: "error", message: "This model's maximum context length is 4096 tokens." }]);
});

test("an `event: error` SSE event fails the request with its data as message", () => {
  const events = assertSplitInvariant(getAdapter("openai-chat"), 'event: error\ndata: {"message":"upstream overloaded"}\n\n');
  assert.deepEqual(ofType(events, "error"), [{ type: "error", message: "upstream overloaded" }]);
  const plain = feedText(getAdapter("tgi"), "event: error\ndata: queue is full\n\n");
  assert.deepEqual(ofType(plain, "error"), [{ type: "error", message: "queue is full" }]);
});

for (const api of SSE_APIS) {
  test(`${api}: malformed JSON in a data line gives one short error event, parsing goes on`, () => {
    const broken = `data: {"text": "unterminated ${"x".repeat(400)}\n\n`;
    const events = assertSplitInvariant(getAdapter(api), broken + "data: [DONE]\n\n");
    const errors = ofType(events, "error");
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /^malformed JSON in stream: \{"text": "unterminated x+…$/);
    assert.ok(errors[0].message.length <= 160, "message stays short");
  });
}

test("one JSON object per data line without blank separators is still parsed (lenient servers)", () => {
  const events = feedText(getAdapter("openai-completions"), 'data: {"choices":[{"index":0,"text":"a"}]}\ndata: {"choices":[{"index":0,"text":"b"}]}\n\n');
  assert.deepEqual(events.filter((e) => e.type === "content").map((e) => (e.type === "content" ? e.text : "")), ["a", "b"]);
  assert.equal(ofType(events, "error").length, 0);
});

test("no parser throws on arbitrary input (fuzz, fixed seed)", () => {
  const rand = prng(1234);
  const alphabet = ['data: ', "data:", "\n", "\r\n", "\r", ": ping", "event: error", "error: ", "{", "}", '"', "[DONE]", '{"error":', "null", "é", "🦙", '{"choices":[', '"text":"a"', '"token":{', '"done":true', "]", ",", "1e999", "\uFEFF"];
  for (const api of API_KINDS) {
    for (let r = 0; r < 300; r++) {
      const parser = getAdapter(api).createParser();
      const n = Math.floor(rand() * 40);
      assert.doesNotThrow(() => {
        for (let i = 0; i < n; i++) parser.feed(alphabet[Math.floor(rand() * alphabet.length)]);
        parser.end();
      }, `${api} run ${r}`);
    }
  }
});
