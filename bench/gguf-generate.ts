// Time to write a generated (random-weight) preset model, and its SHA-256 (determinism check).
//
//   node --import tsx bench/gguf-generate.ts [--preset small] [--repeats 3] [--seed 0]
//
// Writes to a temporary directory (removed afterwards); prints the median of the repeats.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeRandomModel } from "../src/engine/gguf/generate.js";
import { PRESETS, isPresetName } from "../src/engine/gguf/presets.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const preset = arg("preset", "small");
if (!isPresetName(preset)) throw new Error(`unknown preset ${preset}`);
const repeats = Number(arg("repeats", "3"));
const seed = Number(arg("seed", "0"));
const dir = mkdtempSync(join(tmpdir(), "tb-gguf-bench-"));
try {
  const times: number[] = [];
  let hash = "";
  let bytes = 0;
  for (let r = 0; r < repeats; r++) {
    const path = join(dir, `m${r}.gguf`);
    const t0 = performance.now();
    bytes = await writeRandomModel(path, { name: preset, preset, shape: PRESETS[preset], seed });
    times.push((performance.now() - t0) / 1000);
    const h = createHash("sha256").update(readFileSync(path)).digest("hex");
    if (hash && h !== hash) throw new Error("not deterministic: two writes of one (preset, seed) differ");
    hash = h;
    rmSync(path);
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`${preset} seed ${seed}: ${(bytes / 1e6).toFixed(1)} MB, median ${sorted[Math.floor(repeats / 2)].toFixed(2)} s over ${repeats} (${times.map((t) => t.toFixed(2)).join(", ")}), sha256 ${hash.slice(0, 16)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
