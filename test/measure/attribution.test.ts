// Per-chunk token attribution over stream shapes from real servers and peers' bug reports: the
// stream is parsed by the real protocol adapter, each frame at the time the server wrote it, and
// the right values are the ones the server really produced.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import type { ApiKind } from "../../src/protocols/types.js";
import type { RawChunk } from "../../src/client/streamRequest.js";
import { attributeTokens, rescale, rescaleAtLeastOne } from "../../src/measure/attribution.js";
import { deriveLatencies } from "../../src/measure/requestMetrics.js";
import { percentileSorted } from "../../src/stats.js";
import { loadTokenizer } from "../../src/workload/tokenizer.js";
import { contradictoryTotals, llamaCppOpenAiCompletions, noCounts, toolCallChat, trailingUsage, toSse, type TimedFrame } from "../support/streamShapes.js";
import { fixture } from "../protocols/feed.js";

const llama3 = await loadTokenizer();
const count = (s: string) => llama3.count(s);

/** Parses frames as the client does, one socket read per frame at its time, and attributes tokens. */
function measure(api: ApiKind, frames: readonly TimedFrame[]) {
  const parser = getAdapter(api).createParser();
  const chunks: RawChunk[] = [];
  let total: number | undefined;
  const take = (events: ReturnType<typeof parser.feed>, t: number) => {
    for (const ev of events) {
      if (ev.type === "content") chunks.push({ t, text: ev.text, tokens: ev.tokens, cumulative: ev.cumulative });
      if (ev.type === "usage" && ev.completionTokens !== undefined) total = ev.completionTokens;
    }
  };
  for (const f of frames) take(parser.feed(`data: ${f.data}\n\n`), f.atMs);
  const endAt = frames.at(-1)!.atMs;
  take(parser.end(), endAt);
  const a = attributeTokens(chunks, total, count);
  const lat = deriveLatencies({ scheduledAt: 0, sentAt: 0, endAt, chunks: a.chunks, ok: a.chunks.length > 0 });
  return { ...a, ...lat };
}

const p50 = (xs: number[]) => percentileSorted([...xs].sort((a, b) => a - b), 50);
const near = (a: number | undefined, b: number, eps = 1e-6) => assert.ok(a !== undefined && Math.abs(a - b) <= eps, `${a} != ${b}`);

test("llama.cpp /v1/completions: usage on the last, empty chunk is the request's total, not that chunk's count", () => {
  const m = measure("openai-completions", llamaCppOpenAiCompletions());
  assert.equal(m.total, 12);
  assert.equal(m.source, "server");
  assert.equal(m.anomaly, undefined);
  assert.equal(m.chunks.length, 12, "every token chunk keeps its own time");
  assert.ok(m.chunks.every(([, k]) => k === 1));
  assert.equal(m.itlMs.length, 11);
  near(p50(m.itlMs), 20);
  near(Math.max(...m.itlMs), 200, 1e-6);
  near(m.ttftMs, 60);
  near(m.e2eMs, 60 + 20 * 10 + 200);
});

test("tool calls are generated tokens: TTFT at the first tool-call chunk, ITL 20 ms", () => {
  const m = measure("openai-chat", toolCallChat());
  assert.equal(m.total, 10);
  assert.equal(m.chunks.length, 10);
  near(m.ttftMs, 50);
  assert.ok(m.itlMs.every((g) => Math.abs(g - 20) < 1e-9), m.itlMs.join(","));
  near(m.tpotMs, 20);
});

test("tool calls after 4 text chunks: 14 tokens, none smeared over the text chunks", () => {
  const m = measure("openai-chat", toolCallChat(4));
  assert.equal(m.total, 14);
  assert.equal(m.chunks.length, 14);
  assert.ok(m.chunks.every(([, k]) => k === 1));
  near(p50(m.itlMs), 20);
  near(Math.min(...m.itlMs), 20);
});

test("no server counts: each chunk with output carries at least one token (42, TPOT 20 ms)", () => {
  const m = measure("openai-completions", noCounts());
  assert.equal(m.total, 42);
  assert.equal(m.source, "tokenizer");
  near(m.tpotMs, 20);
});

test("a trailing usage chunk 150 ms after the last token: E2E and TPOT end at the last token", () => {
  const m = measure("openai-completions", trailingUsage());
  assert.equal(m.total, 15);
  near(m.e2eMs, 360);
  near(m.tpotMs, 20);
});

test("vLLM continuous usage: running totals give per-chunk counts; a held-back token keeps its own time", () => {
  const sse = fixture("vllm-completions.sse");
  const frames = sse.split("\n\n").filter((s) => s.startsWith("data: ")).map((s, i) => ({ atMs: 100 + 10 * i, data: s.slice(6) }));
  const m = measure("openai-completions", frames);
  assert.equal(m.anomaly, undefined);
  assert.deepEqual(m.chunks, [[100, 1], [110, 1], [120, 3], [130, 1], [140, 2]]);
  assert.equal(m.total, 8);
});

for (const kind of ["down", "flat", "short"] as const) {
  test(`running totals that contradict themselves (${kind}) are flagged; no chunk gets every token`, () => {
    const m = measure("openai-completions", contradictoryTotals(kind));
    assert.match(m.anomaly ?? "", /running token count/);
    const final = kind === "short" ? 16 : 8;
    assert.equal(m.total, final);
    assert.equal(m.chunks.length, 8, "every chunk with text keeps its time");
    assert.ok(m.chunks.every(([, k]) => k === final / 8), JSON.stringify(m.chunks));
  });
}

test("exact per-chunk counts that disagree with the total are flagged and reconciled", () => {
  const raw: RawChunk[] = [
    { t: 1, text: "a", tokens: 1 },
    { t: 2, text: "", tokens: 1 },
    { t: 3, text: "b", tokens: 2 },
  ];
  assert.deepEqual(attributeTokens(raw, 4, count), { chunks: [[1, 1], [2, 1], [3, 2]], from: [0, 1, 2], total: 4, source: "server" });
  const off = attributeTokens(raw, 6, count);
  assert.match(off.anomaly ?? "", /per-chunk counts sum to 4/);
  assert.equal(off.total, 6);
  assert.equal(off.chunks.length, 3);
});

test("a server total smaller than the chunks with text is flagged", () => {
  const raw: RawChunk[] = [1, 2, 3, 4].map((t) => ({ t, text: "x" }));
  const a = attributeTokens(raw, 2, count);
  assert.match(a.anomaly ?? "", /2 tokens for 4 chunks/);
  assert.equal(a.total, 2);
});

test("a stream whose only output-free chunk carries a total has no token chunk", () => {
  const a = attributeTokens([{ t: 5, text: "", cumulative: 7 }], 7, count);
  assert.deepEqual(a.chunks, []);
});

test("rescaling: integer counts summing to the total; at least one per chunk with output", () => {
  assert.deepEqual(rescale([1, 1, 1, 1], 8), [2, 2, 2, 2]);
  assert.deepEqual(rescale([0, 0], 3), [2, 1]);
  assert.deepEqual(rescaleAtLeastOne([1, 1, 1, 1], 6), [2, 2, 1, 1]);
  assert.deepEqual(rescaleAtLeastOne([1, 5, 0, 1], 7), [1, 5, 0, 1]);
  assert.deepEqual(rescaleAtLeastOne([1, 3, 1], 9), [1, 7, 1]);
  for (const total of [4, 5, 9, 31]) {
    const out = rescaleAtLeastOne([2, 1, 4, 1], total);
    assert.equal(out.reduce((a, b) => a + b, 0), total);
    assert.ok(out.every((k) => k >= 1));
  }
});

test("shapes serialise to SSE the scripted server can replay", () => {
  assert.match(toSse(toolCallChat()), /^data: .*\n\ndata: /);
});
