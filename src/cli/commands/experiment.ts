import type { Command } from "commander";
import { existsSync } from "node:fs";
import { defaultDbPath, openDb } from "../../store/db.js";
import { getCells, getExperiment } from "../../store/experiments.js";
import { statusText } from "../../store/runs.js";
import { expandCells, filterCells } from "../../experiment/expand.js";
import { checkPaths, loadExperimentFile } from "../../experiment/load.js";
import { runExperiment } from "../../experiment/runner.js";
import { selfCommand } from "../../experiment/self.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";

interface RunFlags {
  db?: string;
  only?: string[];
  skip?: string[];
  fresh?: boolean;
  logs?: string;
  apiKey?: string;
}

export function register(program: Command): void {
  const exp = program.command("experiment").description("run a study over server configurations from one experiment file");

  exp
    .command("run")
    .description("run every cell of FILE not already stored (re-running resumes)")
    .argument("<file>", "experiment file (YAML or JSON)")
    .option("--db <path>", "results database (default ~/.tokenbench/results.db or TOKENBENCH_DB)")
    .option("--only <glob>", "run only cells whose key matches (repeatable, comma separated), e.g. server=vllm or load=c*", p.collect)
    .option("--skip <glob>", "skip cells whose key matches (repeatable, comma separated)", p.collect)
    .option("--fresh", "forget stored cells of this experiment and run everything again")
    .option("--logs <dir>", "directory for server and command logs (default: next to the database)")
    .option("--api-key <key>", "bearer token for the servers (or TOKENBENCH_API_KEY / OPENAI_API_KEY); never stored")
    .action(async (file: string, f: RunFlags) => {
      const spec = loadExperimentFile(file);
      checkPaths(spec, file);
      const db = f.db ?? defaultDbPath();
      const ac = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        if (++interrupts > 1) process.exit(130);
        process.stderr.write("interrupted: stopping the cell in flight and its server (Ctrl-C again to quit at once)\n");
        ac.abort();
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      try {
        const res = await runExperiment({
          spec,
          file,
          db,
          logDir: f.logs,
          only: f.only,
          skip: f.skip,
          fresh: f.fresh,
          apiKey: f.apiKey ?? process.env.TOKENBENCH_API_KEY ?? process.env.OPENAI_API_KEY,
          signal: ac.signal,
          log: (l) => process.stderr.write(l + "\n"),
          // `command: tokenbench` in the file runs this very tokenbench (dev checkout or installed).
          self: selfCommand(),
        });
        const n = (s: string) => res.cells.filter((c) => c.status === s).length;
        process.stdout.write(
          `experiment ${res.experimentId}: ${n("completed")} completed, ${n("stored")} already stored, ${n("failed")} failed` +
            `${res.interrupted ? `, ${n("interrupted")} not run (interrupted)` : ""}; database ${db}; logs ${res.logDir}\n`,
        );
        for (const c of res.cells.filter((c) => c.status === "failed")) process.stdout.write(`FAILED ${c.key}: ${c.error}\n`);
        if (res.cells.length > 0 && !res.interrupted) process.stdout.write(`compare with: tokenbench compare ${res.experimentId} --db ${db}\n`);
        if (res.interrupted) process.exitCode = 130;
        else if (n("failed") > 0) process.exitCode = 1;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
    });

  exp
    .command("validate")
    .description("check FILE against the schema and list its cells")
    .argument("<file>", "experiment file (YAML or JSON)")
    .option("--only <glob>", "as for run", p.collect)
    .option("--skip <glob>", "as for run", p.collect)
    .action((file: string, f: { only?: string[]; skip?: string[] }) => {
      const spec = loadExperimentFile(file);
      checkPaths(spec, file);
      const cells = filterCells(expandCells(spec), f.only, f.skip);
      process.stdout.write(`${file}: valid experiment "${spec.name}", ${cells.length} cells\n${cells.map((c) => `  ${c.key}\n`).join("")}`);
    });

  exp
    .command("status")
    .description("show the stored cells of an experiment (by name, or its file)")
    .argument("<name-or-file>", "experiment name or file")
    .option("--db <path>", "results database")
    .action((arg: string, f: { db?: string }) => {
      const name = /\.(ya?ml|json)$/i.test(arg) ? loadExperimentFile(arg).name : arg;
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`no results database at ${path} (run an experiment first, or pass --db)`);
      // Status writes nothing: read-only, so a database in a directory the user cannot write works.
      const db = openDb(path, { readonly: true });
      try {
        const e = getExperiment(db, name);
        if (!e) throw new UsageError(`no experiment named "${name}" in the database`);
        const cells = getCells(db, name);
        process.stdout.write(`experiment ${name}: ${statusText({ status: e.status, owner_host: e.ownerHost })}, ${cells.length} stored cells\n`);
        for (const c of cells) process.stdout.write(`  ${c.status.padEnd(9)} ${c.cellKey}${c.runId ? ` run ${c.runId}` : ""}${c.error ? ` — ${c.error.split("\n")[0]}` : ""}\n`);
      } finally {
        db.close();
      }
    });
}
