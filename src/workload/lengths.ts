// Length distributions for synthetic inputs and requested outputs.
import type { LengthSpec } from "./types.js";
import type { Rng } from "./rng.js";

/** Inclusive bounds a spec can produce (max may be Infinity for an open normal). */
export function lengthBounds(spec: LengthSpec): { min: number; max: number } {
  switch (spec.kind) {
    case "fixed":
      return { min: spec.value, max: spec.value };
    case "uniform":
      return { min: spec.min, max: spec.max };
    case "normal":
      return { min: spec.min ?? 1, max: spec.max ?? Infinity };
  }
}

/** Throws one clear line when the spec cannot produce positive integer lengths. */
export function validateLengthSpec(spec: LengthSpec, what: string): void {
  const posInt = (v: unknown, name: string): void => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
      throw new Error(`${what} length: ${name} must be an integer >= 1, got ${String(v)}`);
    }
  };
  switch (spec.kind) {
    case "fixed":
      posInt(spec.value, "value");
      return;
    case "uniform":
      posInt(spec.min, "min");
      posInt(spec.max, "max");
      if (spec.max < spec.min) throw new Error(`${what} length: uniform max (${spec.max}) is below min (${spec.min})`);
      return;
    case "normal":
      if (typeof spec.mean !== "number" || !Number.isFinite(spec.mean)) {
        throw new Error(`${what} length: normal mean must be a finite number, got ${String(spec.mean)}`);
      }
      if (typeof spec.stddev !== "number" || !Number.isFinite(spec.stddev) || spec.stddev < 0) {
        throw new Error(`${what} length: normal stddev must be a number >= 0, got ${String(spec.stddev)}`);
      }
      if (spec.min !== undefined) posInt(spec.min, "min");
      if (spec.max !== undefined) posInt(spec.max, "max");
      {
        const { min, max } = lengthBounds(spec);
        if (max < min) throw new Error(`${what} length: normal max (${max}) is below min (${min})`);
      }
      return;
    default:
      throw new Error(`${what} length: unknown distribution ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
  }
}

/** One length from the spec: normal is rounded, then clipped to [min, max] (min defaults to 1). */
export function sampleLength(spec: LengthSpec, rng: Rng): number {
  switch (spec.kind) {
    case "fixed":
      return spec.value;
    case "uniform":
      return rng.int(spec.min, spec.max);
    case "normal": {
      const { min, max } = lengthBounds(spec);
      const v = Math.round(rng.normal(spec.mean, spec.stddev));
      return Math.max(1, Math.min(max, Math.max(min, v)));
    }
  }
}
