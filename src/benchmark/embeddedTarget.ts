import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { UsageError } from "../errors.js";
import { startWatchdog } from "../lifeline.js";
import { isPresetName, PRESETS } from "../engine/gguf/presets.js";
import { DEFAULT_PARALLEL } from "../engine/defaults.js";

/**
 * The bundled tokenizer that counts tokens exactly as a generated preset's vocabulary does
 * ("mistral" or "llama3"); undefined for an unknown preset (the server refuses it anyway).
 */
export function presetTokenizer(preset: string): string | undefined {
  return isPresetName(preset) ? PRESETS[preset].vocab : undefined;
}

export interface EmbeddedTarget {
  url: string;
  modelName: string;
  /** The back-end that serves ("llama-server" or "node-llama-cpp") and why, as `tokenbench serve` said. */
  engine: string;
  engineReason: string;
  /** The `tokenbench serve` process (root of the engine's process tree, llama-server included). */
  pid: number | undefined;
  /**
   * What a run stores in `server_info` for this server: `embedded: true`, `engine`, `engine_reason`,
   * `parallel` (sequences decoding together) and `threads` (null: the engine's default), so runs of
   * differently configured embedded servers are told apart (report configurations, compare).
   */
  serverInfo: Record<string, unknown>;
  close(): Promise<void>;
}

export interface EmbeddedTargetOptions {
  preset?: string;
  model?: string;
  parallel?: number;
  threads?: number;
  context?: number;
  /** Back-end (default "auto": llama-server when its binary is found, else node-llama-cpp). */
  engine?: "auto" | "llama-server" | "node-llama-cpp";
  /** llama-server binary path. */
  llamaServer?: string;
  log: (line: string) => void;
  /** Model generation on first use included. */
  startTimeoutMs?: number;
  /** Aborting stops the start-up (the child is stopped, the promise rejects). */
  signal?: AbortSignal;
}

/**
 * Starts `tokenbench serve` in a child process. The engine gets its own process so that its
 * JavaScript work never shows up as the client's event-loop lag: the self-check must judge the
 * client alone, as it would against a real server on another machine.
 */
export async function startEmbeddedTarget(o: EmbeddedTargetOptions): Promise<EmbeddedTarget> {
  const args = ["serve", "--port", "0"];
  if (o.model) args.push("--model", o.model);
  else if (o.preset) args.push("--preset", o.preset);
  if (o.parallel) args.push("--parallel", String(o.parallel));
  if (o.threads) args.push("--threads", String(o.threads));
  if (o.context) args.push("--context", String(o.context));
  args.push("--engine", o.engine ?? "auto");
  if (o.llamaServer) args.push("--llama-server", o.llamaServer);
  // Same runtime flags as ours (e.g. the tsx loader when run from source).
  // Its own process group, so a Ctrl-C in the terminal reaches only us and we stop it after
  // storing partial results; the exit hook makes sure it never outlives us, and the watchdog
  // stops it even when we are killed outright (SIGKILL runs no exit hook).
  const child = spawn(process.execPath, [...process.execArgv, cliEntry(), ...args], { stdio: ["ignore", "pipe", "pipe"], detached: true });
  const watchdog = child.pid ? startWatchdog(child.pid, 10_000) : undefined;
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const stderrTail: string[] = [];
  let engineReason = "";
  createInterface({ input: child.stderr! }).on("line", (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    o.log(`[engine] ${line}`);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      process.off("exit", killOnExit);
      watchdog?.disarm();
      resolve(code);
    }),
  );
  const ready = new Promise<{ url: string; modelName: string; engine: string }>((resolve) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      // Same pipe as the URL line, and before it: read by the time the URL resolves.
      const e = /^engine: \S+ \((.*)\)$/.exec(line);
      if (e) engineReason = e[1];
      const m = /^(http:\/\/\S+) \(model "([^"]*)", engine (\S+)\)/.exec(line);
      if (m) resolve({ url: m[1], modelName: m[2], engine: m[3] });
    });
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`embedded server not ready within ${(o.startTimeoutMs ?? 600_000) / 1000} s`)), o.startTimeoutMs ?? 600_000);
  });
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
  };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Error("interrupted before the embedded server was ready"));
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    const info = await Promise.race([
      ready,
      timeout,
      aborted,
      exited.then((code) => {
        const last = stderrTail.filter((l) => l.trim()).pop() ?? `exit code ${code}`;
        // The serve command prints bad input as one "tokenbench: error: ..." line.
        const msg = last.replace(/^tokenbench: error: /, "");
        throw code === 2 ? new UsageError(msg) : new Error(`embedded server failed to start: ${msg}`);
      }),
    ]);
    const serverInfo = { embedded: true, engine: info.engine, engine_reason: engineReason, parallel: o.parallel ?? DEFAULT_PARALLEL, threads: o.threads ?? null };
    return { ...info, engineReason, pid: child.pid, serverInfo, close };
  } catch (e) {
    await close();
    throw e;
  } finally {
    clearTimeout(timer);
    if (onAbort) o.signal?.removeEventListener("abort", onAbort);
  }
}

function cliEntry(): string {
  // dist/cli/main.js when built; src/cli/main.ts when run from source through tsx.
  for (const rel of ["../cli/main.js", "../cli/main.ts"]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error("cannot find the tokenbench CLI entry point next to the library");
}
