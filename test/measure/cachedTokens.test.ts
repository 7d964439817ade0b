// Server-reported cached prompt tokens, per wire format, as a real HTTP stream reaches the record
// (RequestRecord.cachedInputTokens) and the summary (requests.prompt_cache_hit_share), and the
// PROMPT_CACHE_EXCESS warning built from them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { promptCacheWarning, runBenchmark } from "../../src/benchmark/run.js";
import { promptCacheShares } from "../../src/aggregate/accumulator.js";
import { cachedInputTokensOf } from "../../src/measure/record.js";
import type { ApiKind } from "../../src/protocols/types.js";
import type { RunSummary } from "../../src/aggregate/types.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import type { TimedFrame } from "../support/streamShapes.js";

const PROMPT = 40;
const frames = (payloads: unknown[]): TimedFrame[] => payloads.map((p, i) => ({ atMs: 2 + i, data: typeof p === "string" ? p : JSON.stringify(p) }));
const text = (t: string, extra: Record<string, unknown> = {}) => ({ choices: [{ index: 0, text: t, finish_reason: null }], ...extra });

// What each server sends when it took 30 of the 40 prompt tokens from its prefix cache.
const STREAMS: Array<{ name: string; api: ApiKind; frames: TimedFrame[] }> = [
  {
    name: "vLLM / OpenAI usage.prompt_tokens_details.cached_tokens",
    api: "openai-completions",
    frames: frames([
      text(" a"),
      text(" b"),
      { choices: [], usage: { prompt_tokens: PROMPT, completion_tokens: 2, total_tokens: PROMPT + 2, prompt_tokens_details: { cached_tokens: 30 } } },
      "[DONE]",
    ]),
  },
  {
    name: "llama.cpp OpenAI endpoint timings.cache_n",
    api: "openai-completions",
    frames: frames([
      text(" a"),
      text(" b"),
      { choices: [{ index: 0, text: "", finish_reason: "length" }], usage: { prompt_tokens: PROMPT, completion_tokens: 2 }, timings: { cache_n: 30, prompt_n: 10, prompt_ms: 5, predicted_n: 2, predicted_ms: 3 } },
      "[DONE]",
    ]),
  },
  {
    name: "llama.cpp native /completion timings.cache_n",
    api: "llamacpp",
    frames: frames([
      { content: " a", tokens: [11], stop: false },
      { content: " b", tokens: [12], stop: false },
      { content: "", stop: true, tokens_predicted: 2, tokens_evaluated: PROMPT, stop_type: "limit", timings: { cache_n: 30, prompt_n: 10, prompt_ms: 5, predicted_n: 2, predicted_ms: 3 } },
    ]),
  },
  {
    name: "SGLang native meta_info.cached_tokens",
    api: "sglang",
    frames: frames([
      { text: " a", meta_info: { prompt_tokens: PROMPT, completion_tokens: 1, cached_tokens: 30, finish_reason: null } },
      { text: " a b", meta_info: { prompt_tokens: PROMPT, completion_tokens: 2, cached_tokens: 30, finish_reason: { type: "length" } } },
      "[DONE]",
    ]),
  },
];

async function replay(api: ApiKind, f: TimedFrame[]) {
  const srv = await startScriptedServer({ script: { ttftMs: 0, itlMs: 0, frames: f } });
  try {
    return await runBenchmark({
      targets: [srv.url],
      api,
      requests: 3,
      warmup: 0,
      preflight: false,
      db: null,
      seed: 3,
      tokenizer: "bytes",
      loads: [{ mode: "concurrency", concurrency: 1 }],
      workload: { kind: "synthetic", input: { kind: "fixed", value: PROMPT }, output: { kind: "fixed", value: 2 } },
    });
  } finally {
    await srv.close();
  }
}

for (const s of STREAMS) {
  test(`${s.name}: cachedInputTokens on each record, hit share 30/40 in the summary, one warning`, async () => {
    const lines: string[] = [];
    const srv = await startScriptedServer({ script: { ttftMs: 0, itlMs: 0, frames: s.frames } });
    let r;
    try {
      r = await runBenchmark({
        targets: [srv.url],
        api: s.api,
        requests: 3,
        warmup: 0,
        preflight: false,
        db: null,
        seed: 3,
        tokenizer: "bytes",
        loads: [{ mode: "concurrency", concurrency: 1 }, { mode: "concurrency", concurrency: 1 }],
        workload: { kind: "synthetic", input: { kind: "fixed", value: PROMPT }, output: { kind: "fixed", value: 2 } },
        log: (l) => lines.push(l),
      });
    } finally {
      await srv.close();
    }
    for (const recs of r.records) {
      assert.equal(recs.length, 3);
      for (const rec of recs) {
        assert.ok(rec.ok, rec.error);
        assert.equal(rec.cachedInputTokens, 30);
        assert.equal(rec.inputTokens, PROMPT);
      }
    }
    for (const sum of r.summaries) {
      assert.equal(sum.requests.prompt_cache_hit_share, 0.75);
      assert.equal(sum.requests.prompt_cache_intended_share, 0);
    }
    // two loads over the limit: warned once for the call
    const warnings = lines.filter((l) => l.includes("PROMPT_CACHE_EXCESS"));
    assert.equal(warnings.length, 1, lines.join("\n"));
    assert.match(warnings[0], /75\.0% of the prompt tokens from its prefix cache, the workload meant 0\.0%/);
  });
}

test("a server that reports no cached count: no field on the records, no hit share, no warning", async () => {
  const r = await replay("openai-completions", frames([text(" a"), text(" b"), { choices: [], usage: { prompt_tokens: PROMPT, completion_tokens: 2 } }, "[DONE]"]));
  for (const rec of r.records[0]) assert.equal(rec.cachedInputTokens, undefined);
  assert.equal("prompt_cache_hit_share" in r.summaries[0].requests, false);
  assert.equal(r.summaries[0].requests.prompt_cache_intended_share, 0);
  assert.equal(promptCacheWarning(r.summaries[0]), undefined);
});

test("cachedInputTokensOf: the usage field first, else llama.cpp's cache_n; nonsense ignored", () => {
  assert.equal(cachedInputTokensOf({ usage: { cachedPromptTokens: 5, source: "x" }, timings: { cache_n: 9 } }), 5);
  assert.equal(cachedInputTokensOf({ timings: { cache_n: 9 } }), 9);
  assert.equal(cachedInputTokensOf({ timings: { prompt_n: 9 } }), undefined);
  assert.equal(cachedInputTokensOf({ timings: { cache_n: -1 } }), undefined);
  assert.equal(cachedInputTokensOf({}), undefined);
});

test("promptCacheShares: intent = shared prefix + the server's frame (BOS, template) per request; own reuse (trace, sessions) has none", () => {
  const load = { mode: "concurrency", concurrency: 1 } as never;
  // 4 requests of 65 server tokens (64 asked + BOS), 32-token shared prefix, 100 tokens hit
  const c = { cached: 100, input: 260, frame: 4, reported: 4, allInput: 260, allFrame: 4, all: 4 };
  const shares = promptCacheShares(c, { load, workload: { shared_prefix_tokens: 32 } as never });
  assert.equal(shares.prompt_cache_hit_share, 100 / 260);
  assert.equal(shares.prompt_cache_intended_share, (32 * 4 + 4) / 260);
  const none = promptCacheShares({ ...c, reported: 0, cached: 0, input: 0, frame: 0 }, { load, workload: undefined });
  assert.equal(none.prompt_cache_hit_share, undefined);
  assert.equal(none.prompt_cache_intended_share, 4 / 260);
  assert.equal(promptCacheShares(c, { load: { mode: "sessions" } as never, workload: undefined }).prompt_cache_intended_share, undefined);
  assert.equal(promptCacheShares(c, { load: { mode: "trace" } as never, workload: undefined }).prompt_cache_intended_share, undefined);
});

test("promptCacheWarning: only above intended + 0.1, and never without both shares", () => {
  const at = (hit: number | undefined, intended: number | undefined) => promptCacheWarning({ id: "r", requests: { prompt_cache_hit_share: hit, prompt_cache_intended_share: intended } } as unknown as RunSummary);
  assert.equal(at(0.5, 0.45), undefined);
  assert.equal(at(0.55, 0.45), undefined);
  assert.match(at(0.56, 0.45)!, /^warning: PROMPT_CACHE_EXCESS: run r: .*56\.0%.*45\.0%/);
  assert.equal(at(0.9, undefined), undefined);
  assert.equal(at(undefined, 0), undefined);
});
