// `tokenbench ui`: a read-only local web app over the results database.
// The database is opened read-only; WAL mode lets it read while a benchmark is writing.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { openDb, type Db } from "../store/db.js";
import { buildReport, UnknownIdError, type CompareFn } from "../report/index.js";
import { escapeHtml } from "../report/escape.js";
import { TOOL_VERSION } from "../version.js";
import { UI_CSP, uiPage } from "./page.js";
import { queryExperiments, queryRuns } from "./queries.js";

export interface UiOptions {
  dbPath: string;
  port?: number;
  host?: string;
  compare?: CompareFn;
}

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

export async function startUi(opts: UiOptions): Promise<UiServer> {
  const db = openDb(opts.dbPath, { readonly: true });
  const page = uiPage();
  let port = 0;
  const server = createServer((req, res) => {
    try {
      if (!hostAllowed(req.headers.host, port)) {
        return send(res, 421, "text/plain; charset=utf-8", "this server answers only to localhost or an IP address (Host header check against DNS rebinding)\n");
      }
      handle(db, opts, page, req, res);
    } catch (e) {
      send(res, 500, "text/plain; charset=utf-8", `internal error: ${(e as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  }).catch((e: NodeJS.ErrnoException) => {
    db.close();
    throw new Error(e.code === "EADDRINUSE" ? `port ${opts.port} is already in use` : `cannot listen: ${e.message}`);
  });
  const addr = server.address() as AddressInfo;
  port = addr.port;
  const address = addr.address;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          db.close();
          resolve();
        });
      }),
  };
}

function handle(db: Db, opts: UiOptions, page: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, "text/plain; charset=utf-8", "read-only: only GET is served\n");
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  const q = url.searchParams;
  switch (url.pathname) {
    case "/":
      res.setHeader("content-security-policy", UI_CSP);
      return send(res, 200, "text/html; charset=utf-8", page);
    case "/api/info":
      return json(res, { db: opts.dbPath, version: TOOL_VERSION });
    case "/api/runs":
      return json(
        res,
        queryRuns(db, { q: q.get("q") ?? undefined, status: q.get("status") ?? undefined, experiment: q.get("experiment") ?? undefined, limit: Number(q.get("limit")) || undefined }),
      );
    case "/api/experiments":
      return json(res, queryExperiments(db));
    case "/report": {
      const ids = (q.get("ids") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      try {
        const report = buildReport(db, ids, { baseline: q.get("baseline") ?? undefined, compare: opts.compare });
        return send(res, 200, "text/html; charset=utf-8", report.html);
      } catch (e) {
        if (e instanceof UnknownIdError) return send(res, 404, "text/html; charset=utf-8", `<!DOCTYPE html><title>not found</title><p>${escapeHtml(e.message)}</p>`);
        throw e;
      }
    }
    default:
      return send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }
}

/**
 * A page on another site can point its own domain name at 127.0.0.1 (DNS rebinding) and then read
 * this server as same-origin. Its requests carry that domain in Host, so only `localhost` and IP
 * literals, with our port, are served: names that no DNS answer can rebind.
 */
export function hostAllowed(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+)(?::(\d+))?$/.exec(host);
  if (!m || Number(m[2] ?? 80) !== port) return false;
  const name = m[1].toLowerCase();
  return name === "localhost" || name.startsWith("[") || isIP(name) !== 0;
}

function json(res: ServerResponse, body: unknown): void {
  send(res, 200, "application/json; charset=utf-8", JSON.stringify(body));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(res.req.method === "HEAD" ? undefined : body);
}
