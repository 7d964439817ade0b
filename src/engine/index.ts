// Public entry points of the embedded llama.cpp engine.
import { basename } from "node:path";
import { UsageError } from "../errors.js";
import { defaultThreads, LlamaEngine } from "./engine.js";
import { assertGgufFile, assertPreset, DEFAULT_SEED, generatePresetModel } from "./models.js";
import { startEngineServer } from "./server.js";
import { chooseEngine, startLlamaServer, type EngineKind } from "./llamaServer.js";

export { PRESETS, PRESET_NAMES, parameterCount, type ModelShape, type PresetName } from "./gguf/presets.js";
export { ensurePresetModel, generatePresetModel, presetCachePath, tokenbenchHome } from "./models.js";
export { defaultThreads } from "./engine.js";
export { ENGINE_KINDS, chooseEngine, findLlamaServer, type EngineKind } from "./llamaServer.js";

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
  /**
   * Back-end: "node-llama-cpp" (default here: llama.cpp in this process, tokenbench's own HTTP
   * API and tokenbench_* metrics), "llama-server" (llama.cpp's own server binary launched as a
   * child, its API and llamacpp:* metrics) or "auto" (llama-server when a binary is found).
   */
  engine?: EngineKind;
  /** llama-server binary path (default: findLlamaServer's search). */
  llamaServer?: string;
  /** Aborts model generation (the only long step before the server listens). */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface EmbeddedServer {
  url: string;
  modelName: string;
  /** The back-end that serves, and why it was chosen (one line). */
  engine: "llama-server" | "node-llama-cpp";
  engineReason: string;
  close(): Promise<void>;
}

export const DEFAULT_PRESET = "small";
export { DEFAULT_PARALLEL } from "./defaults.js";
import { DEFAULT_PARALLEL } from "./defaults.js";

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
  // Before the model: a missing binary fails at once, not after a generation.
  const choice = chooseEngine(opts.engine ?? "node-llama-cpp", opts.llamaServer);
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
  if (choice.engine === "llama-server") {
    const threads = opts.threads ?? defaultThreads();
    const host = opts.host ?? "127.0.0.1";
    const ls = await startLlamaServer({ binary: choice.binary!, modelPath, modelName, host, port: opts.port ?? 0, parallel, context: opts.context, batch: opts.batch, threads, flashAttention: opts.flashAttention, log: opts.log });
    opts.log?.(`embedded llama.cpp server (llama-server): ${modelName} at ${ls.url} (parallel ${parallel}, context ${ls.contextSize}/sequence, threads ${threads})`);
    return { url: ls.url, modelName, engine: "llama-server", engineReason: choice.reason, close: ls.close };
  }
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
    return { url: running.url, modelName, engine: "node-llama-cpp", engineReason: choice.reason, close: running.close };
  } catch (e) {
    await engine.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE" || err.code === "EACCES") throw new UsageError(`cannot listen on ${opts.host ?? "127.0.0.1"}:${opts.port}: ${err.code}`);
    throw e;
  }
}
