import type { Command } from "commander";
import { existsSync } from "node:fs";
import { defaultDbPath } from "../../store/db.js";
import { startUi } from "../../ui/server.js";
import { defaultCompare } from "../../report/compareProvider.js";
import { UsageError } from "../errors.js";
import { nonNegativeInt } from "../parse.js";

export function register(program: Command): void {
  program
    .command("ui")
    .description("browse stored runs and experiments in a local web page (read-only)")
    .option("-p, --port <n>", "port (0 picks a free one)", nonNegativeInt, 8765)
    .option("--host <addr>", "address to bind; anything but loopback exposes your results", "127.0.0.1")
    .option("--db <path>", "results database (default ~/.tokenbench/results.db or TOKENBENCH_DB)")
    .action(async (f: { port: number; host: string; db?: string }) => {
      const path = f.db ?? defaultDbPath();
      if (!existsSync(path)) throw new UsageError(`no results database at ${path} (run a benchmark first, or pass --db)`);
      if (f.port > 65535) throw new UsageError(`--port must be 0-65535, got ${f.port}`);
      let ui;
      try {
        ui = await startUi({ dbPath: path, port: f.port, host: f.host, compare: defaultCompare });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      process.stdout.write(`tokenbench ui: ${ui.url} (database ${path}, read-only; Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          void ui.close().then(resolve);
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
