// Memory of a run per streamed token (issue #13): N requests x K tokens against a scripted
// server in its own process, each measurement in a fresh client process (test/support/memoryProbe.ts,
// node --expose-gc): heap + ArrayBuffers retained after a full GC at 90% of the run and once it
// returned, the highest unforced reading, and the peak resident set.
//
//   node --import tsx bench/memory.ts [--requests 20000] [--tokens 512] [--concurrency 256] [--old DIR]
//
// Runs this tree with keepRecords false (what the CLI does) and true (the library's default),
// and, with --old DIR, the probe in another checkout (e.g. a `git archive` of the commit before
// bounded memory, with node_modules linked and test/support/memoryProbe.ts copied in).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";

const arg = (name: string, def: string | undefined) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const requests = arg("requests", "20000")!;
const tokens = arg("tokens", "512")!;
const concurrency = arg("concurrency", "256")!;
const old = arg("old", undefined);

const server = spawn(process.execPath, ["--import", "tsx", "bench/scriptedServerProcess.ts", "1", "0", "1"], { stdio: ["ignore", "pipe", "inherit"] });
const [line] = (await once(server.stdout!, "data")) as [Buffer];
const url = line.toString().trim();

function probe(cwd: string, keep: boolean): Promise<Record<string, number | boolean>> {
  const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "test/support/memoryProbe.ts", url, requests, tokens, concurrency, String(keep)], { cwd, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  p.stdout!.on("data", (d) => (out += d));
  return new Promise((res, rej) => p.on("close", (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`probe in ${cwd} exited ${code}`)))));
}

const MiB = 2 ** 20;
console.log(`scripted server (own process): TTFT 1 ms, ITL 0 ms, 1 token per chunk; ${requests} requests x ${tokens} tokens at concurrency ${concurrency}, no store`);
console.log("| code | records kept | streamed tokens | ITL exact | retained at 90% (MiB, B/token) | retained after the run (MiB) | peak heap+buffers (MiB, B/token) | peak RSS (MiB) | duration (s) |");
console.log("|---|---|---:|---|---:|---:|---:|---:|---:|");
try {
  const runs: Array<[string, string, boolean]> = [["this tree", ".", false], ["this tree", ".", true]];
  if (old) runs.push([`old (${old})`, resolve(old), true]);
  for (const [name, cwd, keep] of runs) {
    const r = await probe(cwd, keep);
    const t = r.tokens as number;
    const retained = r.retainedBytes as number;
    console.log(
      `| ${name} | ${keep ? "yes" : "no"} | ${t} | ${r.itlExact ? "yes" : "no (histogram)"} | ${retained ? `${(retained / MiB).toFixed(1)}, ${((retained) / (t * 0.9)).toFixed(1)}` : "n/a (no onRecord)"} | ` +
        `${((r.retainedAfterBytes as number) / MiB).toFixed(1)} | ${((r.peakBytes as number) / MiB).toFixed(0)}, ${((r.peakBytes as number) / t).toFixed(1)} | ${(r.peakRssMiB as number).toFixed(0)} | ${(r.durationS as number).toFixed(1)} |`,
    );
  }
} finally {
  server.kill("SIGTERM");
}
