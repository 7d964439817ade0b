// sentAt is when the request is written to the socket, not when it was handed to the HTTP client: on a
// reused keep-alive connection undici 7 defers the write to setImmediate (its idle-socket check), so any
// work the client's event loop does meanwhile was counted in TTFT when the clock started at dispatch
// (37-42 ms per request at 256 streams on one client core: docs/client-capacity.md). tokenbench's own
// HTTP/1.1 client (the default for http: targets) writes within the dispatch.
import { test } from "node:test";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import assert from "node:assert/strict";
import { getAdapter } from "../../src/protocols/index.js";
import { openTargets, closeTargets } from "../../src/client/targets.js";
import { streamRequest } from "../../src/client/streamRequest.js";
import { deriveLatencies } from "../../src/measure/requestMetrics.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import { runBenchmark } from "../../src/benchmark/run.js";

// Long enough that the upper bound below (TTFT under the server's + BUSY_MS) holds on a loaded machine.
const BUSY_MS = 200;

test("undici: sentAt is the socket write: a client busy between dispatch and write is client wait, not TTFT", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const adapter = getAdapter("openai-completions");
  const targets = openTargets([srv.url], 1, 30_000, "undici");
  const t0 = performance.now();
  const opts = { timeoutMs: 30_000, now: () => performance.now() - t0 };
  const spec = adapter.buildRequest({ prompt: "x", model: "m", maxTokens: 4, exactOutput: true, seed: 1 });
  try {
    const first = await streamRequest(targets[0], adapter, spec, opts);
    assert.ok(first.ok, first.error);
    // The connection is now idle and kept alive: the next request goes out on it.
    const dispatchedAt = opts.now();
    const pending = streamRequest(targets[0], adapter, spec, opts);
    const until = performance.now() + BUSY_MS;
    while (performance.now() < until); // the client's event loop is busy (other streams' work)
    const raw = await pending;
    assert.ok(raw.ok, raw.error);
    assert.ok(raw.sentAt - dispatchedAt >= BUSY_MS, `sentAt ${raw.sentAt.toFixed(2)} is ${(raw.sentAt - dispatchedAt).toFixed(2)} ms after the dispatch, not after the busy ${BUSY_MS} ms`);
    const lat = deriveLatencies({ scheduledAt: dispatchedAt, dispatchedAt, sentAt: raw.sentAt, endAt: raw.endAt, ok: true, chunks: raw.chunks.map((c) => [c.t, 1] as const) });
    assert.ok(lat.clientWaitMs >= BUSY_MS, `client wait ${lat.clientWaitMs}`);
    // The request reached the server after the write: the server's own TTFT (arrival -> first token
    // written) bounds tokenbench's from below, and the busy time is not in it.
    const served = srv.served[1];
    const serverTtft = served.firstTokenAt! - served.arrivedAt;
    assert.ok(lat.ttftMs! >= serverTtft - 0.5, `ttft ${lat.ttftMs} < server's ${serverTtft}`);
    assert.ok(lat.ttftMs! < serverTtft + BUSY_MS, `ttft ${lat.ttftMs!.toFixed(2)} holds the busy ${BUSY_MS} ms (server's ${serverTtft.toFixed(2)})`);
  } finally {
    await closeTargets(targets);
    await srv.close();
  }
});

test("tokenbench's client: the request is written within the dispatch, so a busy client is read lag, not client wait", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 5, itlMs: 2 } });
  const adapter = getAdapter("openai-completions");
  const targets = openTargets([srv.url], 1, 30_000);
  assert.ok(targets[0].h1, "http: targets stream over tokenbench's own client by default");
  const t0 = performance.now();
  const opts = { timeoutMs: 30_000, now: () => performance.now() - t0 };
  const spec = adapter.buildRequest({ prompt: "x", model: "m", maxTokens: 4, exactOutput: true, seed: 1 });
  try {
    const first = await streamRequest(targets[0], adapter, spec, opts);
    assert.ok(first.ok, first.error);
    const pending = streamRequest(targets[0], adapter, spec, opts);
    const busyFrom = opts.now();
    const until = performance.now() + BUSY_MS;
    while (performance.now() < until);
    const raw = await pending;
    assert.ok(raw.ok, raw.error);
    // Synchronous: the write happened before streamRequest returned, so before the busy loop began.
    assert.ok(raw.sentAt <= busyFrom, `sentAt ${raw.sentAt.toFixed(2)} after the busy loop began at ${busyFrom.toFixed(2)}`);
    // The server answered while the client was busy: its first token is read after the busy time.
    assert.ok(raw.chunks[0].t >= busyFrom + BUSY_MS, `first chunk read at ${raw.chunks[0].t.toFixed(2)}, during the busy loop`);
    assert.equal(targets[0].connects.length, 1, "the second request reused the first one's connection");
  } finally {
    await closeTargets(targets);
    await srv.close();
  }
});

test("runBenchmark: --http-client undici streams through undici, tokenbench's by default; an unknown one is a usage error", async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 2, itlMs: 1 } });
  const base = { api: "openai-completions" as const, model: "m", tokenizer: "bytes", requests: 4, warmup: 0, preflight: false, db: null, targets: [srv.url],
    workload: { kind: "synthetic" as const, input: { kind: "fixed" as const, value: 8 }, output: { kind: "fixed" as const, value: 4 } }, loads: [{ mode: "concurrency" as const, concurrency: 2 }] };
  // undici announces every request it writes on this channel; tokenbench's client does not. The run's
  // side requests (the server-info probe) go through undici either way.
  let undiciWrites = 0;
  const count = () => void undiciWrites++;
  subscribe("undici:client:sendHeaders", count);
  try {
    const writes: Record<string, number> = {};
    for (const httpClient of ["tokenbench", "undici"] as const) {
      undiciWrites = 0;
      const r = await runBenchmark({ ...base, httpClient });
      assert.equal(r.summaries[0].requests.completed, 4, httpClient);
      writes[httpClient] = undiciWrites;
    }
    assert.ok(writes.tokenbench < 4, `undici wrote ${writes.tokenbench} requests of a tokenbench-client run`);
    assert.ok(writes.undici >= writes.tokenbench + 4, `undici wrote ${writes.undici} requests of an undici run (${writes.tokenbench} with tokenbench's)`);
    await assert.rejects(runBenchmark({ ...base, httpClient: "curl" as never }), /unknown http client "curl" \(one of tokenbench, undici\)/);
  } finally {
    unsubscribe("undici:client:sendHeaders", count);
    await srv.close();
  }
});

test("a header value with a line break is a usage error that does not echo the value", async () => {
  const o = { targets: ["http://127.0.0.1:9"], preflight: false, db: null, tokenizer: "bytes", requests: 1 };
  await assert.rejects(runBenchmark({ ...o, headers: { "x-key": "secret\r\nx-evil: 1" } }), (e: Error) => /header x-key: the value must be one line/.test(e.message) && !e.message.includes("secret"));
  await assert.rejects(runBenchmark({ ...o, headers: { "bad name": "v" } }), /invalid header name "bad name"/);
  await assert.rejects(runBenchmark({ ...o, apiKey: "sk-1\n" }), (e: Error) => /header authorization/.test(e.message) && !e.message.includes("sk-1"));
});
