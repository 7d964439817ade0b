// The real CLI from source, as a child process: what a user types, with its exit code and output.
import { spawn } from "node:child_process";

const CLI = ["--import", "tsx", "src/cli/main.ts"];

/** Runs `tokenbench ARGS` (from the repository root) to completion; `env` is added to the environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
