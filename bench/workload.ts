// How fast are workloads built? Tokenizer load, the per-tokenizer word pool, exact-length
// synthetic prompts (every prompt is re-encoded to verify its length), and arrival schedules.
//
//   node --import tsx bench/workload.ts [--count 1000] [--len 512] [--tokenizer path/to/tokenizer.json]
//        [--sharegpt-mb 650]   also stream a generated ShareGPT file of that size
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { once } from "node:events";
import { buildWorkload } from "../src/workload/index.js";
import { arrivalOffsetsMs } from "../src/schedule/arrivals.js";
import { createRng } from "../src/workload/rng.js";
import { promptVocabulary, syntheticPrompts } from "../src/workload/synthetic.js";
import { loadTokenizer } from "../src/workload/tokenizer.js";

const arg = (name: string, def?: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const count = Number(arg("count", "1000"));
const len = Number(arg("len", "512"));

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
};

const t0 = performance.now();
const tok = await loadTokenizer(arg("tokenizer"));
console.log(`tokenizer ${tok.name}: loaded in ${(performance.now() - t0).toFixed(0)} ms`);
const [vocab, vocabMs] = time(() => promptVocabulary(tok));
console.log(`word pool: ${vocab.units.length} units, additive=${vocab.additive}, built in ${vocabMs.toFixed(0)} ms`);

const [fixed, fixedMs] = time(() => syntheticPrompts({ count, input: { kind: "fixed", value: len }, seed: 1, tokenizer: tok }));
console.log(`${count} prompts x ${len} tokens: ${fixedMs.toFixed(0)} ms (${((fixedMs * 1000) / (count * len)).toFixed(2)} µs/token)`);
const [prefixed, prefixedMs] = time(() =>
  syntheticPrompts({ count, input: { kind: "fixed", value: len }, sharedPrefixTokens: Math.floor(len / 2), seed: 1, tokenizer: tok }),
);
console.log(`${count} prompts x ${len} tokens, shared prefix ${Math.floor(len / 2)}: ${prefixedMs.toFixed(0)} ms`);
const [uniform, uniformMs] = time(() => syntheticPrompts({ count, input: { kind: "uniform", min: 1, max: 2048 }, seed: 1, tokenizer: tok }));
const uniformTokens = uniform.reduce((a, p) => a + p.inputTokens, 0);
console.log(`${count} prompts uniform 1..2048 (${uniformTokens} tokens): ${uniformMs.toFixed(0)} ms`);

// Independent check that lengths are exact (not timed).
const wrong = [...fixed, ...prefixed, ...uniform].filter((p) => tok.count(p.prompt) !== p.inputTokens).length;
console.log(`length check: ${wrong} of ${fixed.length + prefixed.length + uniform.length} prompts off`);

for (const arrival of ["constant", "poisson", "gamma"] as const) {
  const [, ms] = time(() => arrivalOffsetsMs({ rate: 100, arrival, burstiness: arrival === "gamma" ? 0.5 : undefined, count: 1_000_000, rng: createRng(1), rampUpS: 10 }));
  console.log(`arrivals ${arrival}: 1,000,000 offsets in ${ms.toFixed(0)} ms`);
}

const sharegptMb = Number(arg("sharegpt-mb", "0"));
if (sharegptMb > 0) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "tb-bench-"));
  const file = path.join(dir, "sharegpt.json");
  try {
    // Conversations shaped like ShareGPT's: a few long turns each (~7 KB per conversation).
    const out = createWriteStream(file);
    const turn = (i: number, from: string) => ({ from, value: `Turn ${i} ${"lorem ipsum dolor sit amet, consectetur adipiscing elit ".repeat(30)}` });
    let written = 0;
    let n = 0;
    out.write("[\n");
    while (written < sharegptMb * 1024 * 1024) {
      const conv = JSON.stringify({ id: `c${n}`, conversations: [turn(n, "human"), turn(n, "gpt"), turn(n, "human"), turn(n, "gpt")] });
      const chunk = (n > 0 ? ",\n" : "") + conv;
      written += chunk.length;
      n++;
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end("\n]\n");
    await once(out, "finish");
    const mb = (await stat(file)).size / 1024 / 1024;
    const t1 = performance.now();
    const items = await buildWorkload({ kind: "dataset", format: "sharegpt", path: file }, { count: 1000, seed: 1, tokenizer: tok });
    const ms = performance.now() - t1;
    console.log(`sharegpt ${mb.toFixed(0)} MB, ${n} conversations: parsed and 1000 sampled+tokenized in ${ms.toFixed(0)} ms (${items.length} items), rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MB`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
if (wrong > 0) process.exitCode = 1;
