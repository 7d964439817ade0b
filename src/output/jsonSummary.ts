import type { RunSummary, SummaryDocument } from "../aggregate/types.js";
import { TOOL_VERSION } from "../version.js";
import { writeFileAtomic } from "./atomicWrite.js";
import { sweepSummary } from "./sweepTable.js";

/** The summary JSON; a sweep's runs (`opts.sweep`) also get `sweep_summary`, one row per point. */
export function summaryDocument(runs: RunSummary[], opts: { sweep?: boolean } = {}): SummaryDocument {
  return { tool: { name: "tokenbench", version: TOOL_VERSION }, runs, ...(opts.sweep ? { sweep_summary: sweepSummary(runs) } : {}) };
}

/**
 * The --json value meaning standard output. Commands that take it print their tables to stderr
 * instead, so that stdout is one JSON document (`tokenbench run --json - | jq`).
 */
export const STDOUT = "-";

/** Writes a JSON text to `path` atomically, or to standard output for STDOUT ("-"). */
export function writeJsonText(path: string, text: string): void {
  if (path === STDOUT) process.stdout.write(text);
  else writeFileAtomic(path, text);
}

/**
 * Writes the SummaryDocument as pretty JSON (to stdout for STDOUT). Non-finite numbers are refused rather than
 * silently turned into null by JSON.stringify: a summary must never carry them.
 */
export function writeJsonSummary(path: string, doc: SummaryDocument): void {
  const text = JSON.stringify(
    doc,
    (key, v) => {
      if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`summary field "${key}" is ${v}; not representable in JSON`);
      return v;
    },
    2,
  );
  writeJsonText(path, text + "\n");
}
