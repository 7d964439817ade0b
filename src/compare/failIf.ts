import { UsageError } from "../errors.js";
import type { Comparison } from "./types.js";

/**
 * `--fail-if` conditions. `METRIC<-5%` / `METRIC>+10%`: relative change of an item vs the baseline
 * (ratio - 1) beyond the limit; `METRIC>500`: the item's value itself beyond the limit.
 */
export interface FailCondition {
  source: string;
  metric: string;
  op: "<" | "<=" | ">" | ">=";
  limit: number;
  relative: boolean;
}

export function parseFailIf(expr: string): FailCondition[] {
  return expr
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^([A-Za-z_][A-Za-z0-9_.:-]*)\s*(<=|>=|<|>)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%?)$/.exec(s);
      if (!m) throw new UsageError(`--fail-if "${s}": expected METRIC<LIMIT or METRIC<-5% (operators < <= > >=), e.g. "output_tokens_per_s<-5%"`);
      return { source: s, metric: m[1], op: m[2] as FailCondition["op"], limit: Number(m[3]) / (m[4] ? 100 : 1), relative: m[4] === "%" };
    });
}

export interface FailHit {
  condition: FailCondition;
  itemId: string;
  /** The compared quantity: relative change (fraction) or the value. */
  actual: number;
  significant: boolean;
  message: string;
}

const holds = (x: number, op: FailCondition["op"], y: number) => (op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y);

/** Conditions met by any non-baseline item. With `significantOnly`, relative hits need a significant difference. */
export function evaluateFailIf(cmp: Comparison, conditions: FailCondition[], opts: { significantOnly?: boolean } = {}): FailHit[] {
  const hits: FailHit[] = [];
  const label = (id: string) => cmp.items.find((i) => i.id === id)?.label ?? id;
  for (const c of conditions) {
    const m = cmp.metrics.find((x) => x.metric === c.metric);
    if (!m) throw new UsageError(`--fail-if "${c.source}": metric ${c.metric} is not in this comparison (${cmp.metrics.map((x) => x.metric).join(", ")})`);
    for (const v of m.values) {
      if (v.id === cmp.baseline && c.relative) continue;
      const actual = c.relative ? v.ratio - 1 : v.value;
      if (!holds(actual, c.op, c.limit)) continue;
      if (c.relative && opts.significantOnly && !v.significant) continue;
      const shown = c.relative ? `${actual >= 0 ? "+" : ""}${(actual * 100).toFixed(1)}% vs ${label(cmp.baseline)}` : `${v.value.toPrecision(5)} ${m.unit}`;
      hits.push({
        condition: c,
        itemId: v.id,
        actual,
        significant: v.significant,
        message: `${c.metric} of ${label(v.id)} is ${shown} (limit ${c.source}${c.relative ? (v.significant ? ", significant" : ", not significant") : ""})`,
      });
    }
  }
  return hits;
}
