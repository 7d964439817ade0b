import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { connect, createServer } from "node:net";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startWatchdog } from "../lifeline.js";
import { lineMasker } from "../store/redact.js";

// One launched server: own process group (so its workers die with it), output appended to a log file,
// readiness probe, stop with a grace period, port-free check.

export interface LaunchOptions {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  logPath: string;
  /** Values masked in the log as it is written (processSecretValues): the server may print its arguments, environment or requests. */
  secrets?: readonly string[];
  /** How the watchdog stops the server if tokenbench dies without stopping it (default SIGTERM, 15 s). */
  stopSignal?: NodeJS.Signals;
  graceS?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  pid: number;
  logPath: string;
  /** Set once the process has exited. */
  exit: ExitInfo | undefined;
  exited: Promise<ExitInfo>;
  stop(signal: NodeJS.Signals, graceS: number): Promise<ExitInfo>;
}

export class ServerStartError extends Error {}

export function substitute(s: string, vars: Record<string, string | number>): string {
  return s.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export async function pickFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Whether a server could listen on `port`: binding it ourselves is the test, as a server would.
 * Node binds with SO_REUSEADDR only, so connections in TIME-WAIT left by a server that set
 * SO_REUSEPORT (llama.cpp's httplib) or neither make our bind fail although nothing listens and
 * the next such server binds fine. A failed bind is therefore confirmed with a connection:
 * refused means nobody listens, and the port counts as free (the server's own bind decides).
 */
export async function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  const bound = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
  return bound || !(await isListening(port, host));
}

/** Whether something accepts TCP connections on host:port (2 s bound). */
export function isListening(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(2000, () => done(true)); // no answer either way: assume someone holds it
    s.once("connect", () => done(true));
    s.once("error", (e: NodeJS.ErrnoException) => done(e.code !== "ECONNREFUSED"));
  });
}

export async function waitPortFree(port: number, host: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await isPortFree(port, host)) return true;
    if (Date.now() > until) return false;
    await sleep(200);
  }
}

export function describeExit(e: ExitInfo): string {
  return e.signal ? `killed by ${e.signal}` : `exited with code ${e.code}`;
}

export async function launch(o: LaunchOptions): Promise<ServerProcess> {
  mkdirSync(dirname(o.logPath), { recursive: true });
  // The output goes through this process, which masks secrets line by line and appends each line
  // at once (synchronously), so what was logged survives even if this tool is killed; a server
  // outliving it is stopped by the watchdog anyway.
  const fd = openSync(o.logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(o.command, o.args, {
      cwd: o.cwd,
      env: { ...process.env, ...o.env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  const write = (text: string) => {
    if (!text) return;
    try {
      writeSync(fd, text);
    } catch {
      // A full disk must not stop the server: its log is a convenience.
    }
  };
  let open = 2;
  for (const s of [child.stdout!, child.stderr!]) {
    // One masker per stream: their partial lines must not be joined.
    const masker = lineMasker(o.secrets ?? []);
    s.setEncoding("utf8");
    s.on("data", (d: string) => write(masker.push(d)));
    s.once("close", () => {
      write(masker.end());
      if (--open === 0) closeSync(fd);
    });
  }
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") reject(new ServerStartError(`command not found: ${o.command}${o.cwd ? ` (cwd ${o.cwd})` : ""}`));
      else if (e.code === "EACCES") reject(new ServerStartError(`command not executable: ${o.command}`));
      else reject(new ServerStartError(`cannot start ${o.command}: ${e.message}`));
    });
  });
  // Stops the group if we die without stopping it (even by SIGKILL): see lifeline.ts.
  const watchdog = startWatchdog(child.pid!, (o.graceS ?? 15) * 1000, o.stopSignal ?? "SIGTERM");
  const proc: ServerProcess = {
    pid: child.pid!,
    logPath: o.logPath,
    exit: undefined,
    exited: new Promise<ExitInfo>((resolve) =>
      child.once("exit", (code, signal) => {
        proc.exit = { code, signal };
        resolve(proc.exit);
      }),
    ),
    async stop(signal, graceS) {
      if (proc.exit) {
        watchdog.disarm();
        return proc.exit;
      }
      killGroup(proc.pid, signal);
      // The grace timer is cancelled as soon as the server exits: a pending timer would keep
      // tokenbench alive for the whole grace period after its work is done.
      const cancel = new AbortController();
      const timer = sleep(graceS * 1000, undefined, { signal: cancel.signal }).then(
        () => undefined,
        () => undefined,
      );
      const first = await Promise.race([proc.exited, timer]);
      cancel.abort();
      if (!first) killGroup(proc.pid, "SIGKILL");
      const exit = await proc.exited;
      watchdog.disarm();
      return exit;
    },
  };
  return proc;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Polls `url` until it answers 2xx; fails early when the process exits. */
export async function waitReady(proc: ServerProcess, url: string, timeoutS: number, intervalS: number, signal?: AbortSignal): Promise<number> {
  const start = Date.now();
  let last = "no answer yet";
  while (Date.now() - start < timeoutS * 1000) {
    if (signal?.aborted) throw new ServerStartError("interrupted while waiting for readiness");
    if (proc.exit) throw new ServerStartError(`server ${describeExit(proc.exit)} before becoming ready`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, intervalS * 2000)) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return (Date.now() - start) / 1000;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    }
    const cancel = new AbortController();
    await Promise.race([sleep(intervalS * 1000, undefined, { signal: cancel.signal }).catch(() => undefined), proc.exited]);
    cancel.abort();
  }
  throw new ServerStartError(`not ready after ${timeoutS}s (GET ${url}: ${last})`);
}

/** The last lines of a log file, for failure messages. */
export function logTail(path: string, lines = 15, maxBytes = 8192): string {
  try {
    const size = statSync(path).size;
    const buf = readFileSync(path);
    const text = buf.subarray(Math.max(0, size - maxBytes)).toString("utf8");
    return text.split("\n").filter((l) => l.trim() !== "").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
