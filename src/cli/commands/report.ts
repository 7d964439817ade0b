import type { Command } from "commander";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { defaultDbPath, openDb } from "../../store/db.js";
import { buildReport, UnknownIdError } from "../../report/index.js";
import { defaultCompare } from "../../report/compareProvider.js";
import { UsageError } from "../errors.js";
import { checkOutputDir, checkOutputFile } from "../../output/paths.js";

interface ReportFlags {
  out: string;
  png?: string;
  baseline?: string;
  db?: string;
  title?: string;
}

export function register(program: Command): void {
  program
    .command("report")
    .description("write a self-contained HTML report (charts, tables, metadata) of runs, experiments or cells")
    .argument("<ids...>", "run ids (unique prefixes work), experiment ids, or experimentId:cellKeyPrefix")
    .option("-o, --out <file>", "HTML file to write", "report.html")
    .option("--png <dir>", "also write every chart as a PNG image into this directory")
    .option("--baseline <id>", "reference for the comparison (default: the first id)")
    .option("--title <text>", "report title")
    .option("--db <path>", "results database (default ~/.tokenbench/results.db or TOKENBENCH_DB)")
    .action(async (ids: string[], f: ReportFlags) => {
      checkOutputFile(f.out, "--out");
      if (f.png) checkOutputDir(f.png, "--png");
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`no results database at ${path} (run a benchmark first, or pass --db)`);
      const db = openDb(path, { readonly: true });
      try {
        let report;
        try {
          report = buildReport(db, ids, { baseline: f.baseline, title: f.title, compare: defaultCompare });
        } catch (e) {
          if (e instanceof UnknownIdError) throw new UsageError(e.message);
          throw e;
        }
        const out = resolve(f.out);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, report.html);
        process.stdout.write(
          `wrote ${f.out}: ${report.data.runs.length} run(s), ${report.charts.length} chart(s), ${Math.round(report.html.length / 1024)} KiB\n`,
        );
        if (report.data.comparisonNote) process.stderr.write(`note: ${report.data.comparisonNote}\n`);
        if (f.png) {
          const { writeChartPngs } = await import("../../report/png.js");
          const files = writeChartPngs(report.charts, resolve(f.png));
          process.stdout.write(`wrote ${files.length} PNG chart(s) to ${f.png}\n`);
        }
      } finally {
        db.close();
      }
    });
}
