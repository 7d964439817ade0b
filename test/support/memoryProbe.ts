// Child process for memory measurements (test/benchmark/memory.test.ts, bench/memory.ts): runs one
// benchmark against a streaming server and prints, as one JSON line, what it held.
//
//   node --expose-gc --import tsx test/support/memoryProbe.ts URL REQUESTS TOKENS CONCURRENCY KEEP_RECORDS
//
// Memory is the V8 heap plus ArrayBuffers (typed arrays live outside the heap): "retained" is
// that after full GCs at 90% of the requests (the run's live state: its statistics, the records
// it still holds, requests in flight) minus the same before the run (0 where the run never calls
// onRecord: a tokenbench before it existed); "retainedAfter" the same once the run returned, its
// result still referenced; "peak" is the highest
// unforced reading, sampled every 20 ms, and the process's peak resident set (VmHWM).
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { runBenchmark } from "../../src/benchmark/run.js";

const [url, requestsArg, tokensArg, concurrencyArg, keepArg] = process.argv.slice(2);
const requests = Number(requestsArg);
const tokens = Number(tokensArg);
const keepRecords = keepArg === "true";
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with node --expose-gc");
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
/** Heap + ArrayBuffers after full GCs (ArrayBuffer backing stores are released after the GC that frees them). */
async function settled(): Promise<number> {
  gc!();
  await sleep(50);
  gc!();
  return used();
}
gc();
const baseline = await settled();
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, used())), 20);
let seen = 0;
let retained = 0;
let measuring: Promise<void> | undefined;
const at = Math.floor(requests * 0.9);
const result = await runBenchmark({
  targets: [url],
  db: null,
  preflight: false,
  warmup: 0,
  seed: 1,
  tokenizer: "bytes",
  requests,
  loads: [{ mode: "concurrency", concurrency: Number(concurrencyArg) }],
  workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: tokens } },
  keepRecords,
  onRecord: () => {
    if (++seen !== at) return;
    measuring = settled().then((u) => void (retained = u - baseline));
  },
});
await measuring;
clearInterval(sampler);
// What the finished run hands back and keeps (its result, records included when kept).
const retainedAfter = (await settled()) - baseline;
const s = result.summaries[0];
const streamed = s.latency_ms.itl.count + s.requests.completed;
const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
process.stdout.write(
  JSON.stringify({
    keepRecords,
    requests: s.requests.sent,
    completed: s.requests.completed,
    tokens: streamed,
    itlExact: s.latency_ms.itl.exact !== false,
    durationS: s.duration_s,
    retainedBytes: retained,
    retainedPerToken: retained / (streamed * 0.9),
    retainedAfterBytes: retainedAfter,
    resultRecords: result.records[0]?.length ?? 0,
    peakBytes: peak - baseline,
    peakPerToken: (peak - baseline) / streamed,
    peakRssMiB: hwm ? Number(hwm[1]) / 1024 : undefined,
  }) + "\n",
);
