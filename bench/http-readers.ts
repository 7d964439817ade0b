// Client CPU per streamed token event for the bare HTTP readers, without the rest of tokenbench: undici's dispatch
// API, tokenbench's HTTP/1.1 reader (src/client/h1.ts), and the floor (a net socket with `onread`, no HTTP parsing
// beyond finding the end). N streams of back-to-back requests against the scripted server in its own process; each
// reader runs in its own child process, pinned apart from the server, in turn, `--repeats` times.
//
//   node --import tsx bench/http-readers.ts [--streams 256] [--seconds 8] [--repeats 2] [--client-cpus 0 --server-cpus 1]
//     [--readers undici,tokenbench-h1,net-onread] [--native PATH] [--server-procs N]
//
// --native PATH adds bench/native-reader.c, compiled (cc -O2 -o PATH bench/native-reader.c): epoll and one recv()
// per readiness in C, the floor under any client on the host. --server-procs N runs the scripted server as N
// cluster processes (one event loop caps ~100k writes/s). Bundled with esbuild (the GPU host has no tsx), the
// scripted server's bundle is expected beside it as scriptedServerProcess.mjs, as bench/client-capacity.ts does.
//
// Prints per reader: token events/s, client CPU % of one core, CPU us per event, timer lag p99 (10 ms timer).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import { Client } from "undici";
import { H1Pool } from "../src/client/h1.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const READERS = ["undici", "tokenbench-h1", "net-onread"] as const;
type Reader = (typeof READERS)[number];
const fromTs = import.meta.url.endsWith(".ts");
const self = fromTs ? ["--import", "tsx", "bench/http-readers.ts"] : [fileURLToPath(import.meta.url)];
const serverScript = fromTs ? ["--import", "tsx", "bench/scriptedServerProcess.ts"] : [join(dirname(fileURLToPath(import.meta.url)), "scriptedServerProcess.mjs")];
const body = JSON.stringify({ model: "m", prompt: "hi", stream: true, max_tokens: 40 });

async function child(mode: Reader, url: string, streams: number, seconds: number): Promise<void> {
  const u = new URL(url);
  let events = 0;
  const stopAt = Date.now() + seconds * 1000;
  const lags: number[] = [];
  let last = performance.now();
  const lagTimer = setInterval(() => {
    const now = performance.now();
    lags.push(now - last - 10);
    last = now;
  }, 10);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const stamps: number[] = [];
  const onEvent = () => {
    stamps.push(performance.now());
    if (stamps.length > 4096) stamps.length = 0;
    events++;
  };
  const path = "/v1/completions";
  const headers = { "content-type": "application/json" };
  const one = async () => {
    if (mode === "undici") {
      const c = new Client(u.origin, { pipelining: 1 });
      while (Date.now() < stopAt)
        await new Promise<void>((done) =>
          c.dispatch({ origin: u.origin, path, method: "POST", headers, body }, { onRequestStart() {}, onResponseStart() {}, onResponseData: onEvent, onResponseEnd: () => done(), onResponseError: () => done() }),
        );
      await c.close();
    } else if (mode === "tokenbench-h1") {
      const p = new H1Pool(u.origin, { connectTimeoutMs: 5000 });
      while (Date.now() < stopAt)
        await new Promise<void>((done) => p.dispatch({ method: "POST", path, headers, body }, { onRequestStart() {}, onResponseStart() {}, onResponseData: onEvent, onResponseEnd: done, onResponseError: () => done() }));
      await p.destroy();
    } else {
      let cur: ((b: Buffer, n: number) => void) | undefined;
      const buf = Buffer.allocUnsafe(65536);
      const s = net.connect({ port: Number(u.port), host: u.hostname, noDelay: true, onread: { buffer: buf, callback: (n) => (cur?.(buf, n), true) } });
      await new Promise((r) => s.once("connect", r));
      const req = `POST ${path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      while (Date.now() < stopAt)
        await new Promise<void>((done) => {
          cur = (b, n) => {
            onEvent();
            if (b.toString("latin1", Math.max(0, n - 5), n) === "0\r\n\r\n") done();
          };
          s.write(req);
        });
      s.destroy();
    }
  };
  await Promise.all(Array.from({ length: streams }, one));
  clearInterval(lagTimer);
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  lags.sort((a, b) => a - b);
  const cpuUs = cpu.user + cpu.system;
  process.stdout.write(JSON.stringify({ mode, events, eventsPerS: Math.round((events / wall) * 1000), cpuPct: Math.round(cpuUs / 10 / wall), usPerEvent: +(cpuUs / events).toFixed(1), lagP99Ms: +lags[Math.floor(lags.length * 0.99)].toFixed(2) }) + "\n");
}

const pinned = (cpus: string, argv: string[]): [string, string[]] => (cpus ? ["taskset", ["-c", cpus, ...argv]] : [argv[0], argv.slice(1)]);

if (process.argv[2] === "--child") {
  await child(process.argv[3] as Reader, process.argv[4], Number(process.argv[5]), Number(process.argv[6]));
} else {
  const streams = Number(arg("streams", "256"));
  const seconds = Number(arg("seconds", "8"));
  const repeats = Number(arg("repeats", "2"));
  const readers = arg("readers", READERS.join(",")).split(",") as Reader[];
  const native = arg("native", "");
  const [scmd, sargs] = pinned(arg("server-cpus", ""), [process.execPath, ...serverScript, "20", "20", "1", arg("server-procs", "1")]);
  const server = spawn(scmd, sargs, { stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise<string>((r) => server.stdout!.once("data", (d) => r(String(d).trim().split(" ")[0])));
  console.log(`scripted server ${url}: TTFT 20 ms, ITL 20 ms, 40 one-token events per request; ${streams} streams, ${seconds} s per reader; node ${process.version}`);
  console.log("| reader | token events/s | client CPU % | CPU us per event | timer lag p99 ms |\n|---|---:|---:|---:|---:|");
  try {
    for (let r = 0; r < repeats; r++)
      for (const mode of [...readers, ...(native ? ["native-epoll" as const] : [])]) {
        const u = new URL(url);
        const [cmd, argv] = pinned(
          arg("client-cpus", ""),
          mode === "native-epoll" ? [native, u.hostname, u.port, String(streams), String(seconds)] : [process.execPath, ...self, "--child", mode, url, String(streams), String(seconds)],
        );
        const out = await new Promise<string>((resolve, reject) => {
          const p = spawn(cmd, argv, { stdio: ["ignore", "pipe", "inherit"] });
          let s = "";
          p.stdout!.on("data", (d) => (s += d));
          p.on("close", (code) => (code === 0 ? resolve(s) : reject(new Error(`${mode} exited ${code}`))));
        });
        const x = JSON.parse(out) as { eventsPerS: number; cpuPct: number; usPerEvent: number; lagP99Ms: number };
        console.log(`| ${mode} | ${x.eventsPerS} | ${x.cpuPct} | ${x.usPerEvent} | ${x.lagP99Ms} |`);
      }
  } finally {
    server.kill("SIGTERM");
  }
}
