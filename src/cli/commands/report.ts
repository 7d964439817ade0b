import type { Command } from "commander";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { defaultDbPath, openDb } from "../../store/db.js";
import { buildReport, UnknownIdError } from "../../report/index.js";
import { defaultCompare } from "../../report/compareProvider.js";
import { UsageError } from "../errors.js";
import { GPU_IDS, gpuById, type GpuSpec, type ModelSpec } from "../../predict/index.js";
import { loadModel } from "./predict.js";
import { checkOutputDir, checkOutputFile } from "../../output/paths.js";

interface ReportFlags {
  out: string;
  png?: string;
  baseline?: string;
  db?: string;
  title?: string;
  gpu?: string;
  preset?: string;
  gguf?: string;
  hfConfig?: string;
  dtype?: string;
}

/** --gpu with one of --preset / --gguf / --hf-config: the hardware the runs are compared with. */
function hardwareOf(f: ReportFlags): { model: ModelSpec; gpu: GpuSpec } | undefined {
  const modelGiven = f.preset !== undefined || f.gguf !== undefined || f.hfConfig !== undefined;
  if (f.gpu === undefined && !modelGiven) return undefined;
  if (f.gpu === undefined) throw new UsageError(`--gpu is needed with --preset, --gguf or --hf-config (${GPU_IDS.join(", ")})`);
  const gpu = gpuById(f.gpu);
  if (!gpu) throw new UsageError(`unknown --gpu "${f.gpu}" (known: ${GPU_IDS.join(", ")})`);
  if (!modelGiven) throw new UsageError("--gpu needs the model the runs served: --preset, --gguf or --hf-config");
  return { model: loadModel(f), gpu };
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
    .option("--gpu <id>", "with the model: add measured vs predicted (roofline + batching) per concurrency run; ids as in `tokenbench predict --list-gpus`")
    .option("--preset <name>", "the model the runs served, as a preset (see predict)")
    .option("--gguf <file>", "the model the runs served, from a GGUF header")
    .option("--hf-config <file>", "the model the runs served, from a Hugging Face config.json")
    .option("--dtype <t>", "weight type for --preset / --hf-config (default f16)")
    .action(async (ids: string[], f: ReportFlags) => {
      checkOutputFile(f.out, "--out");
      const hardware = hardwareOf(f);
      if (f.png) checkOutputDir(f.png, "--png");
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`no results database at ${path} (run a benchmark first, or pass --db)`);
      const db = openDb(path, { readonly: true });
      try {
        let report;
        try {
          report = buildReport(db, ids, { baseline: f.baseline, title: f.title, compare: defaultCompare, hardware });
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
        for (const why of report.data.hardware?.skipped ?? []) process.stderr.write(`note: not compared with the hardware limit: ${why}\n`);
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
