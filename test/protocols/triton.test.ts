import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { assertSplitInvariant, contents, fixture, ofType, textOf } from "./feed.js";

const adapter = getAdapter("triton");

test("request: model in the path (default ensemble), text_input/max_tokens, min_length for exact output", () => {
  const spec = adapter.buildRequest({ prompt: "What is ML?", maxTokens: 8, exactOutput: true, seed: 11 });
  assert.equal(spec.path, "/v2/models/ensemble/generate_stream");
  assert.deepEqual(JSON.parse(spec.body!), {
    text_input: "What is ML?",
    max_tokens: 8,
    bad_words: "",
    stop_words: "",
    stream: true,
    random_seed: 11,
    min_length: 8,
  });
  const bls = adapter.buildRequest({ prompt: "x", model: "tensorrt_llm_bls", maxTokens: 2, exactOutput: false, temperature: 0.5, extraBody: { accumulate_tokens: true } });
  assert.equal(bls.path, "/v2/models/tensorrt_llm_bls/generate_stream");
  const body = JSON.parse(bls.body!);
  assert.equal(body.temperature, 0.5);
  assert.equal(body.min_length, undefined);
  assert.equal(body.accumulate_tokens, true);
  assert.equal(adapter.buildRequest({ prompt: "x", model: "a b/c", maxTokens: 1, exactOutput: false }).path, "/v2/models/a%20b%2Fc/generate_stream");
});

const WORDS = [" Machine", " learning", " is", " a", " field", " of", " AI", " ‑ naïve"];

for (const name of ["triton-delta.sse", "triton-cumulative.sse"]) {
  test(`stream (${name}): text_output deltas recovered; no counts, no end marker`, () => {
    const events = assertSplitInvariant(adapter, fixture(name));
    assert.deepEqual(contents(events), WORDS.map((text) => ({ text, tokens: undefined })));
    assert.equal(textOf(events), WORDS.join(""));
    assert.equal(ofType(events, "usage").length, 0);
    assert.equal(ofType(events, "done").length, 0);
  });
}

test("Triton error object in the stream fails the request", () => {
  const events = assertSplitInvariant(adapter, 'data: {"text_output":" a"}\n\ndata: {"error":"in ensemble \'ensemble\', Encountered error for requestId 1: max_tokens exceeds limit"}\n\n');
  assert.equal(textOf(events), " a");
  assert.equal(ofType(events, "error").length, 1);
  assert.match(ofType(events, "error")[0].message, /max_tokens exceeds limit/);
});
