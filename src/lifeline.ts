import { spawn, type ChildProcess } from "node:child_process";

// Launched servers must not outlive tokenbench, even when tokenbench is killed outright (SIGKILL,
// OOM killer). Node has no prctl(PR_SET_PDEATHSIG), so each launched process group gets a tiny
// watchdog process holding the read end of a pipe from us: the kernel closes the pipe when we die,
// however we die, and the watchdog then stops the group (the stop signal, then SIGKILL after the
// grace period). On a normal stop we disarm it first.

const WATCHDOG = `
const pgid = Number(process.argv[1]), graceMs = Number(process.argv[2]), sig = process.argv[3];
let armed = true, fired = false;
const alive = () => { try { process.kill(-pgid, 0); return true; } catch { return false; } };
const lost = () => {
  if (fired) return;
  fired = true;
  if (!armed || !alive()) process.exit(0);
  try { process.kill(-pgid, sig); } catch {}
  setInterval(() => { if (!alive()) process.exit(0); }, 100);
  setTimeout(() => { try { process.kill(-pgid, "SIGKILL"); } catch {} process.exit(0); }, graceMs);
};
process.on("SIGINT", () => {});
process.on("SIGTERM", () => {});
process.on("SIGHUP", () => {});
process.stdin.on("data", (d) => { if (String(d).includes("disarm")) armed = false; });
process.stdin.on("end", lost);
process.stdin.on("close", lost);
process.stdin.on("error", lost);
process.stdin.resume();
`;

export interface Watchdog {
  pid: number | undefined;
  /** The group was stopped by us: the watchdog exits without touching it. */
  disarm(): void;
}

/**
 * Starts a watchdog for process group `pgid` (a child spawned with `detached: true`): when this
 * process dies, the group gets `signal`, then SIGKILL after `graceMs`. It never keeps this process
 * alive (unref'd) and costs one small node process per launched group.
 */
export function startWatchdog(pgid: number, graceMs: number, signal: NodeJS.Signals = "SIGTERM"): Watchdog {
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, ["-e", WATCHDOG, String(pgid), String(Math.max(0, Math.round(graceMs))), signal], {
      stdio: ["pipe", "ignore", "ignore"],
      detached: true,
    });
  } catch {
    return { pid: undefined, disarm: () => undefined };
  }
  child.on("error", () => undefined);
  child.stdin!.on("error", () => undefined);
  child.unref();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    pid: child.pid,
    disarm() {
      if (child.stdin!.writable) child.stdin!.end("disarm\n");
    },
  };
}
