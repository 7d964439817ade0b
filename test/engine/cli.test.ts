// `tokenbench model` and `tokenbench serve` as a user runs them: exit codes, one-line errors, a live server.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readGgufHeader } from "../../src/engine/gguf/read.js";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { useTempHome } from "./helpers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", MAIN, ...args], { encoding: "utf8", env: process.env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function oneLineError(r: { code: number | null; stderr: string }, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^tokenbench: error: /);
  assert.match(lines[0], re);
}

describe("model and serve commands", () => {
  let env: ReturnType<typeof useTempHome>;
  let tinyPath: string;
  before(() => {
    env = useTempHome();
  });
  after(() => env.cleanup());

  test("model generate writes the preset and prints its path; unknown preset exits 2", () => {
    const r = cli(["model", "generate", "--preset", "tiny"]);
    assert.equal(r.code, 0, r.stderr);
    tinyPath = r.stdout.trim();
    assert.equal(tinyPath, join(env.home, "models", "tiny-s0-v3.gguf"));
    assert.equal(readFileSync(tinyPath).subarray(0, 4).toString(), "GGUF");
    oneLineError(cli(["model", "generate", "--preset", "huge"]), /unknown preset "huge"/);
    const list = cli(["model", "list"]);
    assert.match(list.stdout, /^tiny .*vocab mistral  .*tiny-s0-v3\.gguf$/m);
    assert.match(list.stdout, /^llama-3-8b .*32\/8 heads.*\(not generated\)$/m);
  });

  test("serve rejects a missing, a non-GGUF and a truncated model with one line and exit 2", () => {
    oneLineError(cli(["serve", "--model", join(env.home, "nope.gguf")]), /model file not found/);
    const text = join(env.home, "text.gguf");
    writeFileSync(text, "this is not a model\n");
    oneLineError(cli(["serve", "--model", text]), /not a GGUF file/);
    const truncated = join(env.home, "truncated.gguf");
    writeFileSync(truncated, readFileSync(tinyPath).subarray(0, 4096));
    // node-llama-cpp quotes llama.cpp's load error; the llama-server back-end (auto's choice when
    // the binary is there) reads the header first.
    oneLineError(cli(["serve", "--model", truncated]), /cannot load model|not a valid GGUF file \(header runs past the end\)/);
    oneLineError(cli(["serve", "--model", truncated, "--engine", "node-llama-cpp"]), /cannot load model/);
    // Header whole, tensor data cut: llama-server itself refuses it, quoted as one line.
    const cutData = join(env.home, "cut-data.gguf");
    writeFileSync(cutData, readFileSync(tinyPath).subarray(0, readGgufHeader(tinyPath).dataOffset + 4096));
    oneLineError(cli(["serve", "--model", cutData, "--engine", "llama-server"]), /cannot load model .*cut-data\.gguf/);
    oneLineError(cli(["serve", "--model", tinyPath, "--preset", "tiny"]), /either --model or --preset/);
  });

  test("serve answers on the port it prints and stops cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", MAIN, "serve", "--model", tinyPath, "--port", "0", "--parallel", "2", "--context", "256"], {
      env: process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const lines: string[] = [];
        createInterface({ input: child.stdout }).on("line", (l) => {
          lines.push(l);
          // The engine line comes first: which back-end serves and why.
          if (l.startsWith("http")) resolve(lines.join("\n"));
        });
        child.once("exit", () => reject(new Error(`serve exited early: ${stderr}`)));
      });
      // The format src/benchmark/embeddedTarget.ts parses to find the URL and the model name.
      assert.match(line, /^engine: (llama-server|node-llama-cpp) \(.+\)\n/);
      const m = /^(http:\/\/127\.0\.0\.1:\d+) \(model "([^"]*)", engine (llama-server|node-llama-cpp)\)/m.exec(line);
      assert.ok(m, line);
      const url = m[1];
      assert.equal(m[2], "tiny-s0-v3");
      const res = await fetch(`${url}/v1/completions`, { method: "POST", body: JSON.stringify({ prompt: "cli", max_tokens: 8, ignore_eos: true }) });
      const body = (await res.json()) as any;
      assert.equal(body.usage.completion_tokens, 8);
      assert.equal(body.model, "tiny-s0-v3");
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0, stderr);
  });
});
