import type { CommandSpec } from "./schema.js";

/**
 * What a command cell stores as its run's summary_json (runs.kind = "command"). Compare reads
 * `metrics` (one value per name) and `samples` (every value printed, for confidence intervals).
 */
export interface CommandRunSummary {
  kind: "command";
  id: string;
  command: string;
  args: string[];
  started_at: string;
  duration_s: number;
  exit_code: number | null;
  signal: string | null;
  metrics: Record<string, number>;
  samples: Record<string, number[]>;
  higher_is_better: Record<string, boolean>;
  units: Record<string, string>;
  /** How `samples` became `metrics`. */
  reduce: "mean" | "last" | "max" | "min" | "sum";
}

/** Pure: metric samples from a command's stdout lines (JSON object lines and/or named patterns). */
export function extractMetrics(lines: string[], spec: Pick<CommandSpec, "json_lines" | "patterns">): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const add = (k: string, v: number) => {
    if (Number.isFinite(v)) (out[k] ??= []).push(v);
  };
  const patterns = Object.entries(spec.patterns).map(([k, src]) => [k, new RegExp(src)] as const);
  for (const line of lines) {
    const t = line.trim();
    if (spec.json_lines && t.startsWith("{") && t.endsWith("}")) {
      try {
        const obj = JSON.parse(t) as Record<string, unknown>;
        for (const [k, v] of Object.entries(obj)) if (typeof v === "number") add(k, v);
      } catch {
        // Not JSON after all: it may still match a pattern.
      }
    }
    for (const [k, re] of patterns) {
      const m = re.exec(line);
      if (!m) continue;
      const raw = m.groups?.value ?? m[1] ?? m[0];
      add(k, Number(raw));
    }
  }
  return out;
}

export function reduceSamples(values: number[], how: CommandSpec["reduce"]): number {
  switch (how) {
    case "last":
      return values[values.length - 1];
    case "max":
      return Math.max(...values);
    case "min":
      return Math.min(...values);
    case "sum":
      return values.reduce((a, b) => a + b, 0);
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
