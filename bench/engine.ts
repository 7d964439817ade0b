// Decode speed of the embedded engine: the same llama.cpp context driven directly through
// node-llama-cpp and through the HTTP server (streaming, in this process, as `tokenbench run` does),
// for the tiny and small presets at parallel 1 and 4; the server's overhead; preset generation
// times; and decode speed by thread count.
//
//   node --import tsx bench/engine.ts [--repeats 3] [--tiny-tokens 512] [--small-tokens 128] [--threads N] [--skip-threads]
//
// "server (in-process)": the server shares this process, so the HTTP client's parsing runs on its
// thread and counts as overhead. "server (own process)": `tokenbench serve` in a child process,
// as `tokenbench run` starts it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
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

/** `tokenbench serve` in a child process; resolves once it prints its URL. */
async function startServeProcess(model: string, parallel: number): Promise<{ url: string; stop: () => Promise<void> }> {
  const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", "tsx", main, "serve", "--model", model, "--port", "0", "--parallel", String(parallel), "--context", String(CONTEXT), "--threads", String(threads)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^(http:\/\/\S+) /.exec(line);
      if (m) resolve(m[1]);
    });
    child.once("exit", (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
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

  console.log("\ndecode throughput (overhead = (direct - server) / direct):");
  console.log("  preset  parallel  tokens/req  direct tok/s  server in-process tok/s (overhead)  server own process tok/s (overhead)");
  const pct = (d: number, s: number) => `${(((d - s) / d) * 100).toFixed(1)}%`;
  for (const preset of ["tiny", "small"]) {
    for (const parallel of [1, 4]) {
      const engine = await LlamaEngine.load({ modelPath: paths[preset], parallel, context: CONTEXT, threads });
      const n = tokensFor[preset];
      await directTokS(engine, parallel, Math.min(n, 32)); // warm-up
      const server = await startEngineServer({ engine, modelName: preset, host: "127.0.0.1", port: 0 });
      const child = await startServeProcess(paths[preset], parallel);
      await serverTokS(child.url, parallel, Math.min(n, 32)); // warm-up
      const direct: number[] = [];
      const inProcess: number[] = [];
      const ownProcess: number[] = [];
      // interleaved so drift in machine load hits all three alike
      for (let r = 0; r < repeats; r++) {
        direct.push(await directTokS(engine, parallel, n));
        inProcess.push(await serverTokS(server.url, parallel, n));
        ownProcess.push(await serverTokS(child.url, parallel, n));
      }
      await child.stop();
      await server.close(); // also disposes the engine
      const d = median(direct);
      const s = median(inProcess);
      const o = median(ownProcess);
      console.log(
        `  ${preset.padEnd(6)}  ${String(parallel).padStart(8)}  ${String(n).padStart(10)}  ${d.toFixed(1).padStart(12)}  ${`${s.toFixed(1)} (${pct(d, s)})`.padStart(35)}  ${`${o.toFixed(1)} (${pct(d, o)})`.padStart(35)}`,
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
