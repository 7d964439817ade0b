// Where models come from: a user's GGUF file, or a generated preset cached under TOKENBENCH_HOME.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { tokenbenchHome } from "../home.js";
import { basename, join } from "node:path";
import { UsageError } from "../errors.js";
import { GGUF_MAGIC } from "./gguf/format.js";
import { GENERATED_FORMAT_VERSION, writeRandomModel } from "./gguf/generate.js";
import { isPresetName, PRESET_NAMES, PRESETS } from "./gguf/presets.js";

export const DEFAULT_SEED = 0;

export { tokenbenchHome };

export function presetCachePath(preset: string, seed = DEFAULT_SEED): string {
  return join(tokenbenchHome(), "models", `${preset}-s${seed}-v${GENERATED_FORMAT_VERSION}.gguf`);
}

export function assertPreset(preset: string): asserts preset is keyof typeof PRESETS {
  if (!isPresetName(preset)) throw new UsageError(`unknown preset "${preset}" (known: ${PRESET_NAMES.join(", ")})`);
}

export function assertSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed must be an integer in [0, 4294967295], got ${seed}`);
}

/**
 * Generates a preset into `out` (or the cache) unless a complete file is already there.
 * Written under a temporary name and renamed, so an interrupted run never leaves a truncated model behind.
 */
export async function generatePresetModel(
  preset: string,
  opts: { seed?: number; out?: string; log?: (line: string) => void; force?: boolean; signal?: AbortSignal } = {},
): Promise<{ path: string; generated: boolean; seconds: number; bytes: number }> {
  assertPreset(preset);
  const seed = opts.seed ?? DEFAULT_SEED;
  assertSeed(seed);
  const path = opts.out ?? presetCachePath(preset, seed);
  if (!opts.force) {
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isFile()) return { path, generated: false, seconds: 0, bytes: existing.size };
  }
  const dir = join(path, "..");
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  const started = performance.now();
  opts.log?.(`generating model "${preset}" (seed ${seed}) -> ${path}`);
  let lastPct = -1;
  try {
    const bytes = await writeRandomModel(tmp, {
      name: PRESETS[preset].title,
      preset,
      shape: PRESETS[preset],
      seed,
      signal: opts.signal,
      onProgress: ({ bytesWritten, totalBytes }) => {
        const pct = Math.floor((bytesWritten / totalBytes) * 10) * 10;
        if (totalBytes > 1e9 && pct !== lastPct) {
          lastPct = pct;
          opts.log?.(`  ${pct}% of ${(totalBytes / 1e9).toFixed(1)} GB`);
        }
      },
    });
    await rename(tmp, path);
    const seconds = (performance.now() - started) / 1000;
    opts.log?.(`generated ${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(1)} s`);
    return { path, generated: true, seconds, bytes };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Path of the cached preset model, generating it on first use. */
export async function ensurePresetModel(preset: string, seed = DEFAULT_SEED, log?: (line: string) => void): Promise<string> {
  return (await generatePresetModel(preset, { seed, log })).path;
}

/** Checks a user-supplied file is present and starts with the GGUF magic before llama.cpp sees it. */
export async function assertGgufFile(path: string): Promise<void> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UsageError(`model file not found: ${path}`);
  if (!st.isFile()) throw new UsageError(`model path is not a file: ${path}`);
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    if (bytesRead < 8 || buf.readUInt32LE(0) !== GGUF_MAGIC) throw new UsageError(`not a GGUF file (bad magic): ${path}`);
    const version = buf.readUInt32LE(4);
    if (version < 2 || version > 3) throw new UsageError(`unsupported GGUF version ${version}: ${path}`);
  } finally {
    await fh.close();
  }
}
