// How much load can tokenbench's client measure faithfully on this machine?
// For growing numbers of concurrent streams against a scripted server in another process, it
// compares the inter-token latency the client reports with the gaps the server actually wrote,
// and reports token events/s and client memory per in-flight request.
//
//   node --import tsx bench/client-capacity.ts [--levels 256,1024,2048,4096] [--itl 50] [--tokens 40]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { runBenchmark } from "../src/benchmark/run.js";
import { latencyStats } from "../src/aggregate/stats.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const levels = arg("levels", "256,1024,2048,4096").split(",").map(Number);
const itl = Number(arg("itl", "50"));
const tokens = Number(arg("tokens", "40"));
const tokensPerChunk = Number(arg("chunk", "1"));

const server = spawn(process.execPath, ["--import", "tsx", "bench/scriptedServerProcess.ts", "20", String(itl), String(tokensPerChunk)], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const url = line.toString().trim();

console.log(`scripted server ${url}: TTFT 20 ms, ITL ${itl} ms, ${tokens} tokens/request, ${tokensPerChunk} token(s)/chunk`);
console.log("streams | token events/s | client ITL p50/p99 (ms) | server-written gap p50/p99 (ms) | |Δp50| ms | client lag p99 ms | heap MiB/1k in flight | saturated");
try {
  for (const c of levels) {
    await fetch(`${url}/stats`); // warm the connection-less path
    const before = (await (await fetch(`${url}/stats`)).json()) as { writtenGapsMs: number[] };
    const skip = before.writtenGapsMs.length;
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    let peakHeap = heap0;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 100);
    const r = await runBenchmark({
      targets: [url],
      db: null,
      warmup: 0,
      requests: c * 2,
      loads: [{ mode: "concurrency", concurrency: c }],
      workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: tokens } },
    });
    clearInterval(sampler);
    const s = r.summaries[0];
    const after = (await (await fetch(`${url}/stats`)).json()) as { writtenGapsMs: number[] };
    const server = latencyStats(after.writtenGapsMs.slice(skip));
    // Only gaps between chunks: the zero ITLs inside multi-token chunks are not comparable.
    const clientGaps = r.records[0].flatMap((x) => x.itlMs.filter((v) => v > 0));
    const client = latencyStats(clientGaps.map((v) => v * tokensPerChunk));
    const events = r.records[0].reduce((a, x) => a + x.chunks.length, 0) / s.duration_s;
    console.log(
      [
        c,
        Math.round(events),
        `${client.p50.toFixed(2)}/${client.p99.toFixed(2)}`,
        `${server.p50.toFixed(2)}/${server.p99.toFixed(2)}`,
        Math.abs(client.p50 - server.p50).toFixed(2),
        s.client.event_loop_lag_ms.p99.toFixed(1),
        (((peakHeap - heap0) / 2 ** 20) * (1000 / c)).toFixed(1),
        s.client.saturated ? `yes (${s.client.reasons.join("; ")})` : "no",
      ].join(" | "),
    );
    if (s.requests.failed) console.log(`  ${s.requests.failed} failed: ${JSON.stringify(s.requests.errors)}`);
  }
} finally {
  server.kill("SIGTERM");
}
