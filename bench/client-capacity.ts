// How much load can tokenbench's client measure faithfully on this machine, in one process and
// split over several (run --shard I/N, one event loop each)?
//
// For each level (concurrent streams) and each number of client processes, it starts that many
// real CLI processes (`tokenbench run --shard I/N --start-at T`) against a scripted server in a
// process of its own, merges their records (src/benchmark/merge.ts, as `tokenbench merge` does)
// and compares what the client reported with what the server did (it records its own write
// times): ITL against the gaps it wrote, TTFT against request-received -> first-token-written.
//
//   node --import tsx bench/client-capacity.ts [--levels 64,256,1024] [--procs 1,2] [--itl 20] [--tokens 40] [--rounds 2]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { latencyStats } from "../src/aggregate/stats.js";
import { groupShardFiles, mergeShardRuns } from "../src/benchmark/merge.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const levels = arg("levels", "64,256,1024").split(",").map(Number);
const procsList = arg("procs", "1,2").split(",").map(Number);
const itl = Number(arg("itl", "20"));
const ttft = Number(arg("ttft", "20"));
const tokens = Number(arg("tokens", "40"));
const rounds = Number(arg("rounds", "2"));

const server = spawn(process.execPath, ["--import", "tsx", "bench/scriptedServerProcess.ts", String(ttft), String(itl), "1"], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const url = line.toString().trim();
type Stats = { writtenGapsMs: number[]; writtenTtftMs: number[] };
const stats = async (): Promise<Stats> => (await (await fetch(`${url}/stats`)).json()) as Stats;

/** Peak resident set (VmHWM) of a process, KiB, read while it runs. */
function watchRss(pid: number): () => number {
  let peak = 0;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // exited
    }
  };
  const t = setInterval(read, 100);
  return () => (clearInterval(t), peak);
}

function runShard(args: string[]): Promise<{ code: number; stderr: string; rssKiB: number }> {
  const p = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const rss = watchRss(p.pid!);
  let stderr = "";
  p.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => p.on("close", (code) => resolve({ code: code ?? -1, stderr, rssKiB: rss() })));
}

console.log(`scripted server ${url} (own process): TTFT ${ttft} ms, ITL ${itl} ms, ${tokens} one-token chunks/request; ${rounds} requests per stream; client processes: real CLI shards`);
console.log("| streams | client procs | token events/s | events per client-CPU-s | ITL p50 client/server (ms) | ITL p99 client/server (ms) | TTFT mean error (ms) | TTFT p99 error (ms) | client CPU % (sum) | peak RSS MiB (sum) | saturated |");
console.log("|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|");
const dir = mkdtempSync(join(tmpdir(), "tb-cap-"));
try {
  for (const c of levels) {
    for (const n of procsList) {
      const before = await stats();
      const startAt = Date.now() + 12_000 + 4 * c; // every process started, warmed up and connected
      const outs = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          runShard([
            "run", "--target", url, "--concurrency", String(c), "--requests", String(c * rounds), "--warmup", String(Math.min(c, 32)),
            "--input-tokens", "8", "--output-tokens", String(tokens), "--tokenizer", "bytes", "--no-preflight",
            "--shard", `${i}/${n}`, "--start-at", String(startAt),
            "--json", join(dir, `c${c}-n${n}-${i}.json`), "--records", join(dir, `c${c}-n${n}-${i}.jsonl`), "--no-store", "--no-progress",
          ]),
        ),
      );
      for (const o of outs) if (o.code !== 0) throw new Error(`shard failed (${o.code}): ${o.stderr}`);
      const after = await stats();
      const files = Array.from({ length: n }, (_, i) => [join(dir, `c${c}-n${n}-${i}.json`), join(dir, `c${c}-n${n}-${i}.jsonl`)]).flat();
      const groups = groupShardFiles(files.map((path) => ({ path, text: readFileSync(path, "utf8") })));
      const merged = mergeShardRuns(groups[0], `c${c}-n${n}`);
      const s = merged.summary;
      // The server's truth for the measured requests: all after the warm-up (which ended before the start).
      const warm = Math.min(c, 32) * n;
      const srvTtft = after.writtenTtftMs.slice(before.writtenTtftMs.length + warm);
      const srvGaps = latencyStats(after.writtenGapsMs.slice(before.writtenGapsMs.length + warm * (tokens - 1)));
      const srvT = latencyStats(srvTtft);
      const events = merged.records.reduce((a, x) => a + x.chunks.length, 0);
      const cpuS = groups[0].reduce((a, g) => a + (g.summary.client.cpu_percent / 100) * g.summary.duration_s, 0);
      const lag = Math.max(...groups[0].map((g) => g.summary.shard!.start_lag_ms));
      const cpuPct = groups[0].reduce((a, g) => a + g.summary.client.cpu_percent, 0);
      console.log(
        `| ${c} | ${n} | ${Math.round(events / s.duration_s)} | ${Math.round(events / cpuS)} | ${s.latency_ms.itl.p50.toFixed(2)} / ${srvGaps.p50.toFixed(2)} | ${s.latency_ms.itl.p99.toFixed(2)} / ${srvGaps.p99.toFixed(2)} | ` +
          `${(s.latency_ms.ttft.mean - srvT.mean).toFixed(2)} | ${(s.latency_ms.ttft.p99 - srvT.p99).toFixed(2)} | ${cpuPct.toFixed(0)} | ${(outs.reduce((a, o) => a + o.rssKiB, 0) / 1024).toFixed(0)} | ` +
          `${s.client.saturated ? `yes (${s.client.reasons.join("; ")})` : "no"}${s.requests.failed ? `; ${s.requests.failed} failed` : ""}${s.connections?.opened_during ? `; ${s.connections.opened_during} connects during` : ""}${lag > 0 ? `; a shard started ${lag.toFixed(0)} ms late` : ""} |`,
      );
    }
  }
} finally {
  server.kill("SIGTERM");
}
