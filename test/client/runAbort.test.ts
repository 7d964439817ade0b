// The run's stop signal reaches every request in flight through one listener, not one per request
// (each request adding and removing its own costs O(n^2) at 10,000 streams).
import { test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getAdapter } from "../../src/protocols/index.js";
import { openTargets, closeTargets } from "../../src/client/targets.js";
import { streamRequest } from "../../src/client/streamRequest.js";

test("a run signal aborts 40 streams in flight through one listener; finished requests unregister", async () => {
  const open = new Set<ServerResponse>();
  let started = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: {"choices":[{"text":"a","index":0}]}\n\n`);
      started++;
      open.add(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const adapter = getAdapter("openai-completions");
  const targets = openTargets([base], 40, 30_000);
  const stop = new AbortController();
  const t0 = performance.now();
  const opts = { timeoutMs: 30_000, now: () => performance.now() - t0, signal: stop.signal };
  const spec = adapter.buildRequest({ prompt: "x", model: "m", maxTokens: 4, exactOutput: true, seed: 1 });
  try {
    const pending = Array.from({ length: 40 }, () => streamRequest(targets[0], adapter, spec, opts));
    for (let i = 0; i < 200 && started < 40; i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(started, 40, "all 40 streams reached the server");
    assert.equal(getEventListeners(stop.signal, "abort").length, 1, "one listener for 40 requests in flight");
    stop.abort();
    const results = await Promise.all(pending);
    assert.equal(results.filter((r) => r.errorKind === "aborted").length, 40, JSON.stringify(results.map((r) => r.errorKind)));
    assert.ok(results.every((r) => r.chunks.length >= 1), "the chunk before the abort was kept");

    // A signal whose requests all finished keeps at most its one dispatcher listener and calls nobody.
    const stop2 = new AbortController();
    const done = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: {"choices":[{"text":"a","index":0,"finish_reason":"length"}]}\n\ndata: [DONE]\n\n`);
      });
    });
    await new Promise<void>((r) => done.listen(0, "127.0.0.1", r));
    const t2 = openTargets([`http://127.0.0.1:${(done.address() as AddressInfo).port}`], 4, 30_000);
    try {
      const ok = await Promise.all(Array.from({ length: 8 }, () => streamRequest(t2[0], adapter, spec, { ...opts, signal: stop2.signal })));
      assert.ok(ok.every((r) => r.ok), JSON.stringify(ok.map((r) => r.errorKind)));
      assert.ok(getEventListeners(stop2.signal, "abort").length <= 1);
      stop2.abort(); // nothing in flight: must not throw or touch finished requests
      assert.ok(ok.every((r) => r.errorKind === undefined));
    } finally {
      await closeTargets(t2);
      done.close();
    }
  } finally {
    for (const r of open) r.destroy();
    await closeTargets(targets);
    server.close();
  }
});
