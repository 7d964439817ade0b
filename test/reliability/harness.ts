import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

// Fault-injection harness: the real CLI in a child process, tagged with a unique environment
// marker so that every process it starts (engine, watchdogs, launched servers) can be found in
// /proc afterwards, whoever their parent is by then.

export const CLI = ["--import", "tsx", "src/cli/main.ts"];

export interface CliRun {
  child: ChildProcess;
  marker: string;
  out: () => string;
  err: () => string;
  /** Exit code (128 + n when killed by a signal) and how long the process lived, ms. */
  done: Promise<{ code: number; ms: number }>;
  waitFor: (re: RegExp, timeoutMs?: number) => Promise<void>;
}

export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  const marker = `tbrel-${randomBytes(6).toString("hex")}`;
  const t0 = Date.now();
  const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env, TOKENBENCH_TEST_MARKER: marker }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const waiters: Array<[RegExp, () => void]> = [];
  const check = () => {
    for (const w of [...waiters]) if (w[0].test(err) || w[0].test(out)) (waiters.splice(waiters.indexOf(w), 1), w[1]());
  };
  child.stdout!.on("data", (d) => ((out += d), check()));
  child.stderr!.on("data", (d) => ((err += d), check()));
  const signals: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  const done = new Promise<{ code: number; ms: number }>((r) => child.on("close", (code, signal) => r({ code: code ?? 128 + (signals[signal ?? ""] ?? 0), ms: Date.now() - t0 })));
  const waitFor = (re: RegExp, timeoutMs = 120_000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stderr:\n${err}\nstdout:\n${out}`)), timeoutMs);
      waiters.push([re, () => (clearTimeout(t), resolve())]);
      check();
    });
  return { child, marker, out: () => out, err: () => err, done, waitFor };
}

/** Pids of live processes whose environment carries the marker (zombies excluded). */
export function markedPids(marker: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/environ`, "latin1").includes(`TOKENBENCH_TEST_MARKER=${marker}`)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, "latin1");
      if (/\) Z /.test(stat)) continue;
      pids.push(Number(d));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return pids;
}

/** Waits until no marked process is left; returns those still alive after `timeoutMs`. */
export async function waitNoOrphans(marker: string, timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = markedPids(marker);
    if (left.length === 0 || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Test cleanup: whatever a failed assertion left behind. */
export function killMarked(marker: string): void {
  for (const pid of markedPids(marker)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

export function describePids(pids: number[]): string {
  return pids
    .map((p) => {
      try {
        return `${p}: ${readFileSync(`/proc/${p}/cmdline`, "latin1").replace(/\0/g, " ").slice(0, 200)}`;
      } catch {
        return String(p);
      }
    })
    .join("\n");
}
