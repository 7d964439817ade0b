import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI, startCli } from "./harness.js";

// Secrets never reach an artifact: not through the attached short form of -H, and not through a
// server that echoes the request's credentials back in its error bodies.

/** Every other request fails with a 401 whose body echoes all request headers; the rest stream 4 tokens. */
async function echoingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  let n = 0;
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (req.url?.startsWith("/v1/models")) {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(JSON.stringify({ data: [{ id: "m" }] }));
      }
      if (n++ % 2 === 1) {
        res.writeHead(401, { "content-type": "application/json" });
        // Not Bearer-shaped: only the values the user passed can recognise these.
        return res.end(JSON.stringify({ error: "bad credentials", got: req.headers, raw: req.rawHeaders.join(" ") }));
      }
      res.writeHead(200, { "content-type": "text/event-stream" });
      for (let i = 0; i < 4; i++) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: "tok ", finish_reason: null }] })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, close: () => new Promise((r) => srv.close(() => r())) };
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

test("header values and the API key appear in no artifact: DB (with WAL), JSONL, CSV, JSON, HTML report, console", async () => {
  const srv = await echoingServer();
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-secrets-"));
  const secrets = ["attachedKEY4711zz", "separateTOKEN0815q", "plainAPIkey9999x"];
  const db = join(dir, "r.db");
  try {
    const run = startCli([
      "run", "--target", srv.url, "-c", "2", "-n", "8", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "4", "--no-exact-output",
      `-HX-Api-Key: ${secrets[0]}`, "-H", `X-Custom-Token: ${secrets[1]}`, "--api-key", secrets[2],
      "--db", db, "--json", join(dir, "s.json"), "--records", join(dir, "r.jsonl"), "--csv", join(dir, "s.csv"), "--no-progress",
    ]);
    const { code } = await run.done;
    const doc = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    const s = doc.runs[0];
    assert.equal(s.requests.completed, 4, run.err());
    assert.equal(s.requests.failed, 4);
    assert.ok(code === 0 || code === 1, `exit ${code}: ${run.err()}`);
    // The echo did reach the records, masked.
    const failed = readFileSync(join(dir, "r.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => !r.ok);
    assert.equal(failed.length, 4);
    for (const r of failed) assert.match(r.error, /HTTP 401: .*x-api-key.*\[redacted\]/);
    const report = spawnSync(process.execPath, [...CLI, "report", s.id, "--db", db, "-o", join(dir, "report.html")], { encoding: "utf8" });
    assert.equal(report.status, 0, report.stderr);
    const files = allFiles(dir);
    for (const want of ["r.db", "s.json", "r.jsonl", "s.csv", "report.html"]) assert.ok(files.some((f) => f.endsWith(want)), want);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const secret of secrets) assert.equal(bytes.indexOf(secret), -1, `${secret} found in ${f}`);
    }
    for (const secret of secrets) assert.ok(!(run.out() + run.err() + report.stdout + report.stderr).includes(secret), `${secret} printed`);
    // The WAL is part of the database's bytes while a writer may still hold it: scanned when present.
    assert.ok(files.some((f) => f.endsWith("r.db")));
  } finally {
    await srv.close();
  }
});
