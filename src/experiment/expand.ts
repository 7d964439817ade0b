import { createHash } from "node:crypto";
import type { LoadSpec } from "../schedule/types.js";
import type { LengthSpec, WorkloadSpec } from "../workload/types.js";
import type { CommandSpec, ExperimentSpec, ServerSpec, WorkloadEntry } from "./schema.js";
import { loadKey, parseLoadJson } from "../schedule/shapes/index.js";

// Pure: the experiment matrix servers x workloads x loads x repeats (plus commands x repeats)
// as an ordered list of cells with stable, human-readable keys.

export interface BenchCell {
  kind: "bench";
  key: string;
  server: ServerSpec;
  workload: WorkloadEntry;
  load: LoadSpec;
  repeat: number;
  /**
   * Position among the matrix's bench cells (0-based): the cell's prompts start at ordinal
   * index * CELL_PROMPT_STRIDE, so no cell (repeats included) re-sends another's prompts.
   */
  index: number;
  /** Hash of everything that determines the cell's result; a stored cell is reused only when it matches. */
  fingerprint: string;
}

export interface CommandCell {
  kind: "command";
  key: string;
  command: CommandSpec;
  repeat: number;
  fingerprint: string;
}

export type Cell = BenchCell | CommandCell;

/** Prompt ordinals each experiment cell owns: 2^32, more than any run draws. */
export const CELL_PROMPT_STRIDE = 2 ** 32;

/** The load's segment of a cell key ("c8", "r2.5", "rinf"); stable, as stored cells are matched on their keys. */
export const loadLabel = (load: LoadSpec): string => loadKey(load);

export function loadsOf(spec: ExperimentSpec): LoadSpec[] {
  const l = spec.loads;
  if (!l) return [];
  const out: LoadSpec[] = (l.concurrency ?? []).map((c) => ({ mode: "concurrency", concurrency: c }));
  for (const r of l.rate ?? []) {
    out.push({
      mode: "rate",
      rate: r === "inf" ? Infinity : r,
      arrival: l.arrival,
      ...(l.burstiness !== undefined ? { burstiness: l.burstiness } : {}),
      ...(l.max_concurrency !== undefined ? { maxConcurrency: l.max_concurrency } : {}),
    });
  }
  // Any registered shape, in its JSON form (validated by the schema).
  for (const raw of l.shapes ?? []) {
    const r = parseLoadJson(raw);
    if (r.load) out.push(r.load);
  }
  return out;
}

function toLength(v: WorkloadEntry extends infer W ? (W extends { input: infer L } ? L : never) : never): LengthSpec {
  if (typeof v === "number") return { kind: "fixed", value: v };
  if ("mean" in v) return { kind: "normal", mean: v.mean, stddev: v.stddev, min: v.min, max: v.max };
  return { kind: "uniform", min: v.min, max: v.max };
}

export function toWorkloadSpec(w: WorkloadEntry): WorkloadSpec {
  if ("dataset" in w) {
    return { kind: "dataset", format: w.dataset.format, path: w.dataset.path, defaultOutputTokens: w.dataset.default_output_tokens };
  }
  return { kind: "synthetic", input: toLength(w.input), output: toLength(w.output), sharedPrefixTokens: w.shared_prefix_tokens };
}

function hash(v: unknown): string {
  return createHash("sha256").update(JSON.stringify(v, (_k, x) => (x === Infinity ? "inf" : x))).digest("hex").slice(0, 16);
}

/** Settings shared by every bench cell that change what is measured. */
function runSettings(spec: ExperimentSpec) {
  const { requests, duration_s, warmup, ramp_up_s, timeout_s, exact_output, latency_origin, temperature, seed, goodput, extra_body, tokenizer } = spec;
  return { requests, duration_s, warmup, ramp_up_s, timeout_s, exact_output, latency_origin, temperature, seed, goodput, extra_body, tokenizer };
}

export function expandCells(spec: ExperimentSpec): Cell[] {
  const cells: Cell[] = [];
  const loads = loadsOf(spec);
  const settings = runSettings(spec);
  for (const server of spec.servers) {
    // Repeats outermost within a server, so slow drift (thermals, caches) spreads over every configuration.
    for (let rep = 1; rep <= spec.repeats; rep++) {
      for (const workload of spec.workloads) {
        for (const load of loads) {
          const key = `server=${server.name}/workload=${workload.name}/load=${loadLabel(load)}/rep=${rep}`;
          cells.push({ kind: "bench", key, server, workload, load, repeat: rep, index: cells.length, fingerprint: hash({ server, workload, load, settings }) });
        }
      }
    }
  }
  for (const command of spec.commands) {
    for (let rep = 1; rep <= spec.repeats; rep++) {
      cells.push({ kind: "command", key: `command=${command.name}/rep=${rep}`, command, repeat: rep, fingerprint: hash({ command }) });
    }
  }
  return cells;
}

/** The cell key without its repeat: repeats of one configuration share it. */
export function groupKey(cellKey: string): string {
  return cellKey.replace(/\/rep=\d+$/, "");
}

/**
 * Glob over cell keys: `*` matches anything (also across '/'), `?` one character, and a pattern
 * matches when it covers whole '/'-separated segments, so `server=vllm` or `load=c*` work alone.
 */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`(^|/)${body}(/|$)`);
}

export function filterCells<T extends { key: string }>(cells: T[], only: string[] = [], skip: string[] = []): T[] {
  const split = (xs: string[]) => xs.flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean).map(globToRegExp);
  const o = split(only);
  const s = split(skip);
  return cells.filter((c) => (o.length === 0 || o.some((r) => r.test(c.key))) && !s.some((r) => r.test(c.key)));
}
