// A client worker thread of `run --workers N` (started by runWorkers in ./workers.ts): drives its
// share of one load on its own event loop and posts every finished record to the parent thread,
// which records it. It never touches the store, the terminal or the process's signals.
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import type { RequestRecord } from "../measure/types.js";
import { getAdapter } from "../protocols/index.js";
import { tokenizerFromSpec } from "../workload/tokenizer.js";
import { driveShare } from "./driveShare.js";
import { hrToPerf, type FromWorker, type ToWorker, type WorkerData } from "./workers.js";

const port = parentPort!;
const d = workerData as WorkerData;
const stop = new AbortController();
const post = (m: FromWorker) => port.postMessage(m);

// Messages from the parent, kept until asked for (one may arrive before its turn).
const got = new Map<string, ToWorker>();
const waiting = new Map<string, (m: ToWorker | undefined) => void>();
port.on("message", (m: ToWorker) => {
  if (m.t === "stop") {
    stop.abort();
    for (const [, w] of waiting) w(undefined);
    waiting.clear();
    return;
  }
  const w = waiting.get(m.t);
  if (w) waiting.delete(m.t), w(m);
  else got.set(m.t, m);
});
const next = (t: ToWorker["t"]): Promise<ToWorker | undefined> =>
  got.has(t) || stop.signal.aborted ? Promise.resolve(got.get(t)) : new Promise((r) => waiting.set(t, r));

// Records go out in one message per event-loop turn, not one per request.
let batch: RequestRecord[] = [];
const flush = () => {
  if (batch.length === 0) return;
  post({ t: "records", records: batch });
  batch = [];
};

const tokenizer = await tokenizerFromSpec(d.tokenizerSpec);
let status: NodeJS.Timeout | undefined;
const result = await driveShare({
  o: d.o,
  targets: d.targets,
  adapter: getAdapter(d.o.api),
  tokenizer,
  model: d.model,
  items: d.items,
  load: d.load,
  prepared: d.prepared,
  share: d.share,
  // Warm-up split too: worker w's k-th warm-up request is the run's warm-up request k·N + w.
  warmup: { count: Math.floor(d.o.warmup / d.workers) + (d.worker < d.o.warmup % d.workers ? 1 : 0), index: (k) => k * d.workers + d.worker },
  stop,
  onRecord: (r) => {
    if (batch.length === 0) setImmediate(flush);
    batch.push(r);
  },
  beforeConnect: async () => {
    flush();
    post({ t: "warm" });
    await next("connect");
  },
  start: async () => {
    post({ t: "ready" });
    const go = await next("go");
    // The parent's zero on this thread's clock; wait for it (the parent put it a little ahead).
    const zero = go?.t === "go" ? hrToPerf(go.zeroHrMs) : performance.now();
    while (performance.now() < zero && !stop.signal.aborted) {
      const left = zero - performance.now();
      await new Promise((r) => (left > 2 ? setTimeout(r, left - 1) : setImmediate(r)));
    }
    return zero;
  },
  onStarted: (inFlight) => {
    status = setInterval(() => post({ t: "inflight", n: inFlight() }), 250);
  },
});
clearInterval(status);
flush();
post({ t: "done", result });
