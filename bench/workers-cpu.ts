// Where a run's client CPU goes, thread by thread, with 1 and with N worker threads
// (run --workers): each event loop, the parent thread, V8's helper threads (GC, compilation).
// Runs the compiled CLI (npm run build first: no tsx loader threads in the figures) against the
// scripted server in its own process, and samples /proc/PID/task/*/stat over a window of the
// measured phase.
//
//   node --import tsx bench/workers-cpu.ts [--streams 128] [--workers 1,2] [--window-ms 2000]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync, readdirSync } from "node:fs";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const streams = Number(arg("streams", "128"));
const workersList = arg("workers", "1,2").split(",").map(Number);
const windowMs = Number(arg("window-ms", "2000"));
if (!existsSync("dist/cli/main.js")) throw new Error("bench/workers-cpu.ts runs the compiled CLI: npm run build first");

const server = spawn(process.execPath, ["--import", "tsx", "bench/scriptedServerProcess.ts", "20", "20", "1"], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const url = line.toString().trim();

/** CPU ms of every thread of a process, by thread id. */
function threads(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      out.set(Number(t), (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // thread ended
    }
  }
  return out;
}

console.log(`scripted server ${url}; ${streams} streams, 40 one-token chunks 20 ms apart; CPU over ${windowMs} ms of the measured phase`);
console.log("| workers | event loops (ms each) | parent thread (ms) | other threads: V8 helpers, libuv (ms) | total (ms) |");
console.log("|---:|---|---:|---:|---:|");
try {
  for (const w of workersList) {
    const startAt = Date.now() + 6000;
    const p = spawn(process.execPath, [
      "dist/cli/main.js", "run", "-t", url, "-c", String(streams), "-n", String(streams * 4), "--warmup", "16",
      "--input-tokens", "8", "--output-tokens", "40", "--tokenizer", "bytes", "--no-preflight", "--no-progress", "--no-store",
      "--workers", String(w), "--start-at", String(startAt),
    ], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, startAt - Date.now() + 300));
    const a = threads(p.pid!);
    await new Promise((r) => setTimeout(r, windowMs));
    const b = threads(p.pid!);
    const used = [...b].map(([t, ms]) => [t, ms - (a.get(t) ?? 0)] as const);
    // The parent is the thread whose id is the pid; worker event loops are the busiest others (one per worker).
    const parent = used.find(([t]) => t === p.pid)?.[1] ?? 0;
    const others = used.filter(([t]) => t !== p.pid).map(([, ms]) => ms).sort((x, y) => y - x);
    const loops = w > 1 ? others.slice(0, w) : [parent];
    const rest = (w > 1 ? others.slice(w) : others).reduce((x, y) => x + y, 0);
    const total = used.reduce((x, [, ms]) => x + ms, 0);
    console.log(`| ${w} | ${loops.join(" + ")} | ${w > 1 ? parent : "(is the event loop)"} | ${rest} | ${total} |`);
    await once(p, "close");
  }
} finally {
  server.kill("SIGTERM");
}
