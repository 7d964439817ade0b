// Every body chunk of one socket read gets the read's arrival time (src/client/streamRequest.ts,
// readTime): SSE events the server wrote in one write arrive together, so their ITL is 0 and the
// client self-check can count them (same_read_pct); events written apart get times apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { getAdapter } from "../../src/protocols/index.js";
import { openTargets, closeTargets, HTTP_CLIENTS } from "../../src/client/targets.js";
import { streamRequest } from "../../src/client/streamRequest.js";

const event = (text: string) => `data: ${JSON.stringify({ choices: [{ index: 0, text, finish_reason: null }] })}\n\n`;

for (const client of HTTP_CLIENTS) {
  test(`${client}: chunks of one read share its timestamp; a later write gets a later one`, async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.flushHeaders();
        // Three events in one write (one TCP segment on loopback), then one 40 ms later.
        res.write(event("a") + event("b") + event("c"));
        setTimeout(() => res.end(event("d") + "data: [DONE]\n\n"), 40);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const adapter = getAdapter("openai-completions");
    const targets = openTargets([url], 1, 30_000, client);
    const t0 = performance.now();
    try {
      const spec = adapter.buildRequest({ prompt: "x", model: "m", maxTokens: 4, exactOutput: true, seed: 1 });
      const raw = await streamRequest(targets[0], adapter, spec, { timeoutMs: 30_000, now: () => performance.now() - t0 });
      assert.ok(raw.ok, raw.error);
      const ts = raw.chunks.map((c) => c.t);
      assert.deepEqual(raw.chunks.map((c) => c.text), ["a", "b", "c", "d"]);
      assert.equal(ts[1], ts[0], `a, b: ${ts.join(", ")}`);
      assert.equal(ts[2], ts[0], `a, c: ${ts.join(", ")}`);
      assert.ok(ts[3] - ts[2] >= 30, `d came 40 ms after the first write: ${ts.join(", ")}`);
    } finally {
      await closeTargets(targets);
      await new Promise((r) => server.close(r));
    }
  });
}
