// Runs the scripted server in its own process (or processes) so the client under test has its own cores.
// argv: ttftMs itlMs tokensPerChunk [procs]. Prints the URL on stdout; with procs > 1, "URL STATS_URL":
// procs cluster workers share the port (the primary hands out connections), and STATS_URL/stats?since=EPOCH
// gathers every worker's served requests (one event loop writing 100,000+ events/s falls behind: docs/client-capacity.md).
import cluster from "node:cluster";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { servedSince, startScriptedServer } from "../test/support/scriptedServer.js";

const [ttftMs, itlMs, tokensPerChunk, procsArg] = process.argv.slice(2).map(Number);
const procs = procsArg > 1 ? procsArg : 1;
const script = { ttftMs, itlMs, tokensPerChunk: tokensPerChunk || 1 };

if (procs === 1) {
  const srv = await startScriptedServer({ script });
  process.stdout.write(srv.url + "\n");
  process.on("SIGTERM", () => void srv.close().then(() => process.exit(0)));
} else if (cluster.isPrimary) {
  const workers = Array.from({ length: procs }, () => cluster.fork());
  const urls = await Promise.all(workers.map((w) => new Promise<string>((r) => w.once("message", (m: { url: string }) => r(m.url)))));
  if (new Set(urls).size !== 1) throw new Error(`cluster workers listen apart: ${urls.join(", ")}`);
  let seq = 0;
  const control = http.createServer(async (req, res) => {
    const since = Number(new URL(req.url ?? "/", "http://x").searchParams.get("since"));
    const id = ++seq;
    const parts = await Promise.all(workers.map((w) => new Promise<unknown[]>((r) => {
      const on = (m: { id?: number; rows?: unknown[] }) => { if (m.id === id) (w.off("message", on), r(m.rows ?? [])); };
      w.on("message", on);
      w.send({ id, since });
    })));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(parts.flat()));
  });
  await new Promise<void>((r) => control.listen(0, "127.0.0.1", r));
  process.stdout.write(`${urls[0]} http://127.0.0.1:${(control.address() as AddressInfo).port}\n`);
  process.on("SIGTERM", () => { for (const w of workers) w.kill("SIGTERM"); process.exit(0); });
} else {
  const srv = await startScriptedServer({ script });
  process.send!({ url: srv.url });
  // Its own served list (a request to the shared port could reach another worker), as /stats?since= gives it.
  process.on("message", (m: { id: number; since: number }) => process.send!({ id: m.id, rows: servedSince(srv.served, m.since) }));
  process.on("SIGTERM", () => void srv.close().then(() => process.exit(0)));
}
