import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getLlama, readGgufFileInfo } from "node-llama-cpp";
import { float32ToFloat16Bits, normalTableF32 } from "../../src/engine/gguf/random.js";
import { PRESETS } from "../../src/engine/gguf/presets.js";
import { VOCAB_SIZE } from "../../src/engine/gguf/vocab.js";
import { ensurePresetModel, generatePresetModel, presetCachePath } from "../../src/engine/models.js";
import { useTempHome } from "./helpers.js";

const sha = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

describe("generated GGUF models", () => {
  let env: ReturnType<typeof useTempHome>;
  let tiny: string;
  before(async () => {
    env = useTempHome();
    tiny = await ensurePresetModel("tiny");
  });
  after(() => env.cleanup());

  test("llama.cpp's own GGUF reader sees the llama architecture, shapes and byte vocabulary", async () => {
    const info = await readGgufFileInfo(tiny, { readTensorInfo: true });
    assert.equal(info.version, 3);
    const md = info.metadata as any;
    const s = PRESETS.tiny;
    assert.equal(md.general.architecture, "llama");
    assert.equal(md.llama.embedding_length, s.embedding);
    assert.equal(md.llama.block_count, s.layers);
    assert.equal(md.llama.attention.head_count, s.heads);
    assert.equal(md.llama.attention.head_count_kv, s.kvHeads);
    assert.equal(md.llama.rope.dimension_count, s.embedding / s.heads);
    assert.equal(md.tokenizer.ggml.model, "llama");
    assert.equal(md.tokenizer.ggml.tokens.length, VOCAB_SIZE);
    assert.equal(md.tokenizer.ggml.tokens[3], "<0x00>");
    assert.equal(md.tokenizer.ggml.token_type[3 + 255], 6);
    const names = info.tensorInfo!.map((t) => t.name);
    assert.equal(names.length, 3 + 9 * s.layers);
    const k = info.tensorInfo!.find((t) => t.name === "blk.0.attn_k.weight")!;
    assert.deepEqual(k.dimensions.map(Number), [s.embedding, (s.embedding / s.heads) * s.kvHeads]);
    const out = info.tensorInfo!.find((t) => t.name === "output.weight")!;
    assert.deepEqual(out.dimensions.map(Number), [s.embedding, VOCAB_SIZE]);
    for (const t of info.tensorInfo!) assert.equal(Number(t.offset) % 32, 0, `${t.name} aligned`);
  });

  test("any text tokenizes to one token per UTF-8 byte (plus BOS) and round-trips", async () => {
    const llama = await getLlama({ gpu: false, build: "never" });
    const model = await llama.loadModel({ modelPath: tiny, vocabOnly: true });
    try {
      for (const text of ["hello world", "  two  spaces ", "héllo wörld ✓ 日本", "tabs\tand\nnewlines", "x"]) {
        const tokens = model.tokenize(text);
        assert.equal(tokens.length, Buffer.byteLength(text, "utf8"), JSON.stringify(text));
        assert.equal(model.detokenize(tokens), text);
      }
      assert.equal(model.tokens.shouldPrependBosToken, true);
    } finally {
      await model.dispose();
    }
  });

  test("deterministic for a seed, different across seeds, cached after the first call", async () => {
    const again = await generatePresetModel("tiny", { seed: 0, out: join(env.home, "copy.gguf") });
    assert.equal(again.generated, true);
    assert.equal(sha(again.path), sha(tiny));
    const other = await generatePresetModel("tiny", { seed: 1 });
    assert.notEqual(sha(other.path), sha(tiny));
    assert.equal(other.path, presetCachePath("tiny", 1));
    const mtime = statSync(tiny).mtimeMs;
    const cached = await generatePresetModel("tiny", { seed: 0 });
    assert.equal(cached.generated, false);
    assert.equal(statSync(tiny).mtimeMs, mtime);
    // written under a temp name and renamed: nothing half-written is left behind
    assert.deepEqual(readdirSync(join(env.home, "models")).filter((f) => f.endsWith(".tmp")), []);
  });

  test("an aborted generation leaves neither a cache entry nor a temp file", async () => {
    const ac = new AbortController();
    const pending = generatePresetModel("small", { seed: 9, signal: ac.signal, log: () => {} });
    setTimeout(() => ac.abort(new Error("stop")), 50);
    await assert.rejects(pending, /stop/);
    assert.deepEqual(
      readdirSync(join(env.home, "models")).filter((f) => f.includes("small")),
      [],
    );
  });

  test("unknown preset and bad seed are usage errors", async () => {
    await assert.rejects(ensurePresetModel("gpt-5"), (e: Error) => e.constructor.name === "UsageError" && /unknown preset "gpt-5"/.test(e.message));
    await assert.rejects(generatePresetModel("tiny", { seed: -1 }), /seed must be/);
  });
});

describe("weight randomness", () => {
  test("float16 conversion matches known encodings", () => {
    assert.equal(float32ToFloat16Bits(1), 0x3c00);
    assert.equal(float32ToFloat16Bits(-2), 0xc000);
    assert.equal(float32ToFloat16Bits(0.5), 0x3800);
    assert.equal(float32ToFloat16Bits(65504), 0x7bff);
    assert.equal(float32ToFloat16Bits(1e6), 0x7c00);
    assert.equal(float32ToFloat16Bits(5.960464477539063e-8), 0x0001); // smallest subnormal
    assert.equal(float32ToFloat16Bits(0.1), 0x2e66);
  });

  test("the normal table has the asked-for mean and standard deviation", () => {
    const t = normalTableF32(0.02);
    let sum = 0;
    let sq = 0;
    for (const v of t) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / t.length;
    const std = Math.sqrt(sq / t.length - mean * mean);
    assert.ok(Math.abs(mean) < 1e-6, `mean ${mean}`);
    assert.ok(Math.abs(std - 0.02) < 0.0005, `std ${std}`);
    assert.ok(t[0] < t[t.length - 1]);
  });
});
