// The client side of one load on one event loop: connection pools, warm-up, connections opened
// before the clock, the measured phase driven by the load's shape, the client self-check. Used by
// runLoad directly (one event loop: --workers 1) and by each client worker thread (workerEntry.ts),
// which runs its share of the load exactly as a shard process would.
import { performance } from "node:perf_hooks";
import type { RequestRecord } from "../measure/types.js";
import type { ProtocolAdapter } from "../protocols/types.js";
import type { LoadSpec } from "../schedule/types.js";
import type { WorkItem } from "../workload/types.js";
import { closeTargets, createSelector, openTargets, preconnect } from "../client/targets.js";
import { streamRequest } from "../client/streamRequest.js";
import { buildRecord } from "../measure/record.js";
import { startClientMonitor, type ClientSample } from "../measure/clientMonitor.js";
import { shapeOf } from "../schedule/shapes/index.js";
import type { Tokenizer } from "../workload/tokenizer.js";
import { driveClosedLoop, type SendOutcome } from "../schedule/drivers.js";
import { planShard, shardDispatcher, shareOf, type ShardSpec } from "../schedule/shard.js";
import { redactValues, secretValues } from "../store/redact.js";
import { collectGarbage } from "./gc.js";
import { OffPathQueue } from "./offPath.js";
import type { ResolvedOptions } from "./resolve.js";
import type { ClientHealth } from "../aggregate/types.js";

/** What one event loop needs to drive its share of a load (all of it plain data but the adapter and tokenizer). */
export interface ShareInput {
  o: ResolvedOptions;
  targets: string[];
  adapter: ProtocolAdapter;
  tokenizer: Tokenizer;
  model: string;
  /** Every prompt of the run (warm-up first), indexed by run request index. */
  items: WorkItem[];
  load: LoadSpec;
  /** What the shape's prepare() returned (done once, before the run). */
  prepared?: unknown;
  /** This event loop's share of the whole run (process shard and worker combined; {0, 1}: all of it). */
  share: ShardSpec;
  /** Warm-up requests of this event loop: k-th uses prompt warmupIndex(k). */
  warmup: { count: number; index(k: number): number };
  /** Stops the load (the caller's stop; also aborted here when driving fails, before the pools close). */
  stop: AbortController;
  /** Each finished request (warm-up ones marked), as it finishes. */
  onRecord(r: RequestRecord): void;
  /** After warm-up: resolves when the measured phase's connections should be opened. */
  beforeConnect(): Promise<void>;
  /**
   * After those connections are open: resolves to the run's zero as this thread's
   * performance.now() value, at (or after) that instant.
   */
  start(): Promise<number>;
  /** Called once the measured phase starts, with a live count of requests in flight. */
  onStarted?(inFlight: () => number): void;
}

/** What one event loop reports of its share beyond the records. */
export interface ShareResult {
  /** This event loop's self-check (lag, send lag, CPU of its thread). */
  health: ClientHealth;
  /** Self-check time series, ms from the run's zero. */
  samples: ClientSample[];
  /** Run clock (ms) of this loop's last measured send. */
  lastSendAt: number;
  /** Connections opened: connect time (ms) and whether before the measured phase began. */
  connects: Array<{ ms: number; before: boolean }>;
  connectFailures: number;
}

/** Drives one share of a load to its end (or the signal); never closes over the store. */
export async function driveShare(x: ShareInput): Promise<ShareResult> {
  const { o, adapter, tokenizer, items, load } = x;
  const shape = shapeOf(load);
  const stop = x.stop.signal;
  const measuredCount = o.requests;
  const plannedCount = measuredCount ?? (o.durationS !== undefined ? shape.countForDuration(load, o.durationS) : undefined) ?? 0;
  const plan = planShard(shape, load, measuredCount, x.share);
  const pools = openTargets(x.targets, shape.maxInFlight(plan.load, Math.max(plannedCount, x.warmup.count)), o.timeoutMs, o.httpClient);
  const select = createSelector(pools, o.balance);
  const secrets = secretValues(o.headers);
  let clock0 = performance.now();
  const now = () => performance.now() - clock0;
  // A record that cannot be built or handed on stops the load; flush() rethrows it below.
  const offPath = new OffPathQueue(() => x.stop.abort());

  const sendOne = async (seq: number, scheduledAt: number, dispatchedAt: number, warmup: boolean, itemIndex: number, given?: WorkItem): Promise<SendOutcome> => {
    const item = given ?? items[itemIndex % items.length];
    const spec = adapter.buildRequest({
      prompt: item.prompt,
      messages: item.messages,
      model: x.model,
      maxTokens: item.outputTokens,
      exactOutput: o.exactOutput,
      temperature: o.temperature,
      seed: o.seed + itemIndex,
      extraBody: o.extraBody,
    });
    spec.headers = { ...spec.headers, ...o.headers };
    const t = select();
    const raw = await streamRequest(t, adapter, spec, { timeoutMs: o.timeoutMs, signal: stop, now });
    // A server may echo the credentials it was sent in an error body: mask them before the record exists.
    if (raw.error !== undefined) raw.error = redactValues(raw.error, secrets);
    // The record is built and handed on off the read path (offPath.ts), unless a driver reads
    // the outcome (sessions: the answer goes into the next turn), which builds it at once.
    let record: RequestRecord | undefined;
    const finished = (): RequestRecord => {
      if (!record) {
        record = buildRecord(raw, { item, target: t.url, scheduledAt, dispatchedAt, origin: o.latencyOrigin, warmup, exactOutput: o.exactOutput, tokenizer });
        x.onRecord(record);
      }
      return record;
    };
    offPath.push(finished);
    return {
      get ok() {
        return finished().ok;
      },
      // Only the answer is carried on (sessions); reasoning and tool-call text are not part of it.
      get text() {
        return finished().ok ? raw.chunks.filter((c) => c.kind === undefined).map((c) => c.text).join("") : "";
      },
      get outputTokens() {
        return finished().outputTokens;
      },
    };
  };

  // Whatever drives requests right now: on any failure it is stopped and awaited before the
  // pools close, so no request runs against a closed pool (no phantom records).
  let driving: Promise<unknown> | undefined;
  const drive = <T>(p: Promise<T>): Promise<T> => ((driving = p), p);
  try {
    // Warm-up at the same load shape, before the measured clock starts.
    if (x.warmup.count > 0 && !stop.aborted) {
      await drive(
        driveClosedLoop(
          { now, signal: stop, send: (seq, at, readyAt) => sendOne(seq, at, readyAt, true, x.warmup.index(seq)) },
          { concurrency: shape.warmupConcurrency(plan.load, x.warmup.count), count: x.warmup.count },
        ),
      );
      offPath.flush();
    }
    collectGarbage();
    // Connections for every request that can be in flight, opened now so no measured TTFT holds a
    // TCP set-up; with a common start, shortly before it (servers close idle connections).
    await x.beforeConnect();
    if (!stop.aborted) {
      const share = plannedCount > 0 ? shareOf(plannedCount, x.share) : 0;
      await preconnect(pools, Math.ceil(shape.maxInFlight(plan.load, Math.max(share, 1)) / pools.length), adapter.modelsPath, o.headers);
    }
    // Connections opened before this instant were open before any measured request could go out.
    const measuredFrom = performance.now();
    clock0 = await x.start();
    const monitor = startClientMonitor({ originMs: clock0 });
    x.onStarted?.(() => pools.reduce((a, p) => a + p.inFlight, 0));
    const dispatcher = shardDispatcher({
      now,
      signal: stop,
      send: (seq, scheduledAt, readyAt, item) => {
        if (shape.openLoop) monitor.recordSendLag(Math.max(0, now() - readyAt));
        return sendOne(seq, scheduledAt, readyAt, false, o.warmup + seq, item);
      },
    }, plan);
    const durationMs = o.durationS !== undefined ? o.durationS * 1000 : undefined;
    const driven = await drive(shape.drive(dispatcher, plan.load, { count: plan.count, durationMs, rampUpS: o.rampUpS, seed: o.seed, workload: items.slice(o.warmup), prepared: x.prepared }));
    const { health, samples } = monitor.stop();
    offPath.flush();
    const all = pools.flatMap((p) => p.connects);
    return {
      health,
      samples,
      // One event loop of many sends only its own arrivals: its last one, not the timetable's.
      lastSendAt: o.shard || x.share.count > 1 ? dispatcher.lastSendAt : driven.lastSendAt,
      connects: all.map((c) => ({ ms: c.ms, before: c.atMs < measuredFrom })),
      connectFailures: pools.reduce((a, p) => a + p.connectFailures, 0),
    };
  } catch (e) {
    x.stop.abort();
    await driving?.catch(() => undefined);
    // What finished before the failure is still recorded (a failing job's error is the one thrown).
    try {
      offPath.flush();
    } catch {
      // e is the cause reported.
    }
    throw e;
  } finally {
    await closeTargets(pools);
  }
}
