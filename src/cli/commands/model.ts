import type { Command } from "commander";
import { existsSync } from "node:fs";
import { generatePresetModel, parameterCount, PRESET_NAMES, PRESETS, presetCachePath } from "../../engine/index.js";
import * as p from "../parse.js";

export function register(program: Command): void {
  const model = program.command("model").description("generated GGUF models for the embedded engine");

  model
    .command("generate")
    .description("write a GGUF with random weights in a real architecture and a real tokenizer vocabulary (cached: made once per preset and seed)")
    .requiredOption("--preset <name>", PRESET_NAMES.join(", "))
    .option("--seed <n>", "weight seed", p.nonNegativeInt, 0)
    .option("--out <file>", "output path (default: the cache under TOKENBENCH_HOME or ~/.tokenbench/models)")
    .option("--force", "write again even if the file exists")
    .action(async (f: { preset: string; seed: number; out?: string; force?: boolean }) => {
      // Ctrl-C stops between chunks and removes the partial file (the 7B presets take minutes).
      const ac = new AbortController();
      const stop = () => ac.abort(new Error("interrupted; no model written"));
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      const r = await generatePresetModel(f.preset, { seed: f.seed, out: f.out, force: f.force, signal: ac.signal, log: (l) => process.stderr.write(l + "\n") }).finally(() => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
      });
      if (!r.generated) process.stderr.write(`already there (${(r.bytes / 1e6).toFixed(1)} MB); --force writes it again\n`);
      process.stdout.write(`${r.path}\n`);
    });

  model
    .command("list")
    .description("list the presets, their shapes and whether they are cached")
    .action(() => {
      for (const name of PRESET_NAMES) {
        const s = PRESETS[name];
        const params = parameterCount(s);
        const path = presetCachePath(name);
        process.stdout.write(
          `${name.padEnd(11)} ${(params / 1e6).toFixed(1).padStart(7)}M params  dim ${s.embedding}, ${s.layers} layers, ${s.heads}/${s.kvHeads} heads, ffn ${s.feedForward}, ctx ${s.contextLength}, ${s.matrixType}, vocab ${s.vocab}  ${existsSync(path) ? path : "(not generated)"}\n`,
        );
      }
    });
}
