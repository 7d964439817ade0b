// Decode speed of the embedded engine: the same llama.cpp context driven directly through
// node-llama-cpp and through the HTTP server (streaming, in this process, as `tokenbench run` does),
// for the tiny and small presets at parallel 1 and 4; the server's overhead; preset generation
// times; and decode speed by thread count.
//
//   node --import tsx bench/engine.ts [--repeats 3] [--tiny-tokens 512] [--small-tokens 128] [--threads N] [--skip-threads]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Token } from "node-llama-cpp";
import { defaultThreads, LlamaEngine } from "../src/engine/engine.js";
import { generatePresetModel } from "../src/engine/models.js";
import { startEngineServer } from "../src/engine/server.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const repeats = Number(arg("repeats", "3"));
const tokensFor: Record<string, number> = { tiny: Number(arg("tiny-tokens", "512")), small: Number(arg("small-tokens", "128")) };
const threads = Number(arg("threads", String(defaultThreads())));
const CONTEXT = 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** P sequences, each generating n tokens with end-of-sequence suppressed: generated tokens / wall second. */
async function directTokS(engine: LlamaEngine, parallel: number, n: number): Promise<number> {
  const prompt = engine.tokenizePrompt("benchmark prompt");
  const seqs = await Promise.all(Array.from({ length: parallel }, () => engine.pool.acquire()));
  const t0 = performance.now();
  await Promise.all(
    seqs.map(async (seq, i) => {
      let k = 0;
      for await (const _t of seq.evaluate(prompt as Token[], { temperature: 1, topK: 0, topP: 1, seed: i + 1, tokenBias: () => engine.biasFor(true) })) {
        if (++k >= n) break;
      }
    }),
  );
  const dt = performance.now() - t0;
  for (const s of seqs) {
    await s.clearHistory();
    engine.pool.release(s);
  }
  return (parallel * n) / (dt / 1000);
}

async function serverTokS(url: string, parallel: number, n: number): Promise<number> {
  const t0 = performance.now();
  const counts = await Promise.all(
    Array.from({ length: parallel }, async (_, i) => {
      const res = await fetch(`${url}/v1/completions`, {
        method: "POST",
        body: JSON.stringify({ prompt: "benchmark prompt", max_tokens: n, ignore_eos: true, temperature: 1, seed: i + 1, stream: true, stream_options: { include_usage: true } }),
      });
      const text = await res.text();
      const usage = text.split("\n\n").filter((f) => f.includes('"choices":[]')).map((f) => JSON.parse(f.slice(6)).usage.completion_tokens as number)[0];
      if (usage !== n) throw new Error(`expected ${n} tokens, got ${usage}`);
      return usage;
    }),
  );
  const dt = performance.now() - t0;
  return counts.reduce((a, b) => a + b, 0) / (dt / 1000);
}

const home = mkdtempSync(join(tmpdir(), "tokenbench-bench-"));
process.env.TOKENBENCH_HOME = home;
try {
  console.log(`threads ${threads}, context ${CONTEXT}/sequence, median of ${repeats} repeats; tok/s = generated tokens / wall time of the batch`);
  console.log("\npreset generation (fresh, to a temp dir):");
  const paths: Record<string, string> = {};
  for (const preset of ["tiny", "small"]) {
    const r = await generatePresetModel(preset, { force: true });
    paths[preset] = r.path;
    console.log(`  ${preset.padEnd(6)} ${(r.bytes / 1e6).toFixed(1).padStart(7)} MB in ${r.seconds.toFixed(2)} s (${(r.bytes / 1e6 / r.seconds).toFixed(0)} MB/s)`);
  }

  console.log("\ndecode throughput:");
  console.log("  preset  parallel  tokens/req  direct tok/s  server tok/s  server overhead");
  for (const preset of ["tiny", "small"]) {
    for (const parallel of [1, 4]) {
      const engine = await LlamaEngine.load({ modelPath: paths[preset], parallel, context: CONTEXT, threads });
      const n = tokensFor[preset];
      await directTokS(engine, parallel, Math.min(n, 32)); // warm-up
      const server = await startEngineServer({ engine, modelName: preset, host: "127.0.0.1", port: 0 });
      const direct: number[] = [];
      const viaServer: number[] = [];
      // interleaved so drift in machine load hits both sides alike
      for (let r = 0; r < repeats; r++) {
        direct.push(await directTokS(engine, parallel, n));
        viaServer.push(await serverTokS(server.url, parallel, n));
      }
      await server.close(); // also disposes the engine
      const d = median(direct);
      const s = median(viaServer);
      console.log(
        `  ${preset.padEnd(6)}  ${String(parallel).padStart(8)}  ${String(n).padStart(10)}  ${d.toFixed(1).padStart(12)}  ${s.toFixed(1).padStart(12)}  ${(((d - s) / d) * 100).toFixed(1).padStart(14)}%`,
      );
    }
  }

  console.log("\nprefill (direct, parallel 1, 512-token prompt, time to first token):");
  for (const preset of ["tiny", "small"]) {
    const engine = await LlamaEngine.load({ modelPath: paths[preset], parallel: 1, context: CONTEXT, threads });
    const prompt = engine.tokenizePrompt("p".repeat(511));
    const xs: number[] = [];
    for (let r = 0; r < repeats + 1; r++) {
      const seq = await engine.pool.acquire();
      const t0 = performance.now();
      for await (const _t of seq.evaluate(prompt, { temperature: 0 })) break;
      if (r > 0) xs.push(prompt.length / ((performance.now() - t0) / 1000));
      await seq.clearHistory();
      engine.pool.release(seq);
    }
    await engine.close();
    console.log(`  ${preset.padEnd(6)} ${median(xs).toFixed(0)} prompt tok/s`);
  }

  if (!process.argv.includes("--skip-threads")) {
    console.log("\ndecode by thread count (small, parallel 1, direct):");
    for (const t of [1, 2]) {
      const engine = await LlamaEngine.load({ modelPath: paths.small, parallel: 1, context: CONTEXT, threads: t });
      await directTokS(engine, 1, 16);
      const xs: number[] = [];
      for (let r = 0; r < repeats; r++) xs.push(await directTokS(engine, 1, tokensFor.small));
      await engine.close();
      console.log(`  threads ${t}: ${median(xs).toFixed(1)} tok/s`);
    }
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
