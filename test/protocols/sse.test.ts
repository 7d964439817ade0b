import { test } from "node:test";
import assert from "node:assert/strict";
import { createSseDecoder, type SseEvent } from "../../src/protocols/sse.js";
import { prng } from "./feed.js";

function decode(pieces: string[]): SseEvent[] {
  const d = createSseDecoder();
  const out = pieces.flatMap((p) => d.feed(p));
  return [...out, ...d.end()];
}

/** Every 2-piece cut and 100 seeded random multi-cuts must decode like the whole text. */
function assertAnySplit(text: string, expected: SseEvent[]): void {
  assert.deepEqual(decode([text]), expected, "whole");
  for (let i = 0; i <= text.length; i++) assert.deepEqual(decode([text.slice(0, i), text.slice(i)]), expected, `cut ${i}`);
  assert.deepEqual(decode([...text]), expected, "one char at a time");
  const rand = prng(7);
  for (let r = 0; r < 100; r++) {
    const cuts = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => Math.floor(rand() * text.length)).sort((a, b) => a - b);
    const pieces: string[] = [];
    let prev = 0;
    for (const c of [...cuts, text.length]) {
      pieces.push(text.slice(prev, c));
      prev = c;
    }
    assert.deepEqual(decode(pieces), expected, `cuts ${cuts.join(",")}`);
  }
}

test("data with and without the optional space", () => {
  assertAnySplit('data: {"a":1}\n\ndata:{"b":2}\n\ndata:  two spaces\n\n', [
    { event: "message", data: '{"a":1}' },
    { event: "message", data: '{"b":2}' },
    { event: "message", data: " two spaces" },
  ]);
});

test("comments and keep-alives are ignored, event/id/retry handled", () => {
  assertAnySplit(": ping\n\n:\n\nevent: token\nid: 7\nretry: 1000\ndata: x\n\n: trailing comment\ndata: y\n\n", [
    { event: "token", data: "x" },
    { event: "message", data: "y" },
  ]);
});

test("CRLF, lone CR and LF line endings, including a CRLF split between pieces", () => {
  const expected = [
    { event: "message", data: "crlf" },
    { event: "message", data: "cr" },
    { event: "message", data: "lf" },
  ];
  assertAnySplit("data: crlf\r\n\r\ndata: cr\r\rdata: lf\n\n", expected);
  // A CR at the end of one piece and its LF at the start of the next must not make an extra blank line.
  assert.deepEqual(decode(["data: a\r", "\ndata: b\r\n\r\n"]), [{ event: "message", data: "a\nb" }]);
});

test("multi-line data joins with newlines; empty data line dispatches empty data", () => {
  assertAnySplit('data: {"a":\ndata: 1}\n\ndata\n\n', [
    { event: "message", data: '{"a":\n1}' },
    { event: "message", data: "" },
  ]);
});

test("end() flushes a final event that has no blank line, even without a final newline", () => {
  assert.deepEqual(decode(["data: last"]), [{ event: "message", data: "last" }]);
  assert.deepEqual(decode(["data: last\n"]), [{ event: "message", data: "last" }]);
  assert.deepEqual(decode(["data: last\r"]), [{ event: "message", data: "last" }]);
  assert.deepEqual(decode([""]), []);
  assert.deepEqual(decode([": only a comment"]), []);
});

test("unknown fields are kept (llama.cpp `error:` lines) and a leading BOM is dropped", () => {
  assertAnySplit('\uFEFFerror: {"code":500,"message":"boom"}\n\ndata: ok\n\n', [
    { event: "message", data: "", fields: { error: '{"code":500,"message":"boom"}' } },
    { event: "message", data: "ok" },
  ]);
});

test("a long line delivered in many small pieces is not lost or duplicated", () => {
  const payload = "x".repeat(50_000);
  const text = `data: ${payload}\n\n`;
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += 97) pieces.push(text.slice(i, i + 97));
  assert.deepEqual(decode(pieces), [{ event: "message", data: payload }]);
});
