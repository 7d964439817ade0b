// Public entry points of the embedded llama.cpp engine.
import { basename } from "node:path";
import { UsageError } from "../errors.js";
import { defaultThreads, LlamaEngine } from "./engine.js";
import { assertGgufFile, assertPreset, DEFAULT_SEED, generatePresetModel } from "./models.js";
import { startEngineServer } from "./server.js";

export { PRESETS, PRESET_NAMES, parameterCount, type ModelShape, type PresetName } from "./gguf/presets.js";
export { ensurePresetModel, generatePresetModel, presetCachePath, tokenbenchHome } from "./models.js";
export { defaultThreads } from "./engine.js";

export interface EmbeddedServerOptions {
  /** Generated model preset (default "small" when no model file is given). */
  preset?: string;
  /** Path of a GGUF file; wins over preset. */
  model?: string;
  port?: number;
  host?: string;
  parallel?: number;
  context?: number;
  batch?: number;
  threads?: number;
  flashAttention?: boolean;
  /** Seed of the generated preset model. */
  seed?: number;
  /** Aborts model generation (the only long step before the server listens). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  modelName: string;
  close(): Promise<void>;
}

export const DEFAULT_PRESET = "small";
export const DEFAULT_PARALLEL = 4;

function positiveInt(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new UsageError(`${name} must be a positive integer, got ${v}`);
}

/** Starts the OpenAI-compatible llama.cpp server; bad options and unusable models throw UsageError. */
export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  positiveInt("parallel", opts.parallel);
  positiveInt("context", opts.context);
  positiveInt("batch", opts.batch);
  positiveInt("threads", opts.threads);
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) throw new UsageError(`port must be in [0, 65535], got ${opts.port}`);
  let modelPath: string;
  let modelName: string;
  if (opts.model) {
    await assertGgufFile(opts.model);
    modelPath = opts.model;
    modelName = basename(opts.model).replace(/\.gguf$/i, "");
  } else {
    const preset = opts.preset ?? DEFAULT_PRESET;
    assertPreset(preset);
    modelPath = (await generatePresetModel(preset, { seed: opts.seed ?? DEFAULT_SEED, log: opts.log, signal: opts.signal })).path;
    modelName = `tokenbench-${preset}`;
  }
  const parallel = opts.parallel ?? DEFAULT_PARALLEL;
  const engine = await LlamaEngine.load({
    modelPath,
    parallel,
    context: opts.context,
    batch: opts.batch,
    threads: opts.threads ?? defaultThreads(),
    flashAttention: opts.flashAttention,
    log: opts.log,
  });
  try {
    const running = await startEngineServer({ engine, modelName, host: opts.host ?? "127.0.0.1", port: opts.port ?? 0 });
    opts.log?.(
      `embedded llama.cpp server: ${modelName} at ${running.url} (parallel ${parallel}, context ${engine.contextSize}/sequence, threads ${engine.threads})`,
    );
    return { url: running.url, modelName, close: running.close };
  } catch (e) {
    await engine.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE" || err.code === "EACCES") throw new UsageError(`cannot listen on ${opts.host ?? "127.0.0.1"}:${opts.port}: ${err.code}`);
    throw e;
  }
}
