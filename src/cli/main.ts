#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { TOOL_VERSION } from "../version.js";
import { UsageError } from "./errors.js";
import { translatePeerFlags } from "./peerFlags.js";
// Each command lives in its own module under ./commands and registers itself here.
import { COMMANDS } from "./commands/index.js";

async function main(argv: string[]): Promise<number> {
  const program = new Command("tokenbench")
    .description("Benchmark LLM inference servers with token-accurate streaming metrics")
    .version(TOOL_VERSION)
    .showHelpAfterError(false)
    .exitOverride();
  for (const register of COMMANDS) register(program);
  try {
    // Other clients' flags (vLLM, GuideLLM, AIPerf) become ours first; a translated value says what it became.
    const peer = translatePeerFlags(argv.slice(2));
    for (const note of peer.notes) process.stderr.write(`${note}\n`);
    await program.parseAsync([...argv.slice(0, 2), ...peer.args]);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and --version exit through here with code 0
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`tokenbench: error: ${e.message}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`tokenbench: error: ${err.message ?? String(e)}\n`);
    if (process.env.TOKENBENCH_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// `tokenbench runs | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv).then((code) => {
  process.exitCode = code;
});
