// The registry of outputs: the console table and every file a run can write. A new output is a
// writer module plus one entry in FILE_SINKS; `run` and `merge` offer its flag and call it.
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import { renderRunTable, type RunTableOptions } from "./consoleTable.js";
import { writeCsv } from "./csv.js";
import { RecordsJsonlWriter, withRunIds } from "./jsonl.js";
import { STDOUT, summaryDocument, writeJsonSummary } from "./jsonSummary.js";
import { renderSweepTable, sweepSummary } from "./sweepTable.js";
import { checkDistinctOutputs, checkOutputFile } from "./paths.js";
import { writeFileAtomic } from "./atomicWrite.js";
import type { FileSinkKind, OutputSink, SinkContext } from "./sink.js";

export type { FileSinkKind, OutputSink, SinkContext, SinkResult } from "./sink.js";
export { checkSinks, writeSinks } from "./sink.js";

/** The final table per run on a stream (stdout by default). */
export function consoleSink(opts: RunTableOptions = {}, out: { write(s: string): unknown } = process.stdout): OutputSink {
  return {
    name: "console",
    write: (r) => {
      for (const s of r.summaries) out.write(renderRunTable(s, opts) + "\n");
      if (r.sweep && r.summaries.length) out.write(renderSweepTable(sweepSummary(r.summaries)) + "\n");
    },
  };
}

/**
 * Where the console table goes: stdout, or stderr when `--json -` has stdout for the JSON (so
 * stdout stays valid JSON). `flags` are a command's parsed flags.
 */
export function tableStream(flags: { json?: unknown }): NodeJS.WriteStream {
  return flags.json === STDOUT ? process.stderr : process.stdout;
}

/** A file sink whose path is checked before the run (standard output, "-", needs no check); `write` gets the path. */
function fileSink(flag: string, path: string, write: OutputSink["write"], check?: () => void): OutputSink {
  const name = `${flag.split(" ")[0]} ${path}`;
  return {
    name,
    check: () => {
      if (path !== STDOUT || flag !== "--json") checkOutputFile(path, flag.split(" ")[0]);
      check?.();
    },
    write,
  };
}

/**
 * --records: lines are appended to the file as records finish (onRecord, bounded memory; whole
 * lines at least every second, so a killed run keeps them); a command whose records are all in hand
 * (merge) gets them written by write(). close(false) after a failed run keeps what was measured
 * (and with no record, leaves any older file untouched).
 */
function recordsSink(path: string): OutputSink {
  let writer: RecordsJsonlWriter | undefined;
  let progressive = false;
  const open = () => (writer ??= new RecordsJsonlWriter(path));
  const base = fileSink("--records", path, () => undefined);
  return {
    ...base,
    onRecord: (runId, record) => {
      progressive = true;
      open().write({ run_id: runId, ...record });
    },
    write: (r) => {
      if (progressive) return;
      const w = open();
      for (const line of withRunIds(r.summaries, r.records.map((x) => [...x]))) w.write(line);
    },
    close: (completed = true) => {
      const w = writer;
      writer = undefined;
      if (w) w.close(completed);
      else if (completed) open().close();
    },
  };
}

export const FILE_SINKS: FileSinkKind[] = [
  {
    flag: "--json <file>",
    description: "write the summary JSON (docs/metrics.md section 9); - for stdout (the table then goes to stderr)",
    create: (path) => fileSink("--json", path, (r) => writeJsonSummary(path, summaryDocument([...r.summaries], { sweep: r.sweep }))),
  },
  {
    flag: "--records <file>",
    description: "write one JSON line per request (as requests finish)",
    create: (path) => recordsSink(path),
  },
  {
    flag: "--csv <file>",
    description: "write one CSV row per run",
    create: (path) => fileSink("--csv", path, (r) => writeCsv(path, r.summaries)),
  },
  {
    flag: "--report <file>",
    description: "write the HTML report of these runs (as `tokenbench report`; needs the results database)",
    create: (path, ctx: SinkContext) =>
      fileSink(
        "--report",
        path,
        async (r) => {
          // Loaded only when asked for: the report's modules are not needed by a plain run.
          const [{ openDb }, { buildReport }, { defaultCompare }] = await Promise.all([import("../store/db.js"), import("../report/index.js"), import("../report/compareProvider.js")]);
          const db = openDb(ctx.db!, { readonly: true });
          try {
            writeFileAtomic(path, buildReport(db, r.summaries.map((s) => s.id), { compare: defaultCompare }).html);
          } finally {
            db.close();
          }
        },
        () => {
          if (ctx.db === null) throw new UsageError("--report reads the runs from the results database: drop --no-store");
        },
      ),
  },
];

const keyOf = (k: FileSinkKind) => k.flag.replace(/^--([a-z-]+).*$/, "$1").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds every file sink's flag to a command. */
export function addSinkOptions(cmd: Command): Command {
  for (const k of FILE_SINKS) cmd.option(k.flag, k.description);
  return cmd;
}

/** The file sinks the parsed flags ask for, in registry order. */
export function sinksFromFlags(flags: Record<string, unknown>, ctx: SinkContext): OutputSink[] {
  const asked = FILE_SINKS.filter((k) => typeof flags[keyOf(k)] === "string");
  checkDistinctOutputs(asked.map((k) => ({ flag: k.flag.split(" ")[0], path: flags[keyOf(k)] as string })));
  return asked.map((k) => k.create(flags[keyOf(k)] as string, ctx));
}
