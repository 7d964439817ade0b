import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readJsonl, readShareGpt } from "../../src/workload/dataset.js";
import { jsonArrayElements } from "../../src/workload/jsonArrayStream.js";

let dir: string;
const file = async (name: string, text: string) => {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
};
const oneLine = (err: Error) => !err.message.includes("\n");

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tb-ds-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("JSONL: prompts, output-length aliases, blank lines and CRLF", async () => {
  const p = await file(
    "a.jsonl",
    [
      '{"prompt": "one", "output_tokens": 5}',
      "",
      '{"prompt": "two", "output_len": 6, "extra": true}',
      '{"prompt": "three", "max_tokens": 7}\r',
      '{"prompt": "four"}',
      '{"prompt": "five", "output_tokens": null}',
      "   ",
    ].join("\n"),
  );
  const { entries, skipped } = await readJsonl(p);
  assert.equal(skipped, 0);
  assert.deepEqual(
    entries.map((e) => [e.prompt, e.outputTokens, e.line]),
    [
      ["one", 5, 1],
      ["two", 6, 3],
      ["three", 7, 4],
      ["four", undefined, 5],
      ["five", undefined, 6],
    ],
  );
});

test("JSONL: bad files fail with file and line number", async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"prompt": "ok"}\n{"prompt": "x", \n', /bad1\.jsonl:2: invalid JSON: /],
    ['{"prompt": "ok"}\n\n[1,2]\n', /bad2\.jsonl:3: expected a JSON object per line$/],
    ['{"text": "no prompt"}\n', /bad3\.jsonl:1: "prompt" must be a non-empty string$/],
    ['{"prompt": ""}\n', /bad4\.jsonl:1: "prompt" must be a non-empty string$/],
    ['{"prompt": "a"}\n{"prompt": "b", "output_tokens": 0}\n', /bad5\.jsonl:2: "output_tokens" must be an integer >= 1, got 0$/],
    ['{"prompt": "a", "max_tokens": "12"}\n', /bad6\.jsonl:1: "max_tokens" must be an integer >= 1, got "12"$/],
    ["\n\n", /bad7\.jsonl: dataset has no prompts$/],
  ];
  let i = 0;
  for (const [text, re] of cases) {
    const p = await file(`bad${++i}.jsonl`, text);
    await assert.rejects(readJsonl(p), (err: Error) => re.test(err.message) && oneLine(err));
  }
  await assert.rejects(readJsonl(path.join(dir, "missing.jsonl")), /^Error: dataset file not found or unreadable: .*missing\.jsonl$/);
  await assert.rejects(readJsonl(dir), /^Error: dataset path is not a file: /);
});

const conv = (...turns: Array<[string, string]>) => ({ conversations: turns.map(([from, value]) => ({ from, value })) });

test("ShareGPT: first human turn and the model turn after it; others skipped and counted", async () => {
  const data = [
    conv(["human", "What is 2+2?"], ["gpt", "Four."], ["human", "And 3+3?"], ["gpt", "Six."]),
    conv(["system", "Be brief."], ["user", "Hi"], ["assistant", "Hello!"]),
    conv(["gpt", "I speak first"]), // no human turn
    conv(["human", "Only a question"]), // nothing after it
    conv(["human", "q"], ["human", "q again"]), // next turn is not the model's
    conv(["human", ""], ["gpt", "empty prompt"]),
    { id: "no-conversations" },
    "not an object",
    conv(["human", "Emoji ✓ é"], ["chatgpt", "Réponse"]),
  ];
  const p = await file("sg.json", JSON.stringify(data, null, 2));
  const { entries, skipped } = await readShareGpt(p);
  assert.equal(skipped, 6);
  assert.deepEqual(
    entries.map((e) => [e.prompt, e.completion]),
    [
      ["What is 2+2?", "Four."],
      ["Hi", "Hello!"],
      ["Emoji ✓ é", "Réponse"],
    ],
  );
  assert.equal(entries[0].line, 2, "line of the element's opening brace");
});

test("ShareGPT: bad files fail with file and line number", async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"conversations": []}', /sg1\.json:1: expected a JSON array \("\["\) at the top level, found "\{"$/],
    ['[\n  {"conversations": []},\n  {"conversations": [}\n]', /sg2\.json:3: invalid JSON in array element: /],
    ['[\n {"a": 1}\n] x', /sg3\.json:3: unexpected "x" after the end of the top-level array$/],
    ['[\n {"a": 1}\n {"b": 2}\n]', /sg4\.json:3: expected "," or "\]" between array elements, found "\{"$/],
    ['[\n {"a": 1},\n]', /sg5\.json:3: trailing comma before \]$/],
    ['[\n {"a": 1},\n {"b": ', /sg6\.json:3: unexpected end of file inside the top-level array$/],
    ["", /sg7\.json:1: empty file, expected a JSON array$/],
    [JSON.stringify([conv(["gpt", "x"])]), /sg8\.json: no usable conversations \(need a human turn followed by a gpt turn; 1 skipped\)$/],
  ];
  let i = 0;
  for (const [text, re] of cases) {
    const p = await file(`sg${++i}.json`, text);
    await assert.rejects(readShareGpt(p), (err: Error) => re.test(err.message) && oneLine(err));
  }
  await assert.rejects(readShareGpt(path.join(dir, "missing.json")), /dataset file not found or unreadable: .*missing\.json$/);
});

test("JSON array streaming: elements spanning 1 MiB read chunks, strings with brackets, escapes and multibyte text", async () => {
  // Each element ~70 KB so dozens of chunk boundaries fall inside elements and strings.
  const big = "x".repeat(70_000);
  const elements: unknown[] = [];
  for (let i = 0; i < 60; i++) {
    elements.push({ i, text: `${big.slice(0, 50_000 + i)} ] } [ { \\" ✓é ${"é".repeat(i)}"`, nested: [[{ a: [i] }]] });
  }
  elements.push(42, "plain ] string", null, [1, [2]], { last: true });
  const p = await file("big.json", `\uFEFF[\n${elements.map((e) => JSON.stringify(e)).join(",\n")}\n]\n`);
  const got: unknown[] = [];
  const lines: number[] = [];
  for await (const { value, line } of jsonArrayElements(p)) {
    got.push(value);
    lines.push(line);
  }
  assert.deepEqual(got, elements);
  assert.deepEqual(lines, elements.map((_, i) => i + 2));
  // An escape or a closing quote right at the 1 MiB read boundary (ASCII, so chars = bytes).
  const CHUNK = 1 << 20;
  for (const at of [CHUNK - 2, CHUNK - 1, CHUNK, CHUNK + 1]) {
    const head = '[{"a": "';
    const value = `${"x".repeat(at - head.length)}\\"y\\\\`;
    const text = `${head}${value}"}, {"b": [1]}]`;
    assert.equal(text.indexOf("\\"), at);
    const p2 = await file(`edge-${at}.json`, text);
    const out: unknown[] = [];
    for await (const { value: v } of jsonArrayElements(p2)) out.push(v);
    assert.deepEqual(out, JSON.parse(text), `backslash at ${at}`);
  }
  const empty = await file("empty-array.json", " [ ] ");
  const none: unknown[] = [];
  for await (const e of jsonArrayElements(empty)) none.push(e);
  assert.deepEqual(none, []);
});
