// tokenbench's HTTP/1.1 reader (src/client/h1.ts) against a raw TCP server that writes exact bytes: framing
// (chunked with extensions and trailers, Content-Length, until close), 1xx interim responses, keep-alive reuse and
// Connection: close, split reads, malformed responses and a server that closes an idle kept-alive connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import net, { type AddressInfo } from "node:net";
import { H1Pool, type H1Handler } from "../../src/client/h1.js";

interface Got {
  status?: number;
  headers?: Record<string, string>;
  body: string;
  reads: number;
  error?: string;
  code?: string;
  reused?: boolean;
}

/** A server that answers every request on a connection with `answer(requestNumberOnConnection)` pieces, `gapMs` apart. */
async function rawServer(answer: (n: number, conn: number) => string[], gapMs = 0) {
  let conns = 0;
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.setNoDelay(true);
    const conn = conns++;
    let n = 0;
    let buf = "";
    s.on("data", async (d) => {
      buf += d.toString("latin1");
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        requests.push(Buffer.from(buf.slice(0, end + 4 + len), "latin1").toString("utf8"));
        buf = buf.slice(end + 4 + len);
        for (const piece of answer(n++, conn)) {
          if (piece === "<close>") {
            s.end();
            return;
          }
          s.write(Buffer.from(piece, "latin1"));
          if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
        }
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    origin: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    requests,
    connections: () => conns,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); srv.close(() => r()); }),
  };
}

function fetchVia(pool: H1Pool, path = "/x", body?: string): Promise<Got> {
  return new Promise((resolve) => {
    const got: Got = { body: "", reads: 0 };
    const h: H1Handler = {
      onRequestStart: (_c, reused) => void (got.reused = reused),
      onResponseStart: (status, headers) => void ((got.status = status), (got.headers = headers)),
      onResponseData: (chunk) => void ((got.body += chunk.toString("utf8")), got.reads++),
      onResponseEnd: () => resolve(got),
      onResponseError: (e) => resolve({ ...got, error: e.message, code: (e as { code?: string }).code }),
    };
    pool.dispatch({ method: body ? "POST" : "GET", path, headers: { "content-type": "application/json" }, body }, h);
  });
}

const CHUNKED = ["HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n", "f;ext=1\r\ndata: {\"a\":1}\n\n\r\n", "e\r\ndata: [DONE]\n\n\r\n", "0\r\nx-trailer: 1\r\n\r\n"];

test("chunked: de-chunked body, chunk extensions and trailers skipped, whether the bytes come together or one at a time", async () => {
  const whole = await rawServer(() => [CHUNKED.join("")]);
  const split = await rawServer(() => [...CHUNKED.join("")], 2);
  const pools = [new H1Pool(whole.origin, { connectTimeoutMs: 5000 }), new H1Pool(split.origin, { connectTimeoutMs: 5000 })];
  try {
    for (const pool of pools) {
      const got = await fetchVia(pool, "/v1/x", '{"q":"é"}');
      assert.equal(got.error, undefined);
      assert.equal(got.status, 200);
      assert.equal(got.headers!["content-type"], "text/event-stream");
      assert.equal(got.body, 'data: {"a":1}\n\ndata: [DONE]\n\n');
    }
    // The request went out whole: method, path, host and the body's byte length (é is two bytes).
    assert.match(whole.requests[0], /^POST \/v1\/x HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\ncontent-type: application\/json\r\ncontent-length: 10\r\n\r\n\{"q":"é"\}$/);
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
    await whole.close();
    await split.close();
  }
});

test("keep-alive: the next request reuses the connection; Connection: close and an unframed body do not", async () => {
  const ka = await rawServer(() => ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"]);
  const closing = await rawServer(() => ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"]);
  const unframed = await rawServer(() => ["HTTP/1.1 200 OK\r\n\r\nuntil ", "close", "<close>"], 5);
  const pools = [ka, closing, unframed].map((s) => new H1Pool(s.origin, { connectTimeoutMs: 5000 }));
  try {
    for (const [i, pool] of pools.entries()) {
      const a = await fetchVia(pool);
      const b = await fetchVia(pool);
      assert.equal(a.error, undefined);
      assert.equal(b.error, undefined);
      assert.equal(a.body, ["hello", "hi", "until close"][i]);
      assert.equal(b.body, a.body);
      assert.equal(a.reused, false);
      assert.equal(b.reused, i === 0, `server ${i}: second request reused the connection`);
    }
    assert.deepEqual([ka.connections(), closing.connections(), unframed.connections()], [1, 2, 2]);
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
    await Promise.all([ka, closing, unframed].map((s) => s.close()));
  }
});

test("a 100 Continue before the response is skipped; a non-2xx status and its body come through", async () => {
  const srv = await rawServer((n) => (n === 0 ? ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"] : ["HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy"]));
  const pool = new H1Pool(srv.origin, { connectTimeoutMs: 5000 });
  try {
    assert.deepEqual([(await fetchVia(pool)).status, (await fetchVia(pool)).body], [200, "busy"]);
  } finally {
    await pool.destroy();
    await srv.close();
  }
});

test("malformed or cut responses fail the request with a code; refused connects are counted", async () => {
  const garbage = await rawServer(() => ["SSH-2.0-OpenSSH\r\n\r\n"]);
  const cut = await rawServer(() => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "<close>"]);
  const badChunk = await rawServer(() => ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"]);
  let failures = 0;
  const refusedPort = await new Promise<number>((r) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => r(p));
    });
  });
  const pools = [garbage.origin, cut.origin, badChunk.origin, `http://127.0.0.1:${refusedPort}`].map((o) => new H1Pool(o, { connectTimeoutMs: 5000, onConnectFailure: () => void failures++ }));
  try {
    const got = await Promise.all(pools.map((p) => fetchVia(p)));
    assert.deepEqual(got.map((g) => g.code), ["EHTTPPARSE", "ECONNCLOSED", "EHTTPPARSE", "ECONNREFUSED"]);
    assert.equal(got[1].body, "ab", "what came before the cut was delivered");
    assert.equal(failures, 1);
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
    await Promise.all([garbage, cut, badChunk].map((s) => s.close()));
  }
});

test("an idle kept-alive connection the server closed is not handed out again", async () => {
  const srv = await rawServer((n) => ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", ...(n === 0 ? ["<close>"] : [])]);
  const pool = new H1Pool(srv.origin, { connectTimeoutMs: 5000 });
  try {
    assert.equal((await fetchVia(pool)).body, "x");
    // The server's FIN arrives and the pool drops the connection (bounded: a loaded machine may take a while).
    for (let i = 0; i < 500 && pool.idleConnections > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(pool.idleConnections, 0, "the closed connection left the idle list");
    const b = await fetchVia(pool);
    assert.equal(b.error, undefined);
    assert.equal(b.reused, false);
    assert.equal(srv.connections(), 2);
  } finally {
    await pool.destroy();
    await srv.close();
  }
});
