import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { runBenchmark } from "../benchmark/run.js";
import { newRunId } from "../benchmark/runLoad.js";
import { openDb, type Db } from "../store/db.js";
import { storeTelemetry, startTelemetry } from "../telemetry/index.js";
import type { RunSummary } from "../aggregate/types.js";
import { putCell, getCells, upsertExperiment, setExperimentStatus, deleteCells, experimentIdFor, markStaleExperimentRuns } from "../store/experiments.js";
import { runCommandCell } from "./commandCell.js";
import { CELL_PROMPT_STRIDE, expandCells, filterCells, groupKey, toWorkloadSpec, type BenchCell, type Cell, type CommandCell } from "./expand.js";
import { redactArgs } from "./redactArgs.js";
import { processSecretValues } from "../store/redact.js";
import { isLaunched, type ExperimentSpec, type ServerSpec } from "./schema.js";
import { describeExit, isPortFree, launch, logTail, pickFreePort, substitute, waitPortFree, waitReady, ServerStartError, type ServerProcess } from "./serverProcess.js";
import { isNamedTokenizer } from "../workload/tokenizer.js";

export interface RunExperimentOptions {
  spec: ExperimentSpec;
  /** The experiment file: relative cwd/paths resolve against its directory. */
  file?: string;
  /** Results database path. */
  db: string;
  /** Where server and command logs go; default: <db dir>/experiments/<id>/logs. */
  logDir?: string;
  only?: string[];
  skip?: string[];
  /** Ignore stored cells and run everything again. */
  fresh?: boolean;
  apiKey?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  nvidiaSmiCommand?: string;
  /**
   * What a server or command named exactly `tokenbench` runs: the tokenbench running the experiment
   * (the CLI passes its own node + script), so recipes work without tokenbench on PATH.
   */
  self?: { command: string; args: string[] };
}

export type CellStatus = "completed" | "failed" | "stored" | "interrupted";

export interface CellOutcome {
  key: string;
  status: CellStatus;
  runId?: string;
  error?: string;
  /** Headline figure for progress lines (output tok/s, or the first command metric). */
  headline?: string;
}

export interface ExperimentResult {
  experimentId: string;
  cells: CellOutcome[];
  interrupted: boolean;
  logDir: string;
}

const TAIL_LINES = 12;

export async function runExperiment(o: RunExperimentOptions): Promise<ExperimentResult> {
  const spec = o.spec;
  const log = o.log ?? (() => undefined);
  const experimentId = experimentIdFor(spec.name);
  const baseDir = o.file ? dirname(resolve(o.file)) : process.cwd();
  const logDir = resolve(o.logDir ?? join(dirname(resolve(o.db)), "experiments", experimentId, "logs"));
  const db = openDb(o.db);
  try {
    if (o.fresh) deleteCells(db, experimentId);
    const storedSpec = {
      ...spec,
      servers: spec.servers.map((s) => (isLaunched(s) ? { ...s, args: redactArgs(s.args) } : s)),
      commands: spec.commands.map((c) => ({ ...c, args: redactArgs(c.args) })),
    };
    upsertExperiment(db, experimentId, spec.name, o.file ? resolve(o.file) : undefined, storedSpec, "running");
    // Runs left "running" by a killed earlier attempt will never finish: say what they are.
    const stale = markStaleExperimentRuns(db, experimentId);
    if (stale > 0) log(`${stale} run(s) of an earlier, killed attempt marked interrupted`);
    const stored = new Map(getCells(db, experimentId).map((c) => [c.cellKey, c]));
    const cells = filterCells(expandCells(spec), o.only, o.skip);
    if (cells.length === 0) log("no cell matches the --only/--skip filters");
    const outcomes = new Map<string, CellOutcome>();
    const pending: Cell[] = [];
    for (const c of cells) {
      const s = stored.get(c.key);
      if (s && s.status === "completed" && s.fingerprint === c.fingerprint) outcomes.set(c.key, { key: c.key, status: "stored", runId: s.runId ?? undefined });
      else pending.push(c);
    }
    const done = cells.length - pending.length;
    if (done > 0) log(`${done} of ${cells.length} cells already stored; running the other ${pending.length}`);
    const ctx: Ctx = { o, db, experimentId, baseDir, logDir, log, total: cells.length, counter: done, outcomes, notes: new Set() };

    for (const server of spec.servers) {
      const mine = pending.filter((c): c is BenchCell => c.kind === "bench" && c.server.name === server.name);
      if (mine.length === 0 || o.signal?.aborted) continue;
      await runServerCells(ctx, server, mine);
    }
    for (const c of pending.filter((c): c is CommandCell => c.kind === "command")) {
      if (o.signal?.aborted) break;
      await runOneCommandCell(ctx, c);
    }
    const interrupted = Boolean(o.signal?.aborted);
    const list = cells.map((c) => outcomes.get(c.key) ?? { key: c.key, status: "interrupted" as const });
    const failed = list.some((c) => c.status === "failed");
    setExperimentStatus(db, experimentId, interrupted ? "interrupted" : failed ? "completed_with_failures" : "completed");
    return { experimentId, cells: list, interrupted, logDir };
  } finally {
    db.close();
  }
}

interface Ctx {
  o: RunExperimentOptions;
  db: Db;
  experimentId: string;
  baseDir: string;
  logDir: string;
  log: (line: string) => void;
  total: number;
  counter: number;
  outcomes: Map<string, CellOutcome>;
  notes: Set<string>;
}

/** Telemetry notes (e.g. no nvidia-smi) are the same for every cell: say each once. */
function noteOnce(ctx: Ctx, notes: string[]): void {
  for (const n of notes) {
    if (ctx.notes.has(n)) continue;
    ctx.notes.add(n);
    ctx.log(`telemetry: ${n}`);
  }
}

function record(ctx: Ctx, cell: Cell, outcome: CellOutcome, logPath: string | null): void {
  ctx.outcomes.set(cell.key, outcome);
  if (outcome.status === "completed" || outcome.status === "failed") {
    // Stored at once: a crash later loses nothing of this cell.
    putCell(ctx.db, {
      experimentId: ctx.experimentId,
      cellKey: cell.key,
      fingerprint: cell.fingerprint,
      status: outcome.status,
      runId: outcome.runId ?? null,
      error: outcome.error ?? null,
      logPath,
    });
  }
  ctx.counter++;
  const what = outcome.status === "completed" ? `completed${outcome.headline ? ": " + outcome.headline : ""}` : `${outcome.status}${outcome.error ? ": " + outcome.error.split("\n")[0] : ""}`;
  ctx.log(`[${ctx.counter}/${ctx.total}] ${cell.key} ${what}`);
}

function withTail(msg: string, logPath: string): string {
  const tail = logTail(logPath, TAIL_LINES);
  return tail ? `${msg}\n--- last lines of ${logPath} ---\n${tail}` : `${msg} (log: ${logPath})`;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
}

/** One launched process of a server (a server has `replicas` of them). */
interface Replica {
  proc: ServerProcess;
  base: string;
  port: number;
  logPath: string;
  name: string;
}

async function runServerCells(ctx: Ctx, server: ServerSpec, cells: BenchCell[]): Promise<void> {
  const { o, log } = ctx;
  const failAll = (list: BenchCell[], error: string, logPath: string | null) => list.forEach((c) => record(ctx, c, { key: c.key, status: "failed", error }, logPath));

  if (!isLaunched(server)) {
    const targets = Array.isArray(server.target) ? server.target : [server.target];
    const metrics = server.metrics ? targets.map((t) => new URL(server.metrics as string, t).toString()) : [];
    for (const cell of cells) {
      if (o.signal?.aborted) return;
      await runBenchCell(ctx, cell, targets, metrics, [], null);
    }
    return;
  }

  const host = server.host;
  const clientHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const replicas: Replica[] = [];
  const firstLog = () => replicas[0]?.logPath ?? null;
  try {
    for (let r = 0; r < server.replicas; r++) {
      const name = server.replicas > 1 ? `${server.name}[${r}]` : server.name;
      const logPath = join(ctx.logDir, `${server.name}${server.replicas > 1 ? `-r${r}` : ""}-${stamp()}.log`);
      let port = server.port === 0 ? await pickFreePort(clientHost) : server.port + r;
      if (server.port !== 0 && !(await isPortFree(port, clientHost))) {
        failAll(cells, `port ${port} on ${clientHost} is already in use: another server is running there (stop it or change servers.${server.name}.port)`, null);
        return;
      }
      const vars = { port, host, replica: r };
      const args = server.args.map((a) => substitute(a, vars));
      log(`starting server ${name}: ${server.command} ${redactArgs(args).join(" ")} (log: ${logPath})`);
      const env = Object.fromEntries(Object.entries(server.env).map(([k, v]) => [k, substitute(v, vars)]));
      try {
        const proc = await launch({
          name,
          ...resolveSelf(o.self, server.command, args),
          env,
          secrets: processSecretValues(env, args, o.apiKey),
          cwd: server.cwd ? resolve(ctx.baseDir, server.cwd) : ctx.baseDir,
          logPath,
          stopSignal: server.stop.signal,
          graceS: server.stop.grace_s,
        });
        replicas.push({ proc, base: `http://${clientHost}:${port}`, port, logPath, name });
      } catch (e) {
        failAll(cells, `server ${name}: ${(e as Error).message}`, logPath);
        return;
      }
    }
    for (const rep of replicas) {
      const vars = { port: rep.port, host, replica: replicas.indexOf(rep) };
      try {
        const s = await waitReady(rep.proc, substitute(server.ready.url ?? rep.base + server.ready.path, vars), server.ready.timeout_s, server.ready.interval_s, o.signal);
        log(`server ${rep.name} (pid ${rep.proc.pid}) ready after ${s.toFixed(1)}s at ${rep.base}`);
      } catch (e) {
        if (o.signal?.aborted) return;
        failAll(cells, withTail(`server ${rep.name}: ${(e as Error).message}`, rep.logPath), rep.logPath);
        return;
      }
    }
    const targets = replicas.map((r) => r.base);
    const metrics = server.metrics ? replicas.map((r) => new URL(substitute(server.metrics as string, { port: r.port, host }), r.base).toString()) : [];
    for (let i = 0; i < cells.length; i++) {
      if (o.signal?.aborted) return;
      const dead = replicas.find((r) => r.proc.exit);
      if (dead) {
        failAll(cells.slice(i), withTail(`server ${dead.name} ${describeExit(dead.proc.exit!)} before this cell`, dead.logPath), dead.logPath);
        return;
      }
      await runBenchCell(ctx, cells[i], targets, metrics, replicas, firstLog());
    }
  } finally {
    for (const rep of replicas) {
      const exit = await rep.proc.stop(server.stop.signal, server.stop.grace_s);
      log(`server ${rep.name} stopped (${describeExit(exit)})`);
      if (!(await waitPortFree(rep.port, clientHost, 10_000))) log(`warning: port ${rep.port} is still in use 10s after server ${rep.name} stopped`);
    }
  }
}

async function runBenchCell(ctx: Ctx, cell: BenchCell, targets: string[], metricsUrls: string[], replicas: Replica[], logPath: string | null): Promise<void> {
  const { o } = ctx;
  const spec = o.spec;
  // The cell stops early when the user interrupts or its server dies (no point waiting for timeouts).
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  for (const r of replicas) void r.proc.exited.then(onAbort);
  const telemetry = startTelemetry({
    gpu: spec.telemetry.gpu,
    client: false, // runBenchmark stores the client's CPU and event-loop lag itself
    metricsUrls: spec.telemetry.server ? metricsUrls : [],
    intervalMs: spec.telemetry.interval_s * 1000,
    nvidiaSmiCommand: o.nvidiaSmiCommand,
  });
  let summary: RunSummary | undefined;
  let error: string | undefined;
  try {
    const w = cell.workload;
    const result = await runBenchmark({
      targets,
      balance: cell.server.balance,
      api: cell.server.api,
      model: cell.server.model,
      apiKey: o.apiKey,
      workload: toWorkloadSpec("dataset" in w ? { ...w, dataset: { ...w.dataset, path: resolve(ctx.baseDir, w.dataset.path) } } : w),
      seed: spec.seed,
      promptOffset: cell.index * CELL_PROMPT_STRIDE,
      tokenizer: spec.tokenizer && (isNamedTokenizer(spec.tokenizer) ? spec.tokenizer : resolve(ctx.baseDir, spec.tokenizer)),
      loads: [cell.load],
      requests: spec.requests,
      durationS: spec.duration_s,
      warmup: spec.warmup,
      rampUpS: spec.ramp_up_s,
      exactOutput: spec.exact_output,
      latencyOrigin: spec.latency_origin,
      temperature: spec.temperature,
      timeoutS: spec.timeout_s,
      goodput: spec.goodput && { ttftMs: spec.goodput.ttft_ms, tpotMs: spec.goodput.tpot_ms, e2eMs: spec.goodput.e2e_ms },
      extraBody: spec.extra_body,
      db: o.db,
      experimentId: ctx.experimentId,
      cellKey: cell.key,
      label: groupKey(cell.key),
      signal: ac.signal,
      // Only the summary is used: records reach the store, not memory.
      keepRecords: false,
      // Warnings about the run (prompt lengths off the requested ones, inexact output lengths).
      log: ctx.log,
    });
    summary = result.summaries[0];
  } catch (e) {
    error = (e as Error).message;
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
  }
  // Requests fail the moment a server dies, often before its exit is reported: give it a moment.
  if (replicas.length && replicas.every((r) => !r.proc.exit) && (!summary || summary.requests.failed > 0)) {
    const cancel = new AbortController();
    await Promise.race([...replicas.map((r) => r.proc.exited), sleep(500, undefined, { signal: cancel.signal }).catch(() => undefined)]);
    cancel.abort();
  }
  const tel = await telemetry.stop();
  noteOnce(ctx, tel.notes);
  if (summary) storeTelemetry(ctx.db, summary.id, Date.parse(summary.started_at), tel.samples);

  if (o.signal?.aborted) return record(ctx, cell, { key: cell.key, status: "interrupted", runId: summary?.id }, logPath);
  const dead = replicas.find((r) => r.proc.exit);
  if (dead) {
    const msg = `server ${dead.name} ${describeExit(dead.proc.exit!)} during the cell`;
    return record(ctx, cell, { key: cell.key, status: "failed", runId: summary?.id, error: withTail(msg, dead.logPath) }, dead.logPath);
  }
  if (error || !summary) return record(ctx, cell, { key: cell.key, status: "failed", error: error ?? "no result" }, logPath);
  if (summary.requests.completed === 0) {
    const errs = Object.entries(summary.requests.errors).map(([k, n]) => `${k}: ${n}`).join(", ");
    const top = summary.requests.commonest_error;
    const msg = `no request succeeded (${errs || "no requests"})${top ? `; commonest: ${top.message}` : ""}`;
    return record(ctx, cell, { key: cell.key, status: "failed", runId: summary.id, error: logPath ? withTail(msg, logPath) : msg }, logPath);
  }
  const failedNote = summary.requests.failed > 0 ? `, ${summary.requests.failed} failed requests` : "";
  record(ctx, cell, { key: cell.key, status: "completed", runId: summary.id, headline: `${summary.throughput.output_tokens_per_s.toFixed(1)} output tok/s${failedNote}` }, logPath);
}

async function runOneCommandCell(ctx: Ctx, cell: CommandCell): Promise<void> {
  const { o, db } = ctx;
  const spec = o.spec;
  const logPath = join(ctx.logDir, `command-${cell.command.name}-rep${cell.repeat}-${stamp()}.log`);
  const telemetry = startTelemetry({ gpu: spec.telemetry.gpu, client: spec.telemetry.client, intervalMs: spec.telemetry.interval_s * 1000, nvidiaSmiCommand: o.nvidiaSmiCommand });
  const command = { ...cell.command, ...resolveSelf(o.self, cell.command.command, cell.command.args), cwd: cell.command.cwd ? resolve(ctx.baseDir, cell.command.cwd) : ctx.baseDir };
  const res = await runCommandCell(db, command, { runId: newRunId(), experimentId: ctx.experimentId, cellKey: cell.key, label: groupKey(cell.key), logPath, signal: o.signal, apiKey: o.apiKey });
  const tel = await telemetry.stop();
  noteOnce(ctx, tel.notes);
  storeTelemetry(db, res.runId, res.startedAtMs, tel.samples);
  if (o.signal?.aborted) return record(ctx, cell, { key: cell.key, status: "interrupted", runId: res.runId }, logPath);
  if (!res.ok) return record(ctx, cell, { key: cell.key, status: "failed", runId: res.runId, error: withTail(`command ${cell.command.name}: ${res.error}`, logPath) }, logPath);
  const headline = Object.entries(res.summary.metrics)
    .slice(0, 4)
    .map(([k, v]) => `${k}=${Number(v.toPrecision(6))}`)
    .join(" ");
  record(ctx, cell, { key: cell.key, status: "completed", runId: res.runId, headline }, logPath);
}

export { ServerStartError };

function resolveSelf(self: RunExperimentOptions["self"], command: string, args: string[]): { command: string; args: string[] } {
  return self && command === "tokenbench" ? { command: self.command, args: [...self.args, ...args] } : { command, args };
}
