// Bounded memory (issue #13): a run that does not keep its records holds only its statistics,
// not ~100 bytes per streamed token. Measured in a child process with --expose-gc (a full GC
// before reading), against the scripted server in this process; a memory test, not a timing one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { startScriptedServer } from "../support/scriptedServer.js";

interface Probe {
  completed: number;
  tokens: number;
  retainedBytes: number;
  retainedPerToken: number;
}

function probe(url: string, keep: boolean): Promise<Probe> {
  const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", "test/support/memoryProbe.ts", url, "1500", "256", "64", String(keep)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  return new Promise((resolve, reject) =>
    p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Probe) : reject(new Error(`probe exited ${code}: ${err}`)))),
  );
}

test("a run without kept records retains under 48 bytes per streamed token (records kept: over 80)", { timeout: 180_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 1, itlMs: 0 } });
  try {
    const lean = await probe(srv.url, false);
    const kept = await probe(srv.url, true);
    assert.equal(lean.completed, 1500);
    assert.equal(lean.tokens, 1500 * 256);
    // Exact statistics cost 8 bytes per ITL value and 12 per token chunk (typed arrays growing by
    // doubling, so up to twice that) until their caps (2^20 values), then nothing more per token.
    assert.ok(lean.retainedPerToken < 48, `retained ${lean.retainedPerToken.toFixed(1)} B/token without records (${(lean.retainedBytes / 2 ** 20).toFixed(1)} MiB)`);
    // The probe sees held records: the same run keeping them retains the old ~100 B/token.
    assert.ok(kept.retainedPerToken > 80, `retained ${kept.retainedPerToken.toFixed(1)} B/token with records kept`);
  } finally {
    await srv.close();
  }
});
