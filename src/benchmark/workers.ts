// `run --workers N`: one load's client side spread over N worker threads, one event loop each.
// Each worker drives its share of the load exactly as a shard process would (src/schedule/shard.ts:
// open loop, arrivals i ≡ w mod N of the full timetable; closed loop, a share of concurrency and
// requests) with its own connection pools; the parent thread owns the store, the progress line and
// the signals, and receives every finished record to record it, so the run stays one run.
//
// One clock: process.hrtime (CLOCK_MONOTONIC) is the same in every thread of the process, while a
// worker's performance.now() is not on the parent's scale: on Node 20 performance.timeOrigin reads
// the same in every thread, yet a worker's now() origin was measured here between 5.6 ms before
// and 13.5 ms after the parent's, so timeOrigin + now() would misplace a worker's records by that
// much. The parent posts the run's zero on the hrtime scale; each worker converts it to its own
// performance.now() scale (both read back to back), so every record counts from the same instant.
import { Worker } from "node:worker_threads";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import type { RequestRecord } from "../measure/types.js";
import type { LoadSpec } from "../schedule/types.js";
import type { WorkItem } from "../workload/types.js";
import type { ClientSample } from "../measure/clientMonitor.js";
import { planShard, shareOf, type ShardSpec } from "../schedule/shard.js";
import { shapeOf } from "../schedule/shapes/index.js";
import type { ResolvedOptions } from "./resolve.js";
import type { ShareResult } from "./driveShare.js";
import { mergeHealth } from "./merge.js";

/** Most worker threads a run may ask for. */
export const MAX_WORKERS = 256;
/** Most worker threads the default picks (beyond this, a second client host scales better: shards). */
export const MAX_DEFAULT_WORKERS = 8;
/**
 * Streams one event loop measures faithfully on the reference machine (docs/client-capacity.md:
 * ITL within 0.1 ms of the server's writes up to 256 concurrent streams, saturated at 1,024).
 */
export const STREAMS_PER_WORKER = 256;
/** After a stop, how long workers get to finish their bookkeeping before they are terminated. */
const STOP_GRACE_MS = 5000;
/** Lead between the last worker being ready and the run's zero: time for the "go" message to arrive. */
const GO_LEAD_MS = 5;

/**
 * The default number of workers for a load: one per STREAMS_PER_WORKER requests that can be in
 * flight, at most one per core but one (left to the parent thread, the server on the same host,
 * the OS) and at most MAX_DEFAULT_WORKERS; at least 1.
 */
export function defaultWorkers(maxInFlight: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, MAX_DEFAULT_WORKERS, Math.ceil(maxInFlight / STREAMS_PER_WORKER)));
}

/** Worker w of `workers` inside process shard `s`: its share of the whole run. */
export function workerShare(s: ShardSpec, w: number, workers: number): ShardSpec {
  // Shard I of N split W ways: shards I + N·w of N·W. Their union is exactly shard I of N
  // (open loop: i ≡ I + N·w mod N·W over w is i ≡ I mod N; closed loop: the shares add up).
  return { index: s.index + s.count * w, count: s.count * workers };
}

/**
 * How many workers a load runs on: `asked` (default: defaultWorkers), lowered until every worker
 * has something in flight (closed loop: at most one per concurrent request). A load whose shape
 * cannot be split (sessions) runs on one.
 */
export function workersFor(load: LoadSpec, asked: number | undefined, o: Pick<ResolvedOptions, "requests" | "durationS" | "shard">): number {
  const shape = shapeOf(load);
  const s = o.shard ?? { index: 0, count: 1 };
  const planned = o.requests ?? (o.durationS !== undefined ? shape.countForDuration(load, o.durationS) : undefined) ?? 0;
  let n = asked ?? defaultWorkers(shape.maxInFlight(load, Math.max(1, shareOf(Math.max(planned, 1), s))));
  const fits = (k: number) => {
    try {
      for (let w = 0; w < k; w++) planShard(shape, load, o.requests, workerShare(s, w, k));
      return true;
    } catch {
      return false;
    }
  };
  while (n > 1 && !fits(n)) n--;
  return n;
}

/** Why a load cannot run on `workers` workers at all (a shape with no split), or undefined. */
export function workersProblem(load: LoadSpec, workers: number): string | undefined {
  const shape = shapeOf(load);
  if (workers <= 1 || shape.openLoop || shape.shard) return undefined;
  return `--workers ${workers}: ${shape.describe(load)} cannot be split over client workers (a conversation's turns stay on one event loop); use --workers 1`;
}

/** Monotonic ms on the scale every thread of the process shares (CLOCK_MONOTONIC). */
const hrMs = () => Number(process.hrtime.bigint()) / 1e6;
/** A performance.now() value of this thread on the shared hrtime scale. */
export const perfToHr = (perfMs: number) => perfMs + (hrMs() - performance.now());
/** A shared hrtime value as this thread's performance.now(). */
export const hrToPerf = (hr: number) => hr - (hrMs() - performance.now());

/** The load a worker drives and how to reach the targets: the parent's input and each worker's start. */
interface LoadShare {
  o: ResolvedOptions;
  targets: string[];
  model: string;
  /** How runBenchmark chose the tokenizer (a path, a bundled name, "bytes" or undefined: the default). */
  tokenizerSpec?: string;
  items: WorkItem[];
  load: LoadSpec;
  prepared?: unknown;
}

/** What a worker thread is started with (structured clone: plain data only). */
export interface WorkerData extends LoadShare {
  share: ShardSpec;
  worker: number;
  workers: number;
}

/** Messages worker -> parent. */
export type FromWorker =
  | { t: "records"; records: RequestRecord[] }
  | { t: "warm" }
  | { t: "ready" }
  | { t: "inflight"; n: number }
  | { t: "done"; result: ShareResult };
/** Messages parent -> worker. */
export type ToWorker = { t: "connect" } | { t: "go"; zeroHrMs: number } | { t: "stop" };

export interface WorkersInput extends LoadShare {
  workers: number;
  stop: AbortController;
  onRecord(r: RequestRecord): void;
  /** As in driveShare: when to open the measured connections (after every worker warmed up). */
  beforeConnect(): Promise<void>;
  /** As in driveShare, once every worker is connected; `leadMs`: how far ahead of now the zero may be put. */
  start(leadMs: number): Promise<number>;
  onStarted?(inFlight: () => number): void;
}

/** The script a worker thread runs: the compiled entry, or under tsx the .ts one with tsx's loader registered first. */
function workerScript(): URL {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./workerEntry.js", here);
  // Running from source under tsx (tests, bench): a worker thread does not inherit the parent's
  // --import loader hooks on Node 20, so it registers tsx itself before importing the entry.
  const entry = new URL("./workerEntry.ts", here).href;
  const api = import.meta.resolve("tsx/esm/api");
  return new URL(`data:text/javascript,${encodeURIComponent(`const { register } = await import(${JSON.stringify(api)}); register(); await import(${JSON.stringify(entry)});`)}`);
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Runs one load on `workers` worker threads and returns what driveShare returns for one event
 * loop, combined: the self-check of the worst worker (reasons prefixed "worker w:"), the last send
 * of any, every connection. Records reach `onRecord` as workers finish them.
 *
 * A stop (the `stop` controller: Ctrl-C, SIGTERM, a storage failure) is passed to every worker,
 * which ends its requests and reports; one that does not within STOP_GRACE_MS is terminated.
 *
 * @throws Error "client worker W failed: MESSAGE" (one line) when a worker throws or exits
 *   early; the others are stopped first and what they measured is recorded.
 */
export async function runWorkers(x: WorkersInput): Promise<ShareResult> {
  const script = workerScript();
  let failure: string | undefined;
  const inflight = new Array<number>(x.workers).fill(0);
  const states = Array.from({ length: x.workers }, (_, w) => {
    const share = workerShare(x.o.shard ?? { index: 0, count: 1 }, w, x.workers);
    const data: WorkerData = {
      o: x.o,
      targets: x.targets,
      model: x.model,
      tokenizerSpec: x.tokenizerSpec,
      items: itemsOf(x.items, x.o, share, w, x.workers),
      load: x.load,
      prepared: x.prepared,
      share,
      worker: w,
      workers: x.workers,
    };
    const worker = new Worker(script, { workerData: data });
    const st = { worker, warm: deferred<void>(), ready: deferred<void>(), done: deferred<ShareResult | undefined>(), exited: deferred<void>(), over: false, terminated: false };
    const fail = (why: string) => {
      failure ??= `client worker ${w} failed: ${why.split("\n")[0]}`;
      x.stop.abort();
    };
    worker.on("message", (m: FromWorker) => {
      if (m.t === "records") for (const r of m.records) x.onRecord(r);
      else if (m.t === "warm") st.warm.resolve();
      else if (m.t === "ready") st.ready.resolve();
      else if (m.t === "inflight") inflight[w] = m.n;
      else if (m.t === "done") {
        // Everything it posted before "done" has arrived (one port, in order): it can go.
        st.over = true;
        st.done.resolve(m.result);
        void worker.terminate();
      }
    });
    worker.on("error", (e) => fail(e?.message ?? String(e)));
    worker.on("exit", (code) => {
      if (!st.over && !st.terminated) fail(`exited with code ${code} before finishing`);
      inflight[w] = 0;
      st.warm.resolve();
      st.ready.resolve();
      st.done.resolve(undefined);
      st.exited.resolve();
    });
    return st;
  });
  const post = (m: ToWorker) => {
    for (const s of states) if (!s.over) s.worker.postMessage(m);
  };
  const onStop = () => {
    post({ t: "stop" });
    // Bounded: a worker that does not finish in time is terminated (its in-flight requests unrecorded).
    setTimeout(() => {
      for (const s of states) if (!s.over) (s.terminated = true), void s.worker.terminate();
    }, STOP_GRACE_MS).unref();
  };
  if (x.stop.signal.aborted) onStop();
  else x.stop.signal.addEventListener("abort", onStop, { once: true });
  try {
    await Promise.all(states.map((s) => s.warm.promise));
    await x.beforeConnect();
    post({ t: "connect" });
    await Promise.all(states.map((s) => s.ready.promise));
    const zero = await x.start(GO_LEAD_MS);
    post({ t: "go", zeroHrMs: perfToHr(zero) });
    x.onStarted?.(() => inflight.reduce((a, b) => a + b, 0));
    const results = await Promise.all(states.map((s) => s.done.promise));
    await Promise.all(states.map((s) => s.exited.promise));
    if (failure) throw new Error(failure);
    const ok = results as ShareResult[];
    return {
      health: mergeHealth(ok.map((r, w) => [w, r.health]), "worker"),
      samples: mergeSamples(ok.map((r) => r.samples)),
      lastSendAt: Math.max(0, ...ok.map((r) => r.lastSendAt)),
      connects: ok.flatMap((r) => r.connects),
      connectFailures: ok.reduce((a, r) => a + r.connectFailures, 0),
    };
  } finally {
    x.stop.signal.removeEventListener("abort", onStop);
    // Nothing outlives the load: a worker still running here (an exception above) is ended.
    await Promise.all(states.map((s) => (s.over ? undefined : s.worker.terminate())));
  }
}

/**
 * The prompts a worker sends, at their run indices, the others left as holes, so that each worker
 * holds (and the structured clone copies) only its share: warm-up prompts k·W + w, measured prompts
 * warmup + j with j ≡ share.index (mod share.count) (driveShare's item indices). Only when every
 * index is below the list's length (a request count, no cycling through a prompt pool); otherwise
 * the whole list. A prompt missing here would fail the worker at once, not send another prompt.
 */
export function itemsOf(items: WorkItem[], o: Pick<ResolvedOptions, "warmup" | "requests">, share: ShardSpec, w: number, workers: number): WorkItem[] {
  if (o.requests === undefined || items.length < o.warmup + o.requests) return items;
  const out = new Array<WorkItem>(items.length);
  for (let k = w; k < o.warmup; k += workers) out[k] = items[k];
  for (let j = share.index; j < o.requests; j += share.count) out[o.warmup + j] = items[o.warmup + j];
  return out;
}

/**
 * The workers' self-check series as one: per series and 250 ms slot, the busiest worker's value
 * (event-loop lag and CPU are per thread; the worst one is what limits accuracy).
 */
function mergeSamples(per: ClientSample[][]): ClientSample[] {
  const slot = new Map<string, ClientSample>();
  for (const s of per.flat()) {
    const k = `${s.name}@${Math.round(s.tMs / 250)}`;
    const cur = slot.get(k);
    if (!cur || s.value > cur.value) slot.set(k, { ...s, tMs: Math.round(s.tMs / 250) * 250 });
  }
  return [...slot.values()].sort((a, b) => a.tMs - b.tMs || a.name.localeCompare(b.name));
}
