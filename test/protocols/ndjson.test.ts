import { test } from "node:test";
import assert from "node:assert/strict";
import { createLineSplitter } from "../../src/protocols/ndjson.js";

function split(pieces: string[]): string[] {
  const s = createLineSplitter();
  return [...pieces.flatMap((p) => s.feed(p)), ...s.end()];
}

test("lines split at any position, CRLF and blank lines tolerated, last line flushed by end()", () => {
  const text = '{"a":1}\r\n\n{"b":"é"}\n   \n{"c":3}';
  const expected = ['{"a":1}', '{"b":"é"}', '{"c":3}'];
  assert.deepEqual(split([text]), expected);
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j += 3) {
      assert.deepEqual(split([text.slice(0, i), text.slice(i, j), text.slice(j)]), expected, `cuts ${i},${j}`);
    }
  }
});

test("nothing is returned before a newline arrives", () => {
  const s = createLineSplitter();
  assert.deepEqual(s.feed('{"partial":'), []);
  assert.deepEqual(s.feed("1}"), []);
  assert.deepEqual(s.feed("\n"), ['{"partial":1}']);
  assert.deepEqual(s.end(), []);
});
