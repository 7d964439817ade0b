import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, writeFileSync, writeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSseDecoder } from "../../src/protocols/sse.js";
import { createLineSplitter } from "../../src/protocols/ndjson.js";
import { MAX_JSONL_LINE_BYTES, readJsonl } from "../../src/workload/dataset.js";
import { CLI } from "./harness.js";

// Oversized input: stream lines of many MiB are decoded exactly (the decoders are linear; the
// figure is in bench/protocol-parse.ts), and a dataset line beyond the limit is one clear error.

const MiB = 1024 * 1024;

function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

test("SSE: a 12 MiB data line in 64 KiB reads, CRLF split across reads, decodes exactly", () => {
  const big = "ab€".repeat((12 * MiB) / 3);
  // Read size 65535 puts a CR at the very end of one read and its LF at the start of the next.
  const stream = `event: x\r\ndata: ${big}\r\n\r\ndata: small\r\n\r\n`;
  const cut = stream.indexOf("\r\n\r\ndata: small") + 1;
  const reads = [...pieces(stream.slice(0, cut), 65536), ...pieces(stream.slice(cut), 65535)];
  const d = createSseDecoder();
  const events = [...reads.flatMap((r) => d.feed(r)), ...d.end()];
  assert.equal(events.length, 2);
  assert.equal(events[0].event, "x");
  assert.equal(events[0].data.length, big.length);
  assert.ok(events[0].data === big);
  assert.deepEqual(events[1], { event: "message", data: "small" });
});

test("SSE: a line that ends with a CR at the end of a read still pairs with the next read's LF", () => {
  const d = createSseDecoder();
  const out = [...d.feed("data: a\r"), ...d.feed("\n\r"), ...d.feed("\ndata: b\n"), ...d.feed("\n"), ...d.end()];
  assert.deepEqual(out, [{ event: "message", data: "a" }, { event: "message", data: "b" }]);
});

test("NDJSON: a 12 MiB line in 64 KiB reads is split exactly", () => {
  const big = JSON.stringify({ response: "é".repeat(6 * MiB), done: false });
  const s = createLineSplitter();
  const lines = [...pieces(`${big}\r\n{"done":true}`, 65536).flatMap((r) => s.feed(r)), ...s.end()];
  assert.equal(lines.length, 2);
  assert.ok(lines[0] === big);
  assert.equal(lines[1], '{"done":true}');
});

test("JSONL dataset: a line over the limit is one error naming the line; lines under it are read", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-ds-"));
  const f = join(dir, "d.jsonl");
  writeFileSync(f, `{"prompt":"short"}\r\n{"prompt":"${"y".repeat(5000)}"}\n{"prompt":"third"}`);
  await assert.rejects(readJsonl(f, { maxLineBytes: 4096 }), /d\.jsonl:2: line longer than 0\.00390625 MiB/);
  const ok = await readJsonl(f, { maxLineBytes: 8192 });
  assert.deepEqual(ok.entries.map((e) => e.prompt.length), [5, 5000, 5]);
});

test("tokenbench run with a dataset line beyond the limit: exit 2, one line, no stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-rel-ds-"));
  const f = join(dir, "huge.jsonl");
  const fd = openSync(f, "w");
  writeSync(fd, '{"prompt":"fine"}\n{"prompt":"');
  const block = Buffer.alloc(4 * MiB, "z");
  for (let n = 0; n <= MAX_JSONL_LINE_BYTES; n += block.length) writeSync(fd, block);
  writeSync(fd, '"}\n');
  closeSync(fd);
  try {
    const r = spawnSync(process.execPath, [...CLI, "run", "--target", "http://127.0.0.1:9", "--dataset", f, "--no-store"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /^tokenbench: error: .*huge\.jsonl:2: line longer than 64 MiB \(the limit for one dataset line\)\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
