import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { UsageError } from "../errors.js";
import { experimentSchema, type ExperimentSpec } from "./schema.js";
import { isNamedTokenizer } from "../workload/tokenizer.js";

type Issue = z.core.$ZodIssue;

/** Reads and validates an experiment file (YAML or JSON); errors read "FILE: key.path: expected ...". */
export function loadExperimentFile(file: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${file}: cannot read experiment file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = extname(file).toLowerCase() === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid ${extname(file).toLowerCase() === ".json" ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`);
  }
  return parseExperiment(raw, file);
}

/**
 * Paths the experiment needs (datasets, tokenizer, working directories), checked before anything
 * starts, so a typo is one line naming the key instead of every cell failing the same way.
 */
export function checkPaths(spec: ExperimentSpec, file: string): void {
  const base = dirname(resolve(file));
  const need = (key: string, p: string, kind: "file" | "directory") => {
    const abs = resolve(base, p);
    const ok = existsSync(abs) && (kind === "file" ? statSync(abs).isFile() : statSync(abs).isDirectory());
    if (!ok) throw new UsageError(`${file}: ${key}: ${kind} not found: ${abs}`);
  };
  spec.workloads.forEach((w, i) => "dataset" in w && need(`workloads[${i}].dataset.path`, w.dataset.path, "file"));
  if (spec.tokenizer && !isNamedTokenizer(spec.tokenizer)) need("tokenizer", spec.tokenizer, "file");
  spec.servers.forEach((s, i) => "command" in s && s.cwd && need(`servers[${i}].cwd`, s.cwd, "directory"));
  spec.commands.forEach((c, i) => c.cwd && need(`commands[${i}].cwd`, c.cwd, "directory"));
}

export function parseExperiment(raw: unknown, file: string): ExperimentSpec {
  const res = experimentSchema.safeParse(raw ?? {});
  if (!res.success) throw new UsageError(`${file}: ${formatIssue(res.error.issues[0])}`);
  const spec = res.data;
  spec.commands.forEach((c, i) => {
    for (const [metric, src] of Object.entries(c.patterns)) {
      try {
        new RegExp(src);
      } catch (e) {
        throw new UsageError(`${file}: commands[${i}].patterns.${metric}: expected a regular expression (${(e as Error).message})`);
      }
    }
  });
  return spec;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(top level)";
}

/** One readable line for the first problem; unions report the branch that got furthest. */
export function formatIssue(issue: Issue, prefix: ReadonlyArray<PropertyKey> = []): string {
  const path = [...prefix, ...issue.path];
  const where = formatPath(path);
  switch (issue.code) {
    case "invalid_union": {
      const branches = issue.errors.filter((b) => b.length > 0);
      const depth = (b: Issue[]) => Math.max(...b.map((i) => i.path.length));
      const rootTypeErrors = branches.every((b) => b.length === 1 && b[0].code === "invalid_type" && b[0].path.length === 0);
      if (branches.length === 0 || rootTypeErrors) {
        const expected = [...new Set(branches.map((b) => (b[0] as { expected?: string }).expected ?? "?"))].join(" or ");
        return `${where}: expected ${expected || "another form"}`;
      }
      const best = [...branches].sort((a, b) => depth(b) - depth(a) || a.length - b.length)[0];
      return formatIssue(best[0], path);
    }
    case "invalid_type":
    {
      // zod only includes the input when asked to; its message says what it received.
      const received = /received (\w+)/.exec(issue.message)?.[1];
      return received === "undefined" ? `${where}: missing (expected ${issue.expected})` : `${where}: expected ${issue.expected}, got ${received ?? "another type"}`;
    }
    case "unrecognized_keys":
      return `${formatPath([...path, issue.keys[0]])}: unknown key (not part of the schema)`;
    case "invalid_value":
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "too_small":
      return `${where}: expected ${issue.origin === "array" ? "at least " + issue.minimum + " item(s)" : (issue.inclusive ? ">= " : "> ") + issue.minimum}`;
    case "too_big":
      return `${where}: expected ${issue.origin === "array" ? "at most " + issue.maximum + " item(s)" : (issue.inclusive ? "<= " : "< ") + issue.maximum}`;
    case "invalid_format":
      return `${where}: expected a valid ${issue.format === "regex" ? "value" : issue.format}${issue.format === "regex" ? ` (${issue.message})` : ""}`;
    case "custom":
      return `${where}: expected ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}
