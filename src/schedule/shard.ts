// Sharding: one run's load split over N client processes (hosts), each sending its share from a
// common start. Generic over load shapes: open-loop shapes compute the full timetable in every
// shard and each shard sends the arrivals whose index is its own (i ≡ I mod N); closed-loop
// shapes split their concurrency and request count. A shape may refine its per-shard spec
// (LoadShape.shard, e.g. an in-flight cap split N ways).
import type { Dispatcher, DriveResult, SendOutcome } from "./drivers.js";
import type { WorkItem } from "../workload/types.js";
import type { LoadShape } from "./shapes/shape.js";

/** Shard `index` (0-based) of `count` shards. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Most shards a run may be split into. */
export const MAX_SHARDS = 10_000;

/**
 * Parses "I/N" (0 <= I < N <= MAX_SHARDS).
 * @throws Error with a one-line reason
 */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`--shard takes I/N (shard I of N, I from 0), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new Error(`--shard: N must be 1..${MAX_SHARDS}, got ${count}`);
  if (index >= count) throw new Error(`--shard: I must be below N (0..${count - 1}), got ${index}`);
  return { index, count };
}

/** This shard's part of `total` things dealt round-robin: floor(total/N), plus one for the first total mod N shards. */
export function shareOf(total: number, s: ShardSpec): number {
  return Math.floor(total / s.count) + (s.index < total % s.count ? 1 : 0);
}

export interface ShardPlan<S> {
  /** The load this shard drives. */
  load: S;
  /** Measured requests this shard's driver is asked for (open loop: the whole timetable). */
  count?: number;
  /** Whether driver sequence number `seq` is this shard's to send. */
  owns(seq: number): boolean;
  /** Index in the whole run (prompt and record index) of this shard's `seq`. */
  runSeq(seq: number): number;
}

/**
 * This shard's load, request count and sequence mapping, such that the N shards together send
 * what one process would: open loop, the same arrivals at the same offsets with the same prompts;
 * closed loop, the same total concurrency and request count over the same prompts.
 *
 * @throws Error (one line) when the shape cannot be split this way
 */
export function planShard<S extends { mode: string }>(shape: LoadShape<S>, load: S, count: number | undefined, s: ShardSpec): ShardPlan<S> {
  if (s.count === 1) return { load, count, owns: () => true, runSeq: (q) => q };
  if (shape.openLoop) {
    return { load: shape.shard?.(load, s) ?? load, count, owns: (q) => q % s.count === s.index, runSeq: (q) => q };
  }
  if (!shape.shard) throw new Error(`load mode ${shape.mode} cannot be sharded (its shape defines no split)`);
  const own = shape.shard(load, s);
  if (shape.maxInFlight(own, 1) < 1) throw new Error(`${shape.describe(load)} cannot be split over ${s.count} shards: shard ${s.index} would have nothing in flight`);
  return {
    load: own,
    count: count === undefined ? undefined : shareOf(count, s),
    owns: () => true,
    // Shard I's k-th request is the run's request k*N + I: the shards' requests tile 0..count-1.
    runSeq: (q) => q * s.count + s.index,
  };
}

/**
 * A dispatcher that passes only this shard's sends through (as run sequence numbers); the others
 * resolve at once without a request. `lastSendAt` is the last own send.
 */
export function shardDispatcher(d: Dispatcher, plan: ShardPlan<unknown>): Dispatcher & { lastSendAt: number } {
  const out = {
    now: d.now,
    signal: d.signal,
    lastSendAt: 0,
    send: (seq: number, scheduledAt: number, readyAt: number, item?: WorkItem): Promise<SendOutcome | void> => {
      if (!plan.owns(seq)) return Promise.resolve();
      out.lastSendAt = Math.max(out.lastSendAt, d.now());
      return d.send(plan.runSeq(seq), scheduledAt, readyAt, item);
    },
  };
  return out;
}

export type { DriveResult };
