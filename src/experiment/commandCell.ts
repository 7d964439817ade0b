import { finishCommandRun } from "../store/runs.js";
import { spawn } from "node:child_process";
import { startWatchdog } from "../lifeline.js";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { Db } from "../store/db.js";
import { createRun } from "../store/runs.js";
import { redactArgs } from "./redactArgs.js";
import { lineMasker, processSecretValues, redactValues } from "../store/redact.js";
import { TOOL_VERSION } from "../version.js";
import { extractMetrics, reduceSamples, type CommandRunSummary } from "./commandMetrics.js";
import type { CommandSpec } from "./schema.js";

export interface CommandCellResult {
  runId: string;
  ok: boolean;
  error?: string;
  summary: CommandRunSummary;
  startedAtMs: number;
}

/** Runs one command cell (no shell, own process group), tees its output to the log and stores it as a run (an experiment's, or standalone as `tokenbench probe` does). */
export async function runCommandCell(
  db: Db,
  spec: CommandSpec,
  o: { runId: string; experimentId?: string; cellKey?: string; label: string; logPath: string; signal?: AbortSignal; apiKey?: string },
): Promise<CommandCellResult> {
  mkdirSync(dirname(o.logPath), { recursive: true });
  const log = createWriteStream(o.logPath, { flags: "a" });
  // Secrets of its environment and arguments (and the user's API key) are masked in the log.
  const secrets = processSecretValues(spec.env, spec.args, o.apiKey);
  const errMasker = lineMasker(secrets);
  const startedAtMs = Date.now();
  createRun(db, {
    id: o.runId,
    kind: "command",
    target: spec.command,
    options: { command: spec.command, args: redactArgs(spec.args), env: spec.env, cwd: spec.cwd },
    toolVersion: TOOL_VERSION,
    experimentId: o.experimentId,
    cellKey: o.cellKey,
    label: o.label,
  });
  const lines: string[] = [];
  let spawnError: string | undefined;
  let timedOut = false;
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    // Its group is stopped even if we are killed outright (see lifeline.ts).
    const watchdog = child.pid ? startWatchdog(child.pid, 5000) : undefined;
    const kill = () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
        setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* gone */
          }
        }, 5000).unref();
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => ((timedOut = true), kill()), spec.timeout_s * 1000);
    o.signal?.addEventListener("abort", kill, { once: true });
    child.once("error", (e: NodeJS.ErrnoException) => {
      spawnError = e.code === "ENOENT" ? `command not found: ${spec.command}` : `cannot start ${spec.command}: ${e.message}`;
      clearTimeout(timer);
      resolve({ code: null, signal: null });
    });
    createInterface({ input: child.stdout! }).on("line", (l) => {
      lines.push(l);
      log.write(redactValues(l, secrets) + "\n");
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => log.write(errMasker.push(d)));
    child.once("close", (code, signal) => {
      watchdog?.disarm();
      clearTimeout(timer);
      o.signal?.removeEventListener("abort", kill);
      resolve({ code, signal });
    });
  });
  await new Promise<void>((r) => log.end(errMasker.end(), r));
  const samples = extractMetrics(lines, spec);
  const metrics = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, reduceSamples(v, spec.reduce)]));
  const summary: CommandRunSummary = {
    kind: "command",
    id: o.runId,
    command: spec.command,
    args: redactArgs(spec.args),
    started_at: new Date(startedAtMs).toISOString(),
    duration_s: (Date.now() - startedAtMs) / 1000,
    exit_code: exit.code,
    signal: exit.signal,
    metrics,
    samples,
    higher_is_better: Object.fromEntries(Object.keys(samples).map((k) => [k, !spec.lower_is_better.includes(k)])),
    units: spec.units,
    reduce: spec.reduce,
  };
  let error: string | undefined;
  if (spawnError) error = spawnError;
  else if (timedOut) error = `timed out after ${spec.timeout_s}s`;
  else if (o.signal?.aborted) error = "interrupted";
  else if (exit.code !== 0) error = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  else if (Object.keys(metrics).length === 0) error = "printed no metrics (no JSON object lines or pattern matches on stdout)";
  const status = error ? (o.signal?.aborted ? "interrupted" : "failed") : "completed";
  finishCommandRun(db, o.runId, status, summary);
  return { runId: o.runId, ok: !error, error, summary, startedAtMs };
}
