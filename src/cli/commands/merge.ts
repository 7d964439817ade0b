import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { groupShardFiles, mergeShardRuns, MergeError } from "../../benchmark/merge.js";
import { newRunId } from "../../benchmark/runLoad.js";
import { defaultDbPath, openDb } from "../../store/db.js";
import { appendRequests, createRun, finishRun } from "../../store/runs.js";
import { addStoreOptions } from "../sharedOptions.js";
import { UsageError } from "../errors.js";
import { addSinkOptions, checkSinks, consoleSink, sinksFromFlags, tableStream, writeSinks } from "../../output/sinks.js";
import { TOOL_VERSION } from "../../version.js";
import type { RunSummary } from "../../aggregate/types.js";
import type { RequestRecord } from "../../measure/types.js";

interface MergeFlags {
  db?: string;
  store: boolean;
  label?: string;
}

export function register(program: Command): void {
  // Outputs of the merged runs: the same registry as `run` (--json, --records, --csv, --report).
  addSinkOptions(
    addStoreOptions(
      program
        .command("merge")
        .description("combine shard results (run --shard I/N: each shard's --json and --records files) into one run per load")
        .argument("<files...>", "every shard's summary JSON (--json) and records JSONL (--records)"),
    ),
  )
    .option("--label <text>", "label stored with the merged runs")
    .action(async (files: string[], flags: MergeFlags) => {
      const sinks = [consoleSink({}, tableStream(flags as { json?: unknown })), ...sinksFromFlags(flags as unknown as Record<string, unknown>, { db: flags.store ? (flags.db ?? defaultDbPath()) : null })];
      checkSinks(sinks);
      const inputs = files.map((path) => {
        try {
          return { path, text: readFileSync(path, "utf8") };
        } catch (e) {
          throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      });
      const merged: Array<{ summary: RunSummary; records: RequestRecord[] }> = [];
      try {
        for (const group of groupShardFiles(inputs)) merged.push(mergeShardRuns(group, newRunId()));
      } catch (e) {
        if (e instanceof MergeError) throw new UsageError(e.message);
        throw e;
      }
      if (flags.store) {
        const db = openDb(flags.db ?? defaultDbPath());
        try {
          for (const m of merged) {
            const s = m.summary;
            createRun(db, {
              id: s.id,
              api: s.api,
              model: s.model,
              target: s.target,
              load: s.load,
              options: { merged_from: s.merged?.run_ids },
              toolVersion: TOOL_VERSION,
              host: null,
              serverInfo: null,
              label: flags.label,
            });
            appendRequests(db, s.id, 0, m.records);
            finishRun(db, s.id, s.status, s);
          }
        } finally {
          db.close();
        }
      }
      await writeSinks(sinks, { summaries: merged.map((m) => m.summary), records: merged.map((m) => m.records) });
      process.stderr.write(
        `merged ${merged.map((m) => `${m.summary.merged!.shards} shards into run ${m.summary.id}`).join(", ")}${flags.store ? " (stored)" : ""}\n`,
      );
    });
}
