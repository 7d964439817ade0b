// tokenbench against llama.cpp's own llama-server (CPU, built from the llama.cpp source that
// node-llama-cpp ships, scripts/build-llama-server.sh) serving a generated model: the numbers
// tokenbench reports must agree with the server's own counts and timings.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { runBenchmark } from "../../src/benchmark/run.js";
import { PRESETS } from "../../src/engine/gguf/presets.js";
import type { RequestRecord } from "../../src/measure/types.js";
import type { ApiKind } from "../../src/protocols/types.js";
import { startLlamaServer, type LlamaServer } from "../support/llamaServer.js";

const PRESET = "tiny";
const INPUT = 64;
const OUTPUT = 32;
const REQUESTS = 12;
const SLOTS = 4;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe(`llama.cpp's llama-server (CPU) with the generated ${PRESET} model`, () => {
  let server: LlamaServer;
  let url: string;
  before(async () => {
    server = await startLlamaServer(PRESET, SLOTS);
    url = server.url;
  }, { timeout: 30 * 60_000 });
  after(() => server?.close());

  for (const api of ["openai-completions", "openai-chat", "llamacpp"] as ApiKind[]) {
    test(`${api}: counts equal the server's, no failures, TPOT within 3% of the server's decode time, no prefix-cache artifact`, async () => {
      const res = await runBenchmark({
        targets: [url],
        api,
        workload: { kind: "synthetic", input: { kind: "fixed", value: INPUT }, output: { kind: "fixed", value: OUTPUT } },
        tokenizer: PRESETS[PRESET].vocab,
        loads: [{ mode: "concurrency", concurrency: SLOTS }],
        requests: REQUESTS,
        warmup: 1,
        seed: api.length,
        timeoutS: 120,
        db: null,
      });
      const recs: RequestRecord[] = res.records[0];
      const s = res.summaries[0];
      assert.equal(recs.length, REQUESTS);
      for (const r of recs) assert.ok(r.ok, `request ${r.index} failed: ${r.errorKind} ${r.error}`);
      assert.equal(s.requests.failed, 0);

      for (const r of recs) {
        const t = r.serverTimings;
        assert.ok(t, `request ${r.index}: llama.cpp's timings block is read`);
        // requested == server's count == tokenbench's count
        assert.equal(r.requestedOutputTokens, OUTPUT);
        assert.equal(t.predicted_n, OUTPUT, `request ${r.index}: server generated ${t.predicted_n}`);
        assert.equal(r.outputTokens, OUTPUT, `request ${r.index}: tokenbench counted ${r.outputTokens}`);
        assert.equal(r.lengthMismatch, false);
        // one chunk per token: the generated model only emits whole printable tokens
        assert.equal(r.chunks.length, OUTPUT, `request ${r.index}: ${r.chunks.length} chunks with output`);
        // input: the client tokenizer's count is the server's prompt count (plus BOS)
        assert.equal(r.inputTokensSource, "server");
        if (api === "openai-chat") {
          // the server's chat template adds its own tokens around the prompt
          assert.ok(r.inputTokens > INPUT + 1 && r.inputTokens < INPUT + 40, `chat prompt ${r.inputTokens} tokens`);
        } else {
          assert.equal(r.inputTokens, INPUT + 1, `request ${r.index}: server prompt ${r.inputTokens} tokens`);
        }
        // distinct prompts: nothing but BOS (and by chance a first word) comes from the prefix cache;
        // for chat also the template's tokens before the prompt, shared by every request as on a real model
        const shared = api === "openai-chat" ? r.inputTokens - INPUT : 1;
        assert.ok((t.cache_n ?? 0) <= shared + 2, `request ${r.index}: cache_n ${t.cache_n} (at most ${shared} tokens are shared)`);
        assert.equal(t.prompt_n + (t.cache_n ?? 0), r.inputTokens, `request ${r.index}: prompt_n ${t.prompt_n} + cache_n ${t.cache_n} vs ${r.inputTokens} prompt tokens`);
        // causality: the first token cannot arrive before the server finished the prompt
        assert.ok(r.ttftMs! >= t.prompt_ms, `request ${r.index}: TTFT ${r.ttftMs} < prompt_ms ${t.prompt_ms}`);
      }

      // llama.cpp's predicted_per_token_ms = (last token - first token time) / n: n - 1 intervals
      // divided by n. tokenbench's TPOT divides the same span by n - 1; compare like with like.
      const serverTpot = recs.map((r) => r.serverTimings!.predicted_ms / (r.serverTimings!.predicted_n - 1));
      const ours = recs.map((r) => r.tpotMs!);
      const ratioMean = mean(ours) / mean(serverTpot);
      const ratioMedian = median(recs.map((r, i) => ours[i] / serverTpot[i]));
      const ttftOver = median(recs.map((r) => r.ttftMs! - r.serverTimings!.prompt_ms));
      process.stderr.write(
        `[llama-server ${api}] TPOT mean ${mean(ours).toFixed(2)} ms vs server ${mean(serverTpot).toFixed(2)} ms (x${ratioMean.toFixed(4)}, per-request median x${ratioMedian.toFixed(4)}); ` +
          `TTFT p50 ${median(recs.map((r) => r.ttftMs!)).toFixed(1)} ms, server prompt_ms p50 ${median(recs.map((r) => r.serverTimings!.prompt_ms)).toFixed(1)} ms, TTFT - prompt_ms p50 ${ttftOver.toFixed(1)} ms\n`,
      );
      assert.ok(Math.abs(ratioMean - 1) < 0.03, `TPOT mean ${mean(ours).toFixed(2)} ms vs server ${mean(serverTpot).toFixed(2)} ms`);
      assert.ok(Math.abs(ratioMedian - 1) < 0.03, `TPOT per-request median ratio ${ratioMedian.toFixed(4)}`);
    });
  }
});
