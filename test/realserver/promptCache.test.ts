// Prompt reuse across loads against llama.cpp's own llama-server (issue #17): llama.cpp keeps
// each slot's last prompt and reuses its longest common prefix by default, so a load that
// re-sent an earlier load's prompts would measure the cache (cache_n = whole prompt, prompt_n =
// 1), not prefill. The server's own per-request timings say what it took from the cache.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runBenchmark } from "../../src/benchmark/run.js";
import { PRESETS } from "../../src/engine/gguf/presets.js";
import type { BenchmarkOptions } from "../../src/benchmark/options.js";
import type { RequestRecord } from "../../src/measure/types.js";
import { startLlamaServer, type LlamaServer } from "../support/llamaServer.js";

const PRESET = "tiny";
const INPUT = 64;
const PREFIX = 32;
const SLOTS = 4;

describe(`prompt cache on llama-server (CPU, ${PRESET} model, ${SLOTS} slots)`, () => {
  let server: LlamaServer;
  before(async () => {
    server = await startLlamaServer(PRESET, SLOTS);
  }, { timeout: 30 * 60_000 });
  after(() => server?.close());

  const run = async (o: Partial<BenchmarkOptions>) => {
    const lines: string[] = [];
    const r = await runBenchmark({
      targets: [server.url],
      api: "llamacpp",
      tokenizer: PRESETS[PRESET].vocab,
      workload: { kind: "synthetic", input: { kind: "fixed", value: INPUT }, output: { kind: "fixed", value: 8 } },
      requests: 6,
      warmup: 1,
      timeoutS: 120,
      db: null,
      loads: [{ mode: "concurrency", concurrency: 1 }],
      log: (l) => lines.push(l),
      ...o,
    });
    for (const recs of r.records) for (const rec of recs) assert.ok(rec.ok, `request ${rec.index}: ${rec.errorKind} ${rec.error}`);
    return { ...r, warnings: lines.filter((l) => l.includes("PROMPT_CACHE_EXCESS")) };
  };
  const cacheN = (recs: RequestRecord[]) => recs.map((r) => r.serverTimings?.cache_n);

  test("-c 4,1: the second load's prompts are new to the server (cache_n is BOS or a chance first word), no warning", async () => {
    const r = await run({ seed: 101, loads: [{ mode: "concurrency", concurrency: 4 }, { mode: "concurrency", concurrency: 1 }] });
    assert.equal(r.records.length, 2);
    for (const [i, recs] of r.records.entries()) {
      assert.equal(recs.length, 6);
      for (const rec of recs) {
        const t = rec.serverTimings!;
        // BOS is shared by every prompt; a first word in common by 1/|vocabulary| chance
        assert.ok(t.cache_n <= 2, `load ${i} request ${rec.index}: cache_n ${t.cache_n}, prompt_n ${t.prompt_n} (${cacheN(recs).join(",")})`);
        assert.ok(t.prompt_n >= INPUT - 1, `load ${i} request ${rec.index}: prompt_n ${t.prompt_n}: prefill was skipped`);
        assert.equal(rec.cachedInputTokens, t.cache_n, "the record carries the server's cache_n");
      }
      const s = r.summaries[i].requests;
      assert.ok(s.prompt_cache_hit_share! < 0.05, `load ${i}: hit share ${s.prompt_cache_hit_share}`);
      // intent: the BOS the server adds to each 64-token prompt, 1/65
      assert.ok(Math.abs(s.prompt_cache_intended_share! - 1 / (INPUT + 1)) < 1e-9, `intended ${s.prompt_cache_intended_share}`);
    }
    assert.deepEqual(r.warnings, []);
  });

  test(`--shared-prefix ${PREFIX}: every request takes the prefix from the cache, as intended, no warning`, async () => {
    const r = await run({ seed: 102, workload: { kind: "synthetic", input: { kind: "fixed", value: INPUT }, output: { kind: "fixed", value: 8 }, sharedPrefixTokens: PREFIX }, loads: [{ mode: "concurrency", concurrency: 2 }, { mode: "concurrency", concurrency: 1 }] });
    for (const [i, recs] of r.records.entries()) {
      for (const rec of recs) {
        const t = rec.serverTimings!;
        // BOS + the prefix are cached (the test request and warm-up put them in the slots); the rest is new
        assert.ok(t.cache_n >= PREFIX + 1 && t.cache_n <= PREFIX + 3, `load ${i} request ${rec.index}: cache_n ${t.cache_n} (${cacheN(recs).join(",")})`);
      }
      const s = r.summaries[i].requests;
      const intended = (PREFIX + 1) / (INPUT + 1);
      assert.ok(Math.abs(s.prompt_cache_intended_share! - intended) < 1e-9, `intended ${s.prompt_cache_intended_share}`);
      assert.ok(s.prompt_cache_hit_share! >= intended - 0.05 && s.prompt_cache_hit_share! <= intended + 0.05, `load ${i}: hit ${s.prompt_cache_hit_share} vs intended ${intended}`);
    }
    assert.deepEqual(r.warnings, []);
  });

  test("the same prompts sent twice (same seed and promptOffset): the server answers from its cache, hit share ~1, one warning", async () => {
    const first = await run({ seed: 103 });
    assert.deepEqual(first.warnings, []);
    const again = await run({ seed: 103, promptOffset: 0, loads: [{ mode: "concurrency", concurrency: 1 }, { mode: "concurrency", concurrency: 1 }] });
    // the first load re-sends the earlier call's prompts: whole prompt from the cache but the last token
    for (const rec of again.records[0]) assert.ok(rec.serverTimings!.cache_n >= INPUT - 1, `request ${rec.index}: cache_n ${rec.serverTimings!.cache_n}`);
    assert.ok(again.summaries[0].requests.prompt_cache_hit_share! > 0.9, `hit share ${again.summaries[0].requests.prompt_cache_hit_share}`);
    // its second load has new prompts again
    assert.ok(again.summaries[1].requests.prompt_cache_hit_share! < 0.05, `second load hit share ${again.summaries[1].requests.prompt_cache_hit_share}`);
    assert.equal(again.warnings.length, 1, again.warnings.join("\n"));
    assert.match(again.warnings[0], new RegExp(`run ${again.summaries[0].id}: the server took 9\\d\\.\\d% of the prompt tokens from its prefix cache`));
    // continuing where the last call stopped sends nothing the server has seen (`again` went past
    // `first`'s range with its second load, so it is `again`'s offset that moves on)
    assert.ok(again.nextPromptOffset! > first.nextPromptOffset!);
    const next = await run({ seed: 103, promptOffset: again.nextPromptOffset });
    assert.ok(next.summaries[0].requests.prompt_cache_hit_share! < 0.05, `next: hit ${next.summaries[0].requests.prompt_cache_hit_share} offset ${again.nextPromptOffset} cache_n ${cacheN(next.records[0]).join(",")}`);
    assert.deepEqual(next.warnings, []);
  });
});
