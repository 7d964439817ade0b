// The embedded engine against llama.cpp's own llama-server, side by side in one run: the same
// GGUF (`small`), threads, per-slot context and 4 slots; closed-loop streaming loads at c=1 and
// c=4 through tokenbench's client, servers interleaved (rotated) in every repeat so the machine's
// load drifts over all alike. Three servers:
//   plain         llama-server started by this script, the command line the issue used
//   llama-server  `tokenbench serve --engine llama-server` (what run/sweep/serve use by default
//                 when the binary is found)
//   node-llama-cpp `tokenbench serve --engine node-llama-cpp` (the in-process binding)
// Printed per back-end and concurrency: median output tok/s (whole run, tokenbench's
// throughput.output_tokens_per_s) and its ratio to plain; median output tokens per CPU-second
// of the server's process tree (utime + stime from /proc, warm-up included) and its ratio. On a
// shared machine the CPU ratio is the steadier of the two: it does not move with other load.
// And the median of the runs' TTFT p50, to see that prefill is not starved under load.
//
//   node --import tsx bench/engine-vs-llama-server.ts [--repeats 3] [--tokens 128] [--input 64] [--threads N] [--context 1024]
import { readdirSync, readFileSync } from "node:fs";
import { runBenchmark } from "../src/benchmark/run.js";
import { startEmbeddedTarget } from "../src/benchmark/embeddedTarget.js";
import { defaultThreads } from "../src/engine/engine.js";
import { ensurePresetModel } from "../src/engine/models.js";
import { findLlamaServer, startLlamaServer } from "../src/engine/llamaServer.js";
import { percentileSorted } from "../src/percentile.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const repeats = Number(arg("repeats", "3"));
const tokens = Number(arg("tokens", "128"));
const input = Number(arg("input", "64"));
const threads = Number(arg("threads", String(defaultThreads())));
const context = Number(arg("context", "1024"));
const PRESET = "small";
const SLOTS = 4;
const CONCURRENCIES = [1, 4];
const median = (xs: number[]) => percentileSorted([...xs].sort((a, b) => a - b), 50);
const CLK_TCK = 100;

/** CPU seconds (user + system) of `root` and every live descendant. */
function treeCpuS(root: number): number {
  const procs = new Map<number, { ppid: number; ticks: number }>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      // Fields after the command name (which may hold spaces), from field 3 (state) on.
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // exited meanwhile
    }
  }
  let ticks = 0;
  for (const [pid, p] of procs) {
    for (let q: number | undefined = pid; q; q = procs.get(q)?.ppid) {
      if (q === root) {
        ticks += p.ticks;
        break;
      }
    }
  }
  return ticks / CLK_TCK;
}

interface Server {
  name: string;
  url: string;
  pid: number;
  close(): Promise<void>;
}

async function main(): Promise<void> {
  const bin = findLlamaServer();
  if (!bin) throw new Error("no llama-server binary: bash scripts/build-llama-server.sh");
  const model = await ensurePresetModel(PRESET);
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const servers: Server[] = [];
  try {
    // Through the same launcher (startLlamaServer) but outside tokenbench serve: the baseline.
    const plain = await startLlamaServer({ binary: bin.path, modelPath: model, modelName: "plain", host: "127.0.0.1", port: 0, parallel: SLOTS, context, threads });
    servers.push({ name: "plain llama-server", url: plain.url, pid: plain.pid, close: plain.close });
    for (const engine of ["llama-server", "node-llama-cpp"] as const) {
      const t = await startEmbeddedTarget({ preset: PRESET, parallel: SLOTS, threads, context, engine, log: () => undefined });
      servers.push({ name: `tokenbench ${engine}`, url: t.url, pid: t.pid!, close: t.close });
    }
    log(`${bin.path}\nsmall, threads ${threads}, context ${context}/slot, ${SLOTS} slots, ${input} in / ${tokens} out, ${repeats} repeats; load average ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
    const tokS = new Map<string, number[]>();
    const perCpu = new Map<string, number[]>();
    const ttft = new Map<string, number[]>();
    for (let r = 0; r < repeats; r++) {
      for (const c of CONCURRENCIES) {
        for (let k = 0; k < servers.length; k++) {
          const s = servers[(k + r) % servers.length];
          const requests = c === 1 ? 3 : 8;
          const cpu0 = treeCpuS(s.pid);
          const res = await runBenchmark({
            targets: [s.url],
            api: "openai-completions",
            workload: { kind: "synthetic", input: { kind: "fixed", value: input }, output: { kind: "fixed", value: tokens } },
            tokenizer: "mistral",
            loads: [{ mode: "concurrency", concurrency: c }],
            requests,
            warmup: 1,
            seed: r,
            preflight: false,
            db: null,
            keepRecords: false,
          });
          const cpu = treeCpuS(s.pid) - cpu0;
          const sum = res.summaries[0];
          if (sum.requests.failed || sum.requests.length_mismatch) throw new Error(`${s.name} c=${c}: ${sum.requests.failed} failed, ${sum.requests.length_mismatch} length mismatches`);
          const key = `${s.name}|${c}`;
          tokS.set(key, [...(tokS.get(key) ?? []), sum.throughput.output_tokens_per_s]);
          perCpu.set(key, [...(perCpu.get(key) ?? []), ((requests + 1) * tokens) / cpu]);
          ttft.set(key, [...(ttft.get(key) ?? []), sum.latency_ms.ttft.p50]);
          log(`repeat ${r + 1} c=${c} ${s.name}: ${sum.throughput.output_tokens_per_s.toFixed(1)} tok/s, ${(((requests + 1) * tokens) / cpu).toFixed(1)} tok/CPU-s`);
        }
      }
    }
    console.log(`\n| back-end | c | output tok/s (median) | ratio to plain | output tok per CPU-s | ratio to plain | TTFT p50 (ms, median) |`);
    console.log(`|---|--:|--:|--:|--:|--:|--:|`);
    for (const c of CONCURRENCIES) {
      const base = median(tokS.get(`plain llama-server|${c}`)!);
      const baseCpu = median(perCpu.get(`plain llama-server|${c}`)!);
      for (const s of servers) {
        const t = median(tokS.get(`${s.name}|${c}`)!);
        const pc = median(perCpu.get(`${s.name}|${c}`)!);
        console.log(`| ${s.name} | ${c} | ${t.toFixed(1)} | ${(t / base).toFixed(3)} | ${pc.toFixed(1)} | ${(pc / baseCpu).toFixed(3)} | ${median(ttft.get(`${s.name}|${c}`)!).toFixed(0)} |`);
      }
    }
  } finally {
    for (const s of servers) await s.close();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
