import type { Command } from "commander";
import Table from "cli-table3";
import { defaultDbPath, openDb } from "../../store/db.js";
import { listRuns, statusText } from "../../store/runs.js";
import { existsSync } from "node:fs";
import { UsageError } from "../errors.js";
import { positiveInt } from "../parse.js";
import { storedLoadLabel } from "../../schedule/shapes/index.js";
import { workloadShort } from "../../output/workloadText.js";
import { listColumns } from "../../aggregate/metricTable.js";

export function register(program: Command): void {
  program
    .command("runs")
    .description("list stored runs, newest first")
    .option("--db <path>", "results database")
    .option("-n, --limit <n>", "how many", positiveInt, 20)
    .option("--experiment <id>", "only runs of this experiment")
    .option("--json", "print JSON")
    .action((f: { db?: string; limit: number; experiment?: string; json?: boolean }) => {
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`no results database at ${path} (run a benchmark first, or pass --db)`);
      const db = openDb(path, { readonly: true });
      try {
        const runs = listRuns(db, { limit: f.limit, experimentId: f.experiment });
        if (f.json) {
          process.stdout.write(JSON.stringify(runs.map(({ summary, ...r }) => ({ ...r, summary })), null, 2) + "\n");
          return;
        }
        // No colour codes: the table is often piped or pasted.
        // The figures are the metric table's run-list entries, as in the UI.
        const figures = listColumns();
        const t = new Table({ head: ["id", "created", "status", "api", "model", "load", "workload", "done/failed", ...figures.map((c) => c.title), "label"], style: { head: [], border: [] } });
        for (const r of runs) {
          // command cells store their own metrics, not a benchmark summary
          const s = r.kind === "bench" ? r.summary : null;
          t.push([
            r.id,
            r.created_at.replace("T", " ").slice(0, 19),
            statusText(r),
            r.api ?? "",
            r.model ?? "",
            storedLoadLabel(r.load),
            workloadShort(s?.workload),
            s ? `${s.requests.completed}/${s.requests.failed}` : "",
            ...figures.map((c) => {
              const v = s ? c.value(s) : null;
              return v === null ? "" : v.toFixed(1);
            }),
            r.label ?? r.cell_key ?? "",
          ]);
        }
        process.stdout.write(runs.length ? t.toString() + "\n" : "no runs stored yet\n");
      } finally {
        db.close();
      }
    });
}
