// A minimal HTTP/1.1 client for the measured hot path: plain-http streamed responses.
//
// Why not undici here: per token event it costs about 22 us of client CPU on the project's 2-core machine where a
// socket read alone costs 14 us (.exp-style A/B in docs/client-capacity.md, "A raw HTTP/1.1 reader"), and it defers a
// reused connection's write to setImmediate. The token timestamp is taken where the bytes come off the socket:
// `net`'s `onread` hands every read to one callback with a reused buffer, no Readable stream, no per-chunk Buffer,
// no wasm parser in between. Everything else (https, the models probe, preconnect of https targets) stays on undici.
//
// Scope (what a streamed LLM response needs): one request per connection at a time (no pipelining), responses framed
// by `Transfer-Encoding: chunked`, `Content-Length` or the connection's close; 1xx interim responses skipped;
// `Connection: close` honoured; idle connections kept for reuse and closed after KEEP_ALIVE_MS.
import net from "node:net";
import { performance } from "node:perf_hooks";

/** How a dispatched request reports back. Every call is synchronous from the socket's read. */
export interface H1Handler {
  /** Just before the request's bytes are written (after any connect): the send time. `reused`: on a kept-alive connection. */
  onRequestStart(controller: H1Controller, reused: boolean): void;
  onResponseStart(statusCode: number, headers: Record<string, string>): void;
  /** Body bytes (de-chunked). Valid only during the call: the buffer is reused for the next read. */
  onResponseData(chunk: Buffer): void;
  onResponseEnd(): void;
  /** At most once, instead of onResponseEnd. `e.code`: a socket error code (ECONNREFUSED, ECONNRESET...),
   *  ECONNCLOSED (the server closed the connection), ECONNTIMEOUT (connect timeout) or EHTTPPARSE (malformed response). */
  onResponseError(e: Error): void;
}

export interface H1Controller {
  abort(reason: Error): void;
}

export interface H1Request {
  method: string;
  /** Path with query. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface H1PoolOptions {
  connectTimeoutMs: number;
  /** Each connection opened: when the connect began (performance.now() ms) and how long it took. */
  onConnect?(atMs: number, ms: number): void;
  onConnectFailure?(): void;
}

const KEEP_ALIVE_MS = 60_000;
const MAX_HEAD_BYTES = 64 * 1024;

/** One buffer for every socket's reads: each read is consumed synchronously before the next can happen. */
const readBuffer = Buffer.allocUnsafe(64 * 1024);

function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const enum Framing {
  Chunked,
  Length,
  UntilClose,
}
const enum Chunk {
  Size,
  Data,
  DataEnd,
  Trailers,
}

class Connection {
  readonly socket: net.Socket;
  uses = 0;
  private handler: H1Handler | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  // response state
  private head = "";
  private inBody = false;
  private framing = Framing.UntilClose;
  private remaining = 0;
  private chunk = Chunk.Size;
  private line = "";
  private keepAlive = true;

  constructor(
    private readonly pool: H1Pool,
    host: string,
    port: number,
  ) {
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: readBuffer,
        callback: (n) => {
          this.onRead(readBuffer, n);
          return true;
        },
      },
    });
    this.socket.on("error", (e) => this.fail(e));
    this.socket.on("close", () => this.fail(codedError("the server closed the connection", "ECONNCLOSED")));
    this.socket.on("end", () => {
      if (this.handler && this.inBody && this.framing === Framing.UntilClose) this.finish(false);
      this.socket.end();
    });
  }

  send(req: H1Request, handler: H1Handler, hostHeader: string): void {
    clearTimeout(this.idleTimer);
    this.handler = handler;
    this.head = "";
    this.inBody = false;
    this.keepAlive = true;
    this.line = "";
    this.chunk = Chunk.Size;
    const reused = this.uses++ > 0;
    handler.onRequestStart({ abort: (reason) => this.abort(reason) }, reused);
    if (this.handler !== handler) return; // aborted in onRequestStart
    let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${hostHeader}\r\n`;
    for (const k in req.headers) {
      const lk = k.toLowerCase();
      if (lk !== "host" && lk !== "content-length") head += `${k}: ${req.headers[k]}\r\n`;
    }
    if (req.body !== undefined) head += `content-length: ${Buffer.byteLength(req.body)}\r\n`;
    this.socket.write(req.body !== undefined ? head + "\r\n" + req.body : head + "\r\n");
  }

  private abort(reason: Error): void {
    const h = this.handler;
    if (!h) return;
    this.handler = undefined;
    this.socket.destroy();
    h.onResponseError(reason);
  }

  /** A socket error or close: the request in flight (if any) fails; the connection is gone. */
  private fail(e: Error): void {
    this.pool.forget(this);
    clearTimeout(this.idleTimer);
    const h = this.handler;
    if (!h) return;
    this.handler = undefined;
    this.socket.destroy();
    h.onResponseError(e);
  }

  private finish(reusable: boolean): void {
    const h = this.handler!;
    this.handler = undefined;
    if (reusable && this.keepAlive) {
      this.idleTimer = setTimeout(() => this.socket.destroy(), KEEP_ALIVE_MS).unref();
      this.pool.release(this);
    } else {
      this.pool.forget(this);
      this.socket.destroy();
    }
    h.onResponseEnd();
  }

  private protocolError(message: string): void {
    this.fail(codedError(`malformed HTTP response: ${message}`, "EHTTPPARSE"));
  }

  private onRead(buf: Buffer, n: number): void {
    if (!this.handler) return; // bytes on an idle connection: it is closed when the server ends it
    let at = 0;
    if (!this.inBody) {
      // Headers are ASCII (latin1 keeps one char per byte, so offsets carry over to the buffer).
      // The offset in `buf` of head[0] (negative: part of the head came in earlier reads).
      let base = -this.head.length;
      this.head += buf.toString("latin1", 0, n);
      for (;;) {
        const end = this.head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (this.head.length > MAX_HEAD_BYTES) return this.protocolError("headers over 64 KiB");
          return;
        }
        if (!this.startResponse(this.head.slice(0, end))) return;
        if (this.inBody) {
          at = base + end + 4;
          break;
        }
        // a 1xx interim response: the real one follows
        this.head = this.head.slice(end + 4);
        base += end + 4;
      }
    }
    this.body(buf, at, n);
  }

  /** Parses a response head; false when it failed the request. */
  private startResponse(head: string): boolean {
    const lines = head.split("\r\n");
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
    if (!m) {
      this.protocolError(`status line ${JSON.stringify(lines[0].slice(0, 60))}`);
      return false;
    }
    const status = Number(m[1]);
    if (status >= 100 && status < 200) return true;
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(":");
      if (c <= 0) continue;
      const k = lines[i].slice(0, c).trim().toLowerCase();
      const v = lines[i].slice(c + 1).trim();
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
    if (/\bclose\b/i.test(headers.connection ?? "") || lines[0].startsWith("HTTP/1.0")) this.keepAlive = false;
    if (/\bchunked\b/i.test(headers["transfer-encoding"] ?? "")) this.framing = Framing.Chunked;
    else if (headers["content-length"] !== undefined) {
      this.framing = Framing.Length;
      this.remaining = Number(headers["content-length"]);
      if (!Number.isSafeInteger(this.remaining) || this.remaining < 0) {
        this.protocolError(`content-length ${headers["content-length"]}`);
        return false;
      }
    } else {
      this.framing = Framing.UntilClose;
      this.keepAlive = false;
    }
    this.inBody = true;
    this.head = "";
    const h = this.handler!;
    h.onResponseStart(status, headers);
    if (this.handler !== h) return false; // aborted by the handler
    if (this.framing === Framing.Length && this.remaining === 0) {
      this.finish(true);
      return false;
    }
    return true;
  }

  private body(buf: Buffer, at: number, n: number): void {
    const h = this.handler;
    if (!h) return;
    if (this.framing === Framing.UntilClose) {
      if (at < n) h.onResponseData(buf.subarray(at, n));
      return;
    }
    if (this.framing === Framing.Length) {
      const take = Math.min(this.remaining, n - at);
      this.remaining -= take;
      if (take > 0) h.onResponseData(buf.subarray(at, at + take));
      if (this.remaining === 0 && this.handler === h) this.finish(at + take === n);
      return;
    }
    while (at < n && this.handler === h) {
      switch (this.chunk) {
        case Chunk.Size:
        case Chunk.Trailers:
        case Chunk.DataEnd: {
          const nl = buf.indexOf(10, at);
          if (nl < 0 || nl >= n) {
            this.line += buf.toString("latin1", at, n);
            if (this.line.length > 4096) return this.protocolError("chunk line over 4 KiB");
            return;
          }
          const line = (this.line + buf.toString("latin1", at, nl)).replace(/\r$/, "");
          this.line = "";
          at = nl + 1;
          if (this.chunk === Chunk.DataEnd) {
            if (line !== "") return this.protocolError("chunk data not followed by CRLF");
            this.chunk = Chunk.Size;
          } else if (this.chunk === Chunk.Trailers) {
            if (line === "") return this.finish(at === n);
          } else {
            const size = parseInt(line, 16); // chunk extensions after ';' are ignored
            if (!/^[0-9a-fA-F]+/.test(line) || !Number.isSafeInteger(size)) return this.protocolError(`chunk size ${JSON.stringify(line.slice(0, 20))}`);
            if (size === 0) this.chunk = Chunk.Trailers;
            else {
              this.remaining = size;
              this.chunk = Chunk.Data;
            }
          }
          break;
        }
        case Chunk.Data: {
          const take = Math.min(this.remaining, n - at);
          this.remaining -= take;
          h.onResponseData(buf.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.chunk = Chunk.DataEnd;
          break;
        }
      }
    }
  }
}

/**
 * Connections to one http origin, one request at a time each, as many as requests in flight (the caller sizes the
 * load; there is no hidden cap). Idle connections are reused, most recently used first.
 */
export class H1Pool {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private closed = false;

  /** @param origin "http://host[:port]" */
  constructor(
    origin: string,
    private readonly opts: H1PoolOptions,
  ) {
    const u = new URL(origin);
    if (u.protocol !== "http:") throw new Error(`H1Pool is for http: origins, not ${u.protocol}`);
    this.host = u.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
  }

  /** Sends `req` on an idle connection or a new one (`fresh`: always a new one, not kept afterwards for others). */
  dispatch(req: H1Request, handler: H1Handler, fresh = false): void {
    if (this.closed) return handler.onResponseError(codedError("client closed", "ECONNCLOSED"));
    const idle = fresh ? undefined : this.idle.pop();
    if (idle) return idle.send(req, handler, this.hostHeader);
    const atMs = performance.now();
    const conn = new Connection(this, this.host, this.port);
    this.all.add(conn);
    let pending: H1Handler | undefined = handler;
    const timer = setTimeout(() => {
      conn.socket.destroy(codedError(`connect timeout after ${this.opts.connectTimeoutMs} ms`, "ECONNTIMEOUT"));
    }, this.opts.connectTimeoutMs);
    // Until connected, an abort or failure is the handler's alone (Connection.send has not run).
    const early = (e: Error) => {
      clearTimeout(timer);
      if (!pending) return;
      const h = pending;
      pending = undefined;
      this.forget(conn);
      this.opts.onConnectFailure?.();
      h.onResponseError(e);
    };
    conn.socket.once("error", early);
    conn.socket.once("connect", () => {
      clearTimeout(timer);
      conn.socket.off("error", early);
      this.opts.onConnect?.(atMs, performance.now() - atMs);
      const h = pending!;
      pending = undefined;
      conn.send(req, h, this.hostHeader);
    });
  }

  /** Connections open and waiting for a request. */
  get idleConnections(): number {
    return this.idle.length;
  }

  /** A connection done with its response and reusable. */
  release(conn: Connection): void {
    if (this.closed) return void conn.socket.destroy();
    this.idle.push(conn);
  }

  forget(conn: Connection): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes every connection; requests in flight fail with ECONNCLOSED. */
  async destroy(): Promise<void> {
    this.closed = true;
    for (const c of [...this.all]) c.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
