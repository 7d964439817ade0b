// The load-shape registry: every kind of load tokenbench can apply, and what is derived from each
// (label, description, JSON form, in-flight bound, prompt count, driver). Add a shape: write its
// file next to these (see shape.ts) and list it in SHAPES below.
import { z } from "zod";
import { concurrencyShape } from "./concurrency.js";
import { rateShape, type RateLoadJson } from "./rate.js";
import { traceShape, type TraceLoadJson } from "./trace.js";
import { sessionsShape, type SessionsLoadJson } from "./sessions.js";
import type { LoadShape } from "./shape.js";

const SHAPES = [concurrencyShape, rateShape, traceShape, sessionsShape] as const;

/** A load as the library takes it: one member per shape, told apart by `mode`. */
export type LoadSpec = z.output<(typeof SHAPES)[number]["schema"]>;
/** A load in JSON (summaries, the store, exports): snake_case, "inf" for an unbounded rate. */
export type LoadJson = { mode: "concurrency"; concurrency: number } | RateLoadJson | TraceLoadJson | SessionsLoadJson;
export type LoadMode = LoadSpec["mode"];

/** Validates any shape's library form; messages name the key. */
export const loadSchema = z.discriminatedUnion("mode", [concurrencyShape.schema, rateShape.schema, traceShape.schema, sessionsShape.schema]);

export const LOAD_MODES: readonly LoadMode[] = SHAPES.map((s) => s.mode);

/** The shape of a load, with its functions typed for it. */
export function shapeOf<S extends LoadSpec>(load: S): LoadShape<S> {
  const s = SHAPES.find((x) => x.mode === load.mode);
  if (!s) throw new Error(`unknown load mode ${JSON.stringify((load as { mode?: unknown }).mode)} (one of ${LOAD_MODES.join(", ")})`);
  return s as unknown as LoadShape<S>;
}

/** A shape by its mode name, or undefined. */
export function shapeByMode(mode: string): LoadShape<LoadSpec> | undefined {
  return SHAPES.find((x) => x.mode === mode) as unknown as LoadShape<LoadSpec> | undefined;
}

/** Short label: "c=4", "2 req/s", "inf req/s". */
export const loadLabel = (l: LoadSpec): string => shapeOf(l).label(l);
/** One-line description for run headers. */
export const describeLoad = (l: LoadSpec): string => shapeOf(l).describe(l);
/** Experiment cell-key segment ("c4", "r2"). */
export const loadKey = (l: LoadSpec): string => shapeOf(l).key(l);
/** JSON form (RunSummary.load, runs.load_json). */
export const loadToJson = (l: LoadSpec): LoadJson => shapeOf(l).toJson(l) as LoadJson;

/**
 * Reads a stored or exported load back: the JSON form, or the library form as older versions
 * stored it (camelCase, `rate: null` for inf). Null when it is not a load this version knows.
 */
export function loadFromJson(raw: unknown): LoadSpec | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, unknown>;
  const shape = typeof r.mode === "string" ? shapeByMode(r.mode) : undefined;
  return shape ? shape.fromJson(r) : null;
}

/**
 * Strictly reads a load written by a user in the JSON form (an experiment file's `loads.shapes`
 * entry: snake_case keys, "inf" for an unbounded number): the load, or the first problem as a zod
 * issue whose path and keys use the user's snake_case names (unknown keys are problems too).
 */
export function parseLoadJson(raw: unknown): { load: LoadSpec; issue?: undefined } | { load?: undefined; issue: z.core.$ZodIssue } {
  const custom = (message: string, path: PropertyKey[] = []) => ({ issue: { code: "custom", message, path, input: raw } as z.core.$ZodIssue });
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return custom("an object with a mode");
  const snakeOf = new Map<string, string>();
  const camel: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const c = k.replace(/_([a-z])/g, (_m, ch: string) => ch.toUpperCase());
    snakeOf.set(c, k);
    camel[c] = v === "inf" ? Infinity : v;
  }
  const shape = typeof camel.mode === "string" ? shapeByMode(camel.mode) : undefined;
  if (!shape) return custom(`one of ${LOAD_MODES.join(", ")}`, ["mode"]);
  const r = (shape.schema as unknown as z.ZodObject).strict().safeParse(camel);
  if (!r.success) {
    const i = r.error.issues[0];
    const snake = (k: PropertyKey) => snakeOf.get(String(k)) ?? k;
    const issue = { ...i, path: i.path.map(snake) } as z.core.$ZodIssue & { keys?: string[] };
    if (issue.keys) issue.keys = issue.keys.map((k) => String(snake(k)));
    return { issue };
  }
  const load = r.data as LoadSpec;
  const problem = shapeOf(load).check?.(load, {});
  return problem ? custom(problem) : { load };
}

/** Label of a stored load, "" when unreadable (tables of stored runs). */
export function storedLoadLabel(raw: unknown): string {
  const l = loadFromJson(raw);
  return l ? loadLabel(l) : "";
}

/**
 * Checks a load given by a library caller; returns the message of the first problem
 * ("concurrency: Too small: expected number to be >0"), or undefined when it is valid.
 */
export function loadProblem(l: unknown, o: { requests?: number; durationS?: number } = {}): string | undefined {
  const r = loadSchema.safeParse(l);
  if (!r.success) return r.error.issues.map((x) => `${x.path.join(".") || "load"}: ${x.message}`).join("; ");
  return shapeOf(r.data).check?.(r.data, o);
}

/** Requests in flight at most under a load, for `count` planned requests (pool size). */
export const maxInFlight = (l: LoadSpec, count: number): number => shapeOf(l).maxInFlight(l, count);

/** Prompts a run bounded by duration alone may use at this load; undefined: the shape has no bound. */
export const countForDuration = (l: LoadSpec, durationS: number): number | undefined => shapeOf(l).countForDuration(l, durationS);

/** Whether a load brings its own requests (trace lines, sessions x turns): no default request count then. */
export const ownsRequests = (l: LoadSpec): boolean => shapeOf(l).ownRequests !== undefined;

/** Workload prompts the measured phase of a load that brings its own requests draws (0: it builds its own). */
export const ownPrompts = (l: LoadSpec): number => shapeOf(l).ownRequests?.(l).prompts ?? 0;

export type { DriveContext, LoadShape, PrepareEnv } from "./shape.js";
export { concurrencyShape, rateShape, traceShape, sessionsShape };
