import { buildConnector, Client, Pool } from "undici";
import { performance } from "node:perf_hooks";
import type { BalanceStrategy } from "../schedule/types.js";
import { H1Pool } from "./h1.js";

/** Which client streams requests to http: targets (https ones always use undici). */
export const HTTP_CLIENTS = ["tokenbench", "undici"] as const;
export type HttpClientKind = (typeof HTTP_CLIENTS)[number];

export interface Target {
  /** The base URL as given (normalized: no trailing slash, no trailing /v1). */
  url: string;
  /** scheme://host:port, what the connections go to. */
  origin: string;
  /** Path prefix put before every API path ("" or e.g. "/proxy"), for servers behind a path-routing proxy. */
  prefix: string;
  /** undici's pool: https targets (and any request not on `h1`). */
  pool: Pool;
  /** The streamed requests' own HTTP/1.1 client, for http: targets (src/client/h1.ts: fewer CPU-us per token event). */
  h1?: H1Pool;
  /** Options for a one-off connection outside the pool (a retry on a fresh connection). */
  connectionOptions: Client.Options;
  inFlight: number;
  /** Every connection opened to this target: when the connect began (performance.now() ms) and how long TCP (+TLS) set-up took. */
  connects: Array<{ atMs: number; ms: number }>;
  /** Connection attempts that failed. */
  connectFailures: number;
}

/**
 * A target base URL as users have it, reduced to what tokenbench appends API paths to.
 * OpenAI-client users hold "http://host:8000/v1" (their SDK's base_url); the adapters' paths
 * already start with /v1 where the API has it, so a trailing "/v1" is dropped. Any other path
 * is kept as a prefix (a reverse proxy routing "/llama/..." to the server). Query strings and
 * fragments have no meaning for a base URL and are refused.
 *
 * @returns "scheme://host[:port][/prefix]" without a trailing slash
 * @throws Error with a one-line reason when the URL is not an http(s) base URL
 */
export function normalizeBaseUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error(`invalid target URL: ${raw}`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`target must be http(s): ${raw}`);
  // The query is left out of the message: it may hold a key.
  if (u.search || u.hash) throw new Error(`target must be a base URL without ?query or #fragment: ${u.origin}${u.pathname}`);
  const path = u.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
  return u.origin + path;
}

/** Splits a normalized base URL into the connection origin and the path prefix. */
export function splitBaseUrl(base: string): { origin: string; prefix: string } {
  const u = new URL(base);
  return { origin: u.origin, prefix: u.pathname.replace(/\/+$/, "") };
}

/**
 * One undici pool per target URL, and for http: targets (unless `httpClient` is "undici") tokenbench's own
 * HTTP/1.1 client, which streams the measured requests. `connections` is sized to the most requests that can be
 * in flight, so the client never queues requests behind a hidden connection cap; undici
 * already sets TCP_NODELAY on every socket.
 */
export function openTargets(urls: string[], maxInFlight: number, timeoutMs: number, httpClient: HttpClientKind = "tokenbench"): Target[] {
  return urls.map((url) => {
    const { origin, prefix } = splitBaseUrl(url);
    const target: Target = { url, origin, prefix, inFlight: 0, connects: [], connectFailures: 0, connectionOptions: {}, pool: undefined as unknown as Pool };
    const connectTimeoutMs = Math.min(timeoutMs, 10_000);
    const connectionOptions = clientOptions(timeoutMs, timedConnector(target, connectTimeoutMs));
    target.connectionOptions = connectionOptions;
    target.pool = new Pool(origin, { ...connectionOptions, connections: Math.max(1, maxInFlight) });
    if (httpClient === "tokenbench" && origin.startsWith("http:")) {
      target.h1 = new H1Pool(origin, {
        connectTimeoutMs,
        onConnect: (atMs, ms) => void target.connects.push({ atMs, ms }),
        onConnectFailure: () => void target.connectFailures++,
      });
    }
    return target;
  });
}

/** undici's own connector, timed: each connection's set-up is recorded on the target (connect time, reported apart from TTFT). */
function timedConnector(target: Target, timeoutMs: number): buildConnector.connector {
  const base = buildConnector({ timeout: timeoutMs });
  return (opts, cb) => {
    const atMs = performance.now();
    base(opts, (err, socket) => {
      if (err) target.connectFailures++;
      else target.connects.push({ atMs, ms: performance.now() - atMs });
      (cb as (e: Error | null, s: unknown) => void)(err, socket);
    });
  };
}

function clientOptions(timeoutMs: number, connect: buildConnector.connector): Client.Options {
  return {
    pipelining: 1,
    keepAliveTimeout: 60_000,
    // Streams can legitimately idle between tokens (queueing at the server), so both bounds
    // follow the per-request timeout instead of undici's 300 s defaults.
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect,
  };
}

/** Most connections opened ahead per target (an open loop without a cap bounds in-flight by its request count alone). */
export const PRECONNECT_MAX = 4096;

/**
 * Opens up to `count` connections to each target before the measured phase, so no measured
 * request's TTFT includes TCP set-up: `count` GET requests for `path` (a cheap one: the models
 * list, else "/") are put in flight at once, which makes the pool dial one connection each; their
 * answers (404 is fine) are drained and the connections stay open (keep-alive). Failures are not
 * errors here: a target that cannot be reached fails the measured requests, which record why.
 * `headers` are the user's (-H, the API key): an authenticated server answers 401 without them
 * and may close or rate-limit the connection.
 */
export async function preconnect(targets: Target[], count: number, path: string | undefined, headers: Record<string, string> = {}): Promise<void> {
  const n = Math.min(Math.max(0, count), PRECONNECT_MAX);
  await Promise.all(
    targets.flatMap((t) =>
      Array.from({ length: n }, () =>
        t.h1
          ? new Promise<void>((done) =>
              t.h1!.dispatch({ method: "GET", path: t.prefix + (path ?? "/"), headers }, { onRequestStart() {}, onResponseStart() {}, onResponseData() {}, onResponseEnd: done, onResponseError: () => done() }),
            )
          : t.pool
              .request({ method: "GET", path: t.prefix + (path ?? "/"), headers })
              .then((r) => r.body.dump())
              .catch(() => undefined),
      ),
    ),
  );
}

export function createSelector(targets: Target[], strategy: BalanceStrategy): () => Target {
  let next = 0;
  if (strategy === "least-inflight") {
    return () => {
      // Ties go round-robin so equal targets share load evenly.
      let best = targets[next % targets.length];
      for (let i = 1; i < targets.length; i++) {
        const t = targets[(next + i) % targets.length];
        if (t.inFlight < best.inFlight) best = t;
      }
      next++;
      return best;
    };
  }
  return () => targets[next++ % targets.length];
}

export async function closeTargets(targets: Target[]): Promise<void> {
  await Promise.all(targets.flatMap((t) => [t.pool.destroy().catch(() => undefined), t.h1?.destroy()]));
}
