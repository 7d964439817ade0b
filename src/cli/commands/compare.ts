import type { Command } from "commander";
import { compare } from "../../compare/index.js";
import { evaluateFailIf, parseFailIf } from "../../compare/failIf.js";
import { renderComparison } from "../../compare/format.js";
import { defaultDbPath, openDb } from "../../store/db.js";
import { existsSync } from "node:fs";
import { beyond, MAX_RESAMPLES } from "../../limits.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";
import { snakeKeys } from "../../output/snakeCase.js";

interface Flags {
  db?: string;
  baseline?: string;
  metric?: string[];
  failIf?: string[];
  significantOnly?: boolean;
  seed: number;
  resamples: number;
  json?: boolean;
  force?: boolean;
}

export function register(program: Command): void {
  program
    .command("compare")
    .description("compare runs, experiment cells or whole experiments: ratios to a baseline with 95% bootstrap CIs")
    .argument("<ids...>", "run ids, experiment ids or EXPERIMENT:CELL-KEY-PREFIX; a single experiment compares its configurations")
    .option("--db <path>", "results database (default ~/.tokenbench/results.db or TOKENBENCH_DB)")
    .option("--baseline <id>", "the reference item (id or label; default the first)")
    .option("--metric <name>", "only these metrics (repeatable, comma separated); p90/p95 on request: ttft_p95_ms, tpot_p90_ms, e2e_p95_ms, ...", p.collect)
    .option("--fail-if <cond>", 'exit 1 when a condition holds for any item, e.g. "output_tokens_per_s<-5%" or "ttft_p99_ms>500" (repeatable)', p.collect)
    .option("--significant-only", "relative --fail-if conditions only count when the difference is significant")
    .option("--seed <n>", "bootstrap seed", p.nonNegativeInt, 1)
    .option("--resamples <n>", "bootstrap resamples", p.positiveInt, 2000)
    .option("--json", "print the comparison as JSON")
    .option("--force", "compare runs that used different APIs or workloads (refused otherwise)")
    .action((ids: string[], f: Flags) => {
      const conditions = (f.failIf ?? []).flatMap(parseFailIf);
      const tooMany = beyond("resamples", f.resamples, MAX_RESAMPLES);
      if (tooMany) throw new UsageError(tooMany);
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`results database ${path} does not exist`);
      // Comparing writes nothing: read-only, so a database in a directory the user cannot write works.
      const db = openDb(path, { readonly: true });
      try {
        const cmp = compare(db, ids, {
          baseline: f.baseline,
          metrics: f.metric?.flatMap((m) => m.split(",").map((x) => x.trim())).filter(Boolean),
          seed: f.seed,
          resamples: f.resamples,
        });
        if (cmp.metrics.length === 0) throw new UsageError("the compared items share no metric");
        if (cmp.warnings?.length) {
          if (!f.force) throw new UsageError(`${cmp.warnings[0]}${cmp.warnings.length > 1 ? ` (and ${cmp.warnings.length - 1} more)` : ""}; compare anyway with --force`);
          for (const w of cmp.warnings) process.stderr.write(`warning: ${w}\n`);
        }
        const hits = evaluateFailIf(cmp, conditions, { significantOnly: f.significantOnly });
        process.stdout.write(f.json ? JSON.stringify(snakeKeys(cmp, true), (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n" : renderComparison(cmp));
        for (const h of hits) process.stderr.write(`FAIL: ${h.message}\n`);
        if (hits.length > 0) process.exitCode = 1;
      } finally {
        db.close();
      }
    });
}
