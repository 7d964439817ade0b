import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildWorkload } from "../../src/workload/index.js";
import { loadTokenizer, type Tokenizer } from "../../src/workload/tokenizer.js";

let dir: string;
let tok: Tokenizer;
const file = async (name: string, text: string) => {
  const p = path.join(dir, name);
  await writeFile(p, text);
  return p;
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tb-wl-"));
  tok = await loadTokenizer();
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("synthetic: exact input lengths, sampled output lengths, stable indexes and seed", async () => {
  const spec = { kind: "synthetic", input: { kind: "uniform", min: 16, max: 256 }, output: { kind: "uniform", min: 4, max: 64 }, sharedPrefixTokens: 8 } as const;
  const items = await buildWorkload(spec, { count: 50, seed: 11, tokenizer: tok });
  assert.equal(items.length, 50);
  items.forEach((it, i) => {
    assert.equal(it.index, i);
    assert.equal(tok.count(it.prompt), it.inputTokens);
    assert.ok(it.inputTokens >= 16 && it.inputTokens <= 256);
    assert.ok(it.outputTokens >= 4 && it.outputTokens <= 64);
  });
  assert.ok(new Set(items.map((i) => i.outputTokens)).size > 10, "output lengths vary");
  assert.deepEqual(await buildWorkload(spec, { count: 50, seed: 11, tokenizer: tok }), items);
  assert.deepEqual(await buildWorkload(spec, { count: 0, seed: 11, tokenizer: tok }), []);
});

test("JSONL dataset: shuffled by seed, cycled past its size, default output length filled in", async () => {
  const lines = Array.from({ length: 7 }, (_, i) => JSON.stringify(i % 2 === 0 ? { prompt: `Prompt number ${i}`, output_tokens: 10 + i } : { prompt: `Prompt number ${i}` }));
  const p = await file("d.jsonl", lines.join("\n"));
  const spec = { kind: "dataset", format: "jsonl", path: p, defaultOutputTokens: 99 } as const;
  const items = await buildWorkload(spec, { count: 16, seed: 1, tokenizer: tok });
  assert.equal(items.length, 16);
  const firstRound = items.slice(0, 7).map((i) => i.prompt);
  assert.deepEqual([...firstRound].sort(), Array.from({ length: 7 }, (_, i) => `Prompt number ${i}`).sort(), "each entry once per round");
  assert.notDeepEqual(firstRound, Array.from({ length: 7 }, (_, i) => `Prompt number ${i}`), "shuffled");
  assert.deepEqual(items.slice(7, 14).map((i) => i.prompt), firstRound, "second round repeats the order");
  for (const it of items) {
    const n = Number(it.prompt.split(" ").pop());
    assert.equal(it.outputTokens, n % 2 === 0 ? 10 + n : 99);
    assert.equal(it.inputTokens, tok.count(it.prompt));
  }
  items.forEach((it, i) => assert.equal(it.index, i));
  assert.deepEqual(await buildWorkload(spec, { count: 16, seed: 1, tokenizer: tok }), items);
  const other = await buildWorkload(spec, { count: 7, seed: 2, tokenizer: tok });
  assert.notDeepEqual(other.map((i) => i.prompt), firstRound);
});

test("JSONL dataset without an output length and no default fails naming the line", async () => {
  const p = await file("noout.jsonl", '{"prompt": "a", "output_tokens": 3}\n{"prompt": "b"}\n');
  await assert.rejects(
    buildWorkload({ kind: "dataset", format: "jsonl", path: p }, { count: 4, seed: 1, tokenizer: tok }),
    /noout\.jsonl:2: no output length in the entry and no default output length given$/,
  );
});

test("ShareGPT dataset: output length is the tokenized gpt answer; skips are reported", async () => {
  const data = [
    { conversations: [{ from: "human", value: "Name three colors." }, { from: "gpt", value: "Red, green and blue." }] },
    { conversations: [{ from: "gpt", value: "orphan" }] },
    { conversations: [{ from: "human", value: "Say hi." }, { from: "gpt", value: "Hi!" }] },
  ];
  const p = await file("sg.json", JSON.stringify(data));
  const notes: string[] = [];
  const items = await buildWorkload({ kind: "dataset", format: "sharegpt", path: p }, { count: 4, seed: 3, tokenizer: tok, log: (l) => notes.push(l) });
  assert.equal(items.length, 4);
  const byPrompt = new Map(items.map((i) => [i.prompt, i]));
  assert.deepEqual([...byPrompt.keys()].sort(), ["Name three colors.", "Say hi."]);
  assert.equal(byPrompt.get("Name three colors.")!.outputTokens, tok.count("Red, green and blue."));
  assert.equal(byPrompt.get("Say hi.")!.outputTokens, tok.count("Hi!"));
  assert.equal(byPrompt.get("Say hi.")!.inputTokens, tok.count("Say hi."));
  assert.equal(notes.length, 1);
  assert.match(notes[0], /sg\.json: 1 of 3 conversations skipped/);
  // A default output length does not override the reference answers, and the run says so.
  const notes2: string[] = [];
  const again = await buildWorkload({ kind: "dataset", format: "sharegpt", path: p, defaultOutputTokens: 500 }, { count: 4, seed: 3, tokenizer: tok, log: (l) => notes2.push(l) });
  assert.deepEqual(again, items);
  assert.ok(notes2.some((l) => /the default output length \(500\) is not used/.test(l)), notes2.join(" | "));
});

test("bad workload specs fail clearly", async () => {
  await assert.rejects(buildWorkload({ kind: "dataset", format: "csv" as never, path: "x" }, { count: 1, seed: 1, tokenizer: tok }), /unknown dataset format "csv"/);
  await assert.rejects(buildWorkload({ kind: "weird" } as never, { count: 1, seed: 1, tokenizer: tok }), /unknown workload kind "weird"/);
  await assert.rejects(
    buildWorkload({ kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 0 } }, { count: 1, seed: 1, tokenizer: tok }),
    /output length: value must be an integer >= 1/,
  );
  await assert.rejects(buildWorkload({ kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 8 } }, { count: -1, seed: 1, tokenizer: tok }), /count/);
});
