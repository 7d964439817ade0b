// How much load can tokenbench's client measure faithfully on this machine: one event loop, N
// worker threads in one process (run --workers N), or several processes (run --shard I/N)?
//
// For each level (concurrent streams), each number of client processes and each number of
// workers per process, it starts that many real CLI processes (`tokenbench run --workers W
// [--shard I/N] --start-at T`) against a scripted server in a process of its own, merges their
// records (src/benchmark/merge.ts, as `tokenbench merge` does) and compares what the client
// reported with what the server did (it records its own write times): ITL against the gaps it
// wrote, TTFT against request-received -> first-token-written.
//
//   node --import tsx bench/client-capacity.ts [--levels 64,256,1024] [--workers 1,2] [--procs 1] [--itl 20] [--tokens 40] [--rounds 2]
//
// On a many-core host (docs/client-capacity.md, "Client capacity on a 16-core host"):
//   --client-cpus 0,1 --server-cpus 2-15   pin the client processes and the scripted server apart (taskset)
//   --server-procs 6                        the scripted server as 6 cluster processes on one port (one event loop caps ~100k writes/s)
//   --start-delay 5000 --per-stream-delay 4 ms from launch to the common start: base + per stream (connect, warm-up)
//   --cpu-prof DIR                          the client processes write V8 CPU profiles there
//   --http-client tokenbench,undici         the client's HTTP reader, one row each (an A/B in one run)
// Where tsx is absent (the GPU host: docs/gpu.md "Device time"), run it bundled with esbuild
// (bench/scriptedServerProcess.ts bundled beside it as scriptedServerProcess.mjs) and --cli dist/cli/main.js.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { latencyStats } from "../src/stats.js";
import { groupShardFiles, mergeShardRuns } from "../src/benchmark/merge.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const levels = arg("levels", "64,256,1024").split(",").map(Number);
const procsList = arg("procs", "1").split(",").map(Number);
const workersList = arg("workers", "1,2").split(",").map(Number);
// The client under test: tokenbench's own HTTP/1.1 reader (the default) and/or undici, for an A/B in one run.
const httpClients = arg("http-client", "tokenbench").split(",");
const itl = Number(arg("itl", "20"));
const ttft = Number(arg("ttft", "20"));
const tokens = Number(arg("tokens", "40"));
const rounds = Number(arg("rounds", "2"));
const clientCpus = arg("client-cpus", "");
const serverCpus = arg("server-cpus", "");
const startDelay = Number(arg("start-delay", "20000"));
const perStreamDelay = Number(arg("per-stream-delay", "4"));
const cpuProf = arg("cpu-prof", "");
// Run from TypeScript (tsx) or from an esbuild bundle (.mjs), where tsx is not installed.
const fromTs = import.meta.url.endsWith(".ts");
const cli = fromTs ? ["--import", "tsx", "src/cli/main.ts"] : [arg("cli", "dist/cli/main.js")];
const serverScript = fromTs ? ["--import", "tsx", "bench/scriptedServerProcess.ts"] : [join(dirname(fileURLToPath(import.meta.url)), "scriptedServerProcess.mjs")];
/** argv for a process pinned to `cpus` (taskset's list syntax), or unpinned when empty. */
const pinned = (cpus: string, argv: string[]): [string, string[]] => (cpus ? ["taskset", ["-c", cpus, ...argv]] : [argv[0], argv.slice(1)]);

const serverProcs = Number(arg("server-procs", "1"));
const [srvCmd, srvArgs] = pinned(serverCpus, [process.execPath, ...serverScript, String(ttft), String(itl), "1", String(serverProcs)]);
const server = spawn(srvCmd, srvArgs, { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const [url, statsUrl = url] = line.toString().trim().split(" ");
/** The server's truth, per request that arrived at or after `since` (epoch ms): [arrived, first token written (epoch ms), gaps between its token writes (ms)]. */
type Served = Array<[number, number, number[]]>;
const served = async (since: number): Promise<Served> => (await (await fetch(`${statsUrl}/stats?since=${since}`)).json()) as Served;

/**
 * Peak resident set (VmHWM, KiB) of a process, and its CPU time (all threads: the parent thread,
 * every worker, libuv) sampled every 50 ms as [epoch ms, CPU ms], read while it runs.
 */
function watchProc(pid: number): () => { peakKiB: number; cpu: Array<[number, number]> } {
  let peak = 0;
  const cpu: Array<[number, number]> = [];
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) peak = Math.max(peak, Number(m[1]));
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      cpu.push([Date.now(), (Number(f[11]) + Number(f[12])) * 10]);
    } catch {
      // exited
    }
  };
  const t = setInterval(read, 50);
  return () => (clearInterval(t), { peakKiB: peak, cpu });
}

/** CPU ms a process used between two epoch instants, from its samples (the nearest ones). */
function cpuBetween(cpu: Array<[number, number]>, from: number, to: number): number {
  const at = (t: number) => cpu.reduce((best, s) => (Math.abs(s[0] - t) < Math.abs(best[0] - t) ? s : best), cpu[0])[1];
  return at(to) - at(from);
}

function runShard(args: string[]): Promise<{ code: number; stderr: string; rssKiB: number; cpu: Array<[number, number]> }> {
  const prof = cpuProf ? ["--cpu-prof", `--cpu-prof-dir=${cpuProf}`] : [];
  const [cmd, argv] = pinned(clientCpus, [process.execPath, ...prof, ...cli, ...args]);
  // taskset execs node in place, so the pid watched is the client's own.
  const p = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"] });
  const watch = watchProc(p.pid!);
  let stderr = "";
  p.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => p.on("close", (code) => {
    const w = watch();
    resolve({ code: code ?? -1, stderr, rssKiB: w.peakKiB, cpu: w.cpu });
  }));
}

console.log(`client cpus: ${clientCpus || "any"}; server cpus: ${serverCpus || "any"}; node ${process.version}`);
console.log(`scripted server ${url} (${serverProcs > 1 ? `${serverProcs} cluster processes` : "own process"}): TTFT ${ttft} ms, ITL ${itl} ms, ${tokens} one-token chunks/request; ${rounds} requests per stream; client processes: real CLI`);
console.log("| streams | client procs x workers | http client | token events/s | events per client-CPU-s | ITL p50 client/server (ms) | ITL p99 client/server (ms) | TTFT mean error (ms) | TTFT p99 error (ms) | of it: client wait mean (ms) | TTFT from send, mean error (ms) | of it: send side, server start - client write (ms) | of it: read side, client read - server write (ms) | client CPU % (all threads) | loop busy % (busiest) | token events read together % | peak RSS MiB (sum) | saturated |");
console.log("|---:|---:|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
const dir = mkdtempSync(join(tmpdir(), "tb-cap-"));
try {
  for (const c of levels) {
    for (const n of procsList) for (const wk of workersList) for (const hc of httpClients) {
      const startAt = Date.now() + startDelay + perStreamDelay * c; // every process started, warmed up and connected
      const outs = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          runShard([
            "run", "--target", url, "--concurrency", String(c), "--requests", String(c * rounds), "--warmup", String(Math.min(c, 32)),
            "--input-tokens", "8", "--output-tokens", String(tokens), "--tokenizer", "bytes", "--no-preflight",
            "--workers", String(wk), "--http-client", hc, ...(n > 1 ? ["--shard", `${i}/${n}`] : []), "--start-at", String(startAt),
            "--json", join(dir, `c${c}-n${n}-w${wk}-${hc}-${i}.json`), "--records", join(dir, `c${c}-n${n}-w${wk}-${hc}-${i}.jsonl`), "--no-store", "--no-progress",
          ]),
        ),
      );
      for (const o of outs) if (o.code !== 0) throw new Error(`shard failed (${o.code}): ${o.stderr}`);
      // Warm-up requests reached the server before the common start, measured ones after it.
      const truth = await served(startAt);
      const files = Array.from({ length: n }, (_, i) => [join(dir, `c${c}-n${n}-w${wk}-${hc}-${i}.json`), join(dir, `c${c}-n${n}-w${wk}-${hc}-${i}.jsonl`)]).flat();
      const groups = groupShardFiles(files.map((path) => ({ path, text: readFileSync(path, "utf8") })));
      const merged = mergeShardRuns(groups[0], `c${c}-n${n}`);
      const s = merged.summary;
      const srvGaps = latencyStats(truth.flatMap((r) => r[2]));
      const srvT = latencyStats(truth.map((r) => r[1] - r[0]));
      const events = merged.records.reduce((a, x) => a + x.chunks.length, 0);
      // Client CPU: every thread of every client process (parent, workers, libuv) over the measured phase.
      const endAt = startAt + s.duration_s * 1000;
      const cpuS = outs.reduce((a, o) => a + cpuBetween(o.cpu, startAt, endAt), 0) / 1000;
      const lag = Math.max(...groups[0].map((g) => g.summary.shard!.start_lag_ms));
      const cpuPct = (cpuS / s.duration_s) * 100;
      // TTFT counts from the scheduled send (coordinated omission): a start burst's own queueing in
      // the client is in it. From the actual send, what is left is measurement error and transit.
      const okRecs = merged.records.filter((r) => r.ok && r.firstTokenAt !== undefined);
      const fromSendMean = okRecs.reduce((a, r) => a + (r.firstTokenAt! - r.sentAt), 0) / Math.max(1, okRecs.length);
      // TTFT from the write, split on one clock (wall-clock epoch ms, shared by the processes of the host):
      // send side = server handler start - client write (transit and the server's own accept/parse backlog),
      // read side = client read - server first-token write (transit and the client's read lag). Means over the
      // measured requests on each side, so no request matching is needed. Both >= 0 if the clocks agree.
      const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length);
      const clientRecs = okRecs.filter((r) => !r.warmup);
      const sendSide = mean(truth.map((r) => r[0])) - mean(clientRecs.map((r) => startAt + r.sentAt));
      const readSide = mean(clientRecs.map((r) => startAt + r.firstTokenAt!)) - mean(truth.map((r) => r[1]));
      console.log(
        `| ${c} | ${n} x ${wk} | ${hc} | ${Math.round(events / s.duration_s)} | ${Math.round(events / cpuS)} | ${s.latency_ms.itl.p50.toFixed(2)} / ${srvGaps.p50.toFixed(2)} | ${s.latency_ms.itl.p99.toFixed(2)} / ${srvGaps.p99.toFixed(2)} | ` +
          `${(s.latency_ms.ttft.mean - srvT.mean).toFixed(2)} | ${(s.latency_ms.ttft.p99 - srvT.p99).toFixed(2)} | ${s.latency_ms.client_wait.mean.toFixed(2)} | ${(fromSendMean - srvT.mean).toFixed(2)} | ${sendSide.toFixed(2)} | ${readSide.toFixed(2)} | ${cpuPct.toFixed(0)} | ${s.client.event_loop_utilization !== undefined ? (s.client.event_loop_utilization * 100).toFixed(0) : "-"} | ${s.client.same_read_pct?.toFixed(1) ?? "-"} | ${(outs.reduce((a, o) => a + o.rssKiB, 0) / 1024).toFixed(0)} | ` +
          `${s.client.saturated ? `yes (${s.client.reasons.join("; ")})` : "no"}${s.requests.failed ? `; ${s.requests.failed} failed` : ""}${s.connections?.opened_during ? `; ${s.connections.opened_during} connects during` : ""}${truth.length !== clientRecs.length ? `; server saw ${truth.length} measured, client ${clientRecs.length}` : ""}${lag >= 1 ? `; started ${lag.toFixed(0)} ms late` : ""} |`,
      );
    }
  }
} finally {
  server.kill("SIGTERM");
}
