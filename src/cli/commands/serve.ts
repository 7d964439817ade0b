import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_PARALLEL, DEFAULT_PRESET, defaultThreads, PRESET_NAMES, startEmbeddedServer } from "../../engine/index.js";
import { UsageError } from "../errors.js";
import * as p from "../parse.js";
import { engineOption } from "../sharedOptions.js";
import type { EngineKind } from "../../engine/llamaServer.js";

interface ServeFlags {
  model?: string;
  preset?: string;
  seed?: number;
  host: string;
  port: number;
  parallel?: number;
  context?: number;
  batch?: number;
  threads?: number;
  flashAttention?: boolean;
  engine?: EngineKind;
  llamaServer?: string;
}

function onOff(v: string): boolean {
  if (v === "on") return true;
  if (v === "off") return false;
  throw new InvalidArgumentError(`expected on or off, got "${v}"`);
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("run the embedded llama.cpp server (OpenAI-compatible /v1/completions and /v1/chat/completions, /metrics)")
    .option("--model <file>", "GGUF model file")
    .option("--preset <name>", `generated random-weight model: ${PRESET_NAMES.join(", ")} (default ${DEFAULT_PRESET})`)
    .option("--seed <n>", "seed of the generated model", p.nonNegativeInt)
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--port <n>", "port (0 = any free port)", p.nonNegativeInt, 8000)
    .option("--parallel <n>", `sequences decoding together; more requests queue (default ${DEFAULT_PARALLEL})`, p.positiveInt)
    .option("--context <n>", "tokens per sequence, prompt + output (default min(model's, 4096))", p.positiveInt)
    .option("--batch <n>", "llama.cpp batch size in tokens", p.positiveInt)
    .option("--threads <n>", `CPU threads for llama.cpp (default cores - 1 = ${defaultThreads()})`, p.positiveInt)
    .option("--flash-attention <on|off>", "flash attention (default: llama.cpp's choice)", onOff)
    .addOption(engineOption(""))
    .option("--llama-server <path>", "llama-server binary (default: scripts/build-llama-server.sh's cache, or $TOKENBENCH_LLAMA_SERVER)")
    .action(async (f: ServeFlags) => {
      if (f.model && f.preset) throw new UsageError("give either --model or --preset, not both");
      const log = (l: string) => process.stderr.write(l + "\n");
      // Until the server listens, Ctrl-C aborts start-up (and removes a half-generated model).
      const starting = new AbortController();
      const abortStart = () => starting.abort(new Error("interrupted before the server started"));
      process.once("SIGINT", abortStart);
      process.once("SIGTERM", abortStart);
      const server = await startEmbeddedServer({
        signal: starting.signal,
        model: f.model,
        preset: f.preset,
        seed: f.seed,
        host: f.host,
        port: f.port,
        parallel: f.parallel,
        context: f.context,
        batch: f.batch,
        threads: f.threads,
        flashAttention: f.flashAttention,
        engine: f.engine ?? "auto",
        llamaServer: f.llamaServer,
        log,
      }).finally(() => {
        process.off("SIGINT", abortStart);
        process.off("SIGTERM", abortStart);
      });
      // src/benchmark/embeddedTarget.ts parses these two lines.
      process.stdout.write(`engine: ${server.engine} (${server.engineReason})\n`);
      process.stdout.write(`${server.url} (model "${server.modelName}", engine ${server.engine}); Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      log("stopping");
      await server.close();
    });
}
