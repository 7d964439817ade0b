// The llama-server back-end of the embedded engine: llama.cpp's own HTTP server, launched on a
// free loopback port with the model, threads, context and slots tokenbench was asked for.
// Why it exists: on the 2-core development CPU node-llama-cpp forms full batches but its decode
// costs ~2x the CPU of the same llama.cpp commit built natively as llama-server, so batching
// added no throughput through the binding (docs/engine.md, "Engine back-ends").
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { UsageError } from "../errors.js";
import { startWatchdog } from "../lifeline.js";
import { readGgufHeader } from "./gguf/read.js";

/** The engine back-ends `tokenbench serve` (and run/sweep without a target) can use. */
export const ENGINE_KINDS = ["auto", "llama-server", "node-llama-cpp"] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];

/** The build cache scripts/build-llama-server.sh writes: <cache>/<llama.cpp commit>[-<flags hash>]/bin/llama-server. */
export function llamaServerCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tokenbench", "llama-server");
}

/** The llama.cpp commit node-llama-cpp ships (its git bundle's head); undefined when git or the bundle is missing. */
function bundledCommit(): string | undefined {
  try {
    // The package exports no package.json: its entry is <pkg>/dist/index.js.
    const pkgDir = dirname(dirname(createRequire(import.meta.url).resolve("node-llama-cpp")));
    const bundle = join(pkgDir, "llama", "gitRelease.bundle");
    if (!existsSync(bundle)) return undefined;
    return execFileSync("git", ["bundle", "list-heads", bundle], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split(/\s+/)[0] || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The llama-server binary to launch, or undefined when there is none: `explicit` (a path the
 * user gave; missing is a UsageError), else $TOKENBENCH_LLAMA_SERVER, else the build cache's
 * build of the llama.cpp commit node-llama-cpp ships, else the newest build in that cache.
 * Never builds (that takes ~10 min on 2 cores: `bash scripts/build-llama-server.sh`).
 */
export function findLlamaServer(explicit?: string): { path: string; source: string } | undefined {
  const given = explicit ?? process.env.TOKENBENCH_LLAMA_SERVER;
  if (given) {
    if (!existsSync(given)) throw new UsageError(`llama-server binary not found: ${given}`);
    return { path: given, source: explicit ? "--llama-server" : "TOKENBENCH_LLAMA_SERVER" };
  }
  const cache = llamaServerCacheDir();
  const commit = bundledCommit();
  if (commit) {
    const p = join(cache, commit, "bin", "llama-server");
    if (existsSync(p)) return { path: p, source: "build cache (node-llama-cpp's llama.cpp commit)" };
  }
  let builds: string[] = [];
  try {
    builds = readdirSync(cache).map((d) => join(cache, d, "bin", "llama-server")).filter((p) => existsSync(p));
  } catch {
    return undefined;
  }
  builds.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return builds[0] ? { path: builds[0], source: "build cache (newest build)" } : undefined;
}

/**
 * Which back-end runs, and why in one line (logged and stored with the run). auto: llama-server
 * when a binary is found, else node-llama-cpp. Throws UsageError for llama-server without a binary.
 */
export function chooseEngine(kind: EngineKind = "auto", explicitBinary?: string): { engine: "llama-server" | "node-llama-cpp"; binary?: string; reason: string } {
  if (kind === "node-llama-cpp") {
    if (explicitBinary) throw new UsageError("--llama-server applies to --engine llama-server or auto");
    return { engine: "node-llama-cpp", reason: "--engine node-llama-cpp" };
  }
  const found = findLlamaServer(explicitBinary);
  if (found) return { engine: "llama-server", binary: found.path, reason: `${kind === "auto" ? "auto: " : ""}llama-server from ${found.source}: ${found.path}` };
  if (kind === "llama-server") {
    throw new UsageError(`no llama-server binary: build it with "bash scripts/build-llama-server.sh" (~10 min on 2 cores), or give --llama-server PATH`);
  }
  return { engine: "node-llama-cpp", reason: `auto: no llama-server binary in ${llamaServerCacheDir()} (bash scripts/build-llama-server.sh builds one), so node-llama-cpp` };
}

export interface LlamaServerOptions {
  binary: string;
  modelPath: string;
  /** Served under this name (`--alias`): /v1/models and responses say it. */
  modelName: string;
  host: string;
  /** 0: a free port. */
  port: number;
  /** Slots decoding together (`-np`). */
  parallel: number;
  /** Tokens per slot; default min(model's training context, 4096), as the node-llama-cpp back-end. */
  context?: number;
  batch?: number;
  threads: number;
  flashAttention?: boolean;
  log?: (line: string) => void;
  /** Start-up limit, ms (default 120 000). */
  startTimeoutMs?: number;
}

export interface RunningLlamaServer {
  url: string;
  pid: number;
  /** Per-slot context actually configured, tokens. */
  contextSize: number;
  close(): Promise<void>;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The model's training context from its GGUF header (`<arch>.context_length`); undefined when absent. */
function trainContext(modelPath: string): number | undefined {
  const md = readGgufHeader(modelPath).metadata;
  const v = md[`${String(md["general.architecture"])}.context_length`];
  return typeof v === "number" && v > 0 ? v : undefined;
}

/**
 * Launches llama-server and resolves once /health answers 200. Its own process group with a
 * watchdog, so it never outlives tokenbench. Failing to start rejects with its last log line.
 */
export async function startLlamaServer(o: LlamaServerOptions): Promise<RunningLlamaServer> {
  const contextSize = o.context ?? Math.min(trainContext(o.modelPath) ?? 4096, 4096);
  // A port chosen by us, not llama-server's: it prints no machine-readable "listening" line.
  const port = o.port || (await freePort(o.host));
  const args = [
    "-m", o.modelPath, "--alias", o.modelName, "--host", o.host, "--port", String(port),
    "-np", String(o.parallel),
    // llama-server splits -c over its slots.
    "-c", String(contextSize * o.parallel),
    "-t", String(o.threads), "-tb", String(o.threads),
    "--metrics", "--no-webui",
  ];
  if (o.batch) args.push("-b", String(o.batch));
  if (o.flashAttention !== undefined) args.push("-fa", o.flashAttention ? "on" : "off");
  const child = spawn(o.binary, args, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  const watchdog = child.pid ? startWatchdog(child.pid, 5_000) : undefined;
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (process.env.TOKENBENCH_DEBUG) o.log?.(`[llama-server] ${line}`);
  });
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  const exited = new Promise<void>((resolve) =>
    child.once("close", () => {
      process.off("exit", killOnExit);
      watchdog?.disarm();
      resolve();
    }),
  );
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null || spawnError) return;
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}`;
  const deadline = Date.now() + (o.startTimeoutMs ?? 120_000);
  const lastLine = () => tail.filter((l) => l.trim()).pop() ?? "no output";
  try {
    for (;;) {
      if (spawnError) throw new UsageError(`cannot run llama-server ${o.binary}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        await exited;
        const loadError = tail.find((l) => /failed to load model|error loading model/i.test(l));
        if (loadError) throw new UsageError(`cannot load model ${o.modelPath}: ${loadError.trim()}`);
        throw new Error(`llama-server exited (${child.exitCode ?? child.signalCode}): ${lastLine()}`);
      }
      if (Date.now() > deadline) throw new Error(`llama-server not ready within ${(o.startTimeoutMs ?? 120_000) / 1000} s: ${lastLine()}`);
      // 503 while the model loads, 200 once it serves.
      const status = await fetch(`${url}/health`).then((r) => r.status, () => 0);
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { url, pid: child.pid!, contextSize, close };
}
