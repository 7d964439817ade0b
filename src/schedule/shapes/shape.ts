import type { z } from "zod";
import type { Dispatcher, DriveResult } from "../drivers.js";
import type { WorkItem } from "../../workload/types.js";
import type { Tokenizer } from "../../workload/tokenizer.js";

/** What a shape's prepare() gets: the run's tokenizer and seed, and the measured-request bound. */
export interface PrepareEnv {
  tokenizer: Tokenizer;
  seed: number;
  /** --requests when given: the shape sends at most this many. */
  count?: number;
}

/** What the measured phase of a run gives a shape to drive it. */
export interface DriveContext {
  /** Measured requests to send; undefined: send until `durationMs`. */
  count?: number;
  /** Stop sending after this many ms of the measured phase. */
  durationMs?: number;
  /** Seconds over which the load ramps to its target (0: none). */
  rampUpS: number;
  /** Run seed; a shape derives its own stream from it (e.g. Poisson gaps), so schedules repeat. */
  seed: number;
  /** The workload's prompts for the measured phase, in order (sessions take their user turns from them). */
  workload: readonly WorkItem[];
  /** What the shape's prepare() returned (a trace's timetable and prompts); undefined without one. */
  prepared?: unknown;
}

/**
 * One kind of load: when requests leave and how many may be in flight. The zod `schema` is the
 * definition (the library form: camelCase keys, numbers in their units, `Infinity` where it
 * means "unbounded"); everything a run, a table or a chart needs to know about the load is
 * derived here, so a new shape (trace replay, multi-turn sessions) is one new file plus its
 * line in ./index.ts.
 */
export interface LoadShape<S extends { mode: string } = { mode: string }, J extends { mode: string } = { mode: string }> {
  mode: S["mode"];
  schema: z.ZodType<S>;
  /** Short label for tables and legends: "c=4", "2 req/s". */
  label(s: S): string;
  /** Full description for a run header: "concurrency 4", "rate 2 req/s, poisson, max concurrency 8". */
  describe(s: S): string;
  /** Segment of an experiment cell key ("c4", "r2"); stored cells are matched on it, so it never changes. */
  key(s: S): string;
  /** JSON form in summaries, the store and exports: snake_case, "inf" for an unbounded number. */
  toJson(s: S): J;
  /** Reads the JSON form back, and the older stored form (camelCase, rate null for inf); null if not this shape. */
  fromJson(raw: Record<string, unknown>): S | null;
  /** x axis of load curves in reports: its title and the run's position on it. */
  axis: { name: string; value(s: S): number };
  /** Most requests in flight at once (sizes the connection pools), given the planned request count. */
  maxInFlight(s: S, count: number): number;
  /** Requests a run bounded by duration alone may send; undefined: no bound of its own (closed loop). */
  countForDuration(s: S, durationS: number): number | undefined;
  /** Concurrency of the warm-up requests sent before the measured phase at this shape. */
  warmupConcurrency(s: S, warmup: number): number;
  /** Requests leave on a timetable: sending later than allowed is the client's own lag (measured). */
  openLoop: boolean;
  /** Checks that need the run's other options; returns why the shape cannot run, or undefined. */
  check?(s: S, o: { requests?: number; durationS?: number }): string | undefined;
  /**
   * The load brings its own requests (a trace's lines, sessions x turns): runs get no default
   * request count, an explicit --requests truncates. Returns how many workload prompts the
   * measured phase draws (0 when the shape builds its own).
   */
  ownRequests?(s: S): { prompts: number };
  /** Work done before the warm-up and the measured clock (read a trace, build its prompts); passed to drive as c.prepared. */
  prepare?(s: S, env: PrepareEnv): Promise<unknown>;
  /**
   * This shard's spec when the run is split over `count` client processes (src/schedule/shard.ts):
   * closed-loop shapes must define it (their concurrency split); open-loop shapes may (e.g. an
   * in-flight cap split), else every shard keeps the spec and sends its share of the timetable.
   */
  shard?(s: S, shard: { index: number; count: number }): S;
  /** Sends the measured requests through the dispatcher; resolves when all have finished. */
  drive(d: Dispatcher, s: S, c: DriveContext): Promise<DriveResult>;
}

/** Typed constructor: infers the spec type from the schema. */
export function defineShape<Schema extends z.ZodObject<{ mode: z.ZodLiteral<string> }>, J extends { mode: string }>(
  shape: LoadShape<z.output<Schema>, J> & { schema: Schema },
): LoadShape<z.output<Schema>, J> & { schema: Schema } {
  return shape;
}

/** "inf" for Infinity (JSON has no Infinity), the number otherwise. */
export const jsonNumber = (v: number): number | "inf" => (Number.isFinite(v) ? v : "inf");
/** Inverse of jsonNumber; also reads null (JSON.stringify(Infinity)) as Infinity. */
export const fromJsonNumber = (v: unknown): number | undefined =>
  v === "inf" || v === null ? Infinity : typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && !Number.isNaN(Number(v)) ? Number(v) : undefined;
