// A scripted OpenAI-compatible streaming server for report tests: fixed time to first token
// and inter-token gap, so the stored run has real chunk timestamps from a real HTTP stream.
// Every `failEvery`-th request fails with a body that tries to inject script into reports.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export const HOSTILE = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">`;

export interface ScriptedServer {
  url: string;
  requests: number;
  close(): Promise<void>;
}

export async function startScriptedServer(opts: { ttftMs: number; gapMs: number; failEvery?: number; modelName?: string }): Promise<ScriptedServer> {
  const state = { requests: 0 };
  const server: Server = createServer((req, res) => {
    if (req.method === "GET" && req.url === "/v1/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: opts.modelName ?? "scripted-model" }] }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/v1/completions") {
      res.writeHead(404).end();
      return;
    }
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const n = ++state.requests;
      const maxTokens = Number(JSON.parse(body).max_tokens) || 8;
      if (opts.failEvery && n % opts.failEvery === 0) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `overloaded ${HOSTILE}` } }));
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let k = 0;
      const send = () => {
        if (res.destroyed) return;
        k++;
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, text: "tok ", finish_reason: k === maxTokens ? "length" : null }], usage: { prompt_tokens: 16, completion_tokens: k } })}\n\n`);
        if (k < maxTokens) setTimeout(send, opts.gapMs);
        else res.end("data: [DONE]\n\n");
      };
      setTimeout(send, opts.ttftMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
