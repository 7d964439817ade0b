// llama.cpp's own llama-server (CPU, built from the llama.cpp source that node-llama-cpp ships,
// scripts/build-llama-server.sh) serving a generated model on 127.0.0.1, for the tests in
// test/realserver/.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { ensurePresetModel } from "../../src/engine/models.js";

/**
 * The llama-server binary: $TOKENBENCH_LLAMA_SERVER when set, else the build script's
 * cached build under ~/.cache/tokenbench/llama-server, the cache .ci/run uses (built there on
 * first use: ~10-15 min on 2 cores, hence the hook's long timeout). Never skipped.
 */
export function llamaServerBinary(): string {
  const fromEnv = process.env.TOKENBENCH_LLAMA_SERVER;
  if (fromEnv) {
    assert.ok(existsSync(fromEnv), `TOKENBENCH_LLAMA_SERVER=${fromEnv} does not exist`);
    return fromEnv;
  }
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tokenbench", "llama-server");
  return execFileSync("bash", ["scripts/build-llama-server.sh", cache], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url: string, child: ChildProcess, log: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-server exited (${child.exitCode}): ${log.slice(-5).join(" | ")}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`llama-server not healthy within ${timeoutMs / 1000} s: ${log.slice(-5).join(" | ")}`);
}

export interface LlamaServer {
  url: string;
  /** The server's last output lines (for failure messages). */
  log: string[];
  close(): Promise<void>;
}

/** Starts llama-server with the generated `preset` model, `slots` parallel sequences of 512 tokens each, 2 threads. */
export async function startLlamaServer(preset: string, slots: number): Promise<LlamaServer> {
  const bin = llamaServerBinary();
  const model = await ensurePresetModel(preset);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child = spawn(bin, ["-m", model, "--host", "127.0.0.1", "--port", String(port), "-np", String(slots), "-c", String(slots * 512), "-t", "2", "--no-webui"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  for (const s of [child.stdout!, child.stderr!]) s.on("data", (d: Buffer) => log.push(...d.toString().split("\n").filter(Boolean).slice(-20)));
  const close = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    }
  };
  try {
    await waitHealthy(url, child, log, 60_000);
  } catch (e) {
    await close();
    throw e;
  }
  return { url, log, close };
}
