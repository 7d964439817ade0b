import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Sampler, TelemetrySample } from "./types.js";

export const NVIDIA_SMI_FIELDS = ["index", "utilization.gpu", "memory.used", "power.draw", "clocks.sm"] as const;
/** Stored names, same order as the query fields after `index`. */
export const GPU_SERIES = ["utilization_percent", "memory_used_mib", "power_w", "sm_clock_mhz"] as const;

/** Pure: one CSV line of `nvidia-smi --format=csv,noheader,nounits` -> samples ("[N/A]" fields skipped). */
export function parseNvidiaSmiLine(line: string, atMs: number): TelemetrySample[] {
  const parts = line.split(",").map((p) => p.trim());
  if (parts.length !== NVIDIA_SMI_FIELDS.length || !/^\d+$/.test(parts[0])) return [];
  const labels = { gpu: parts[0] };
  const out: TelemetrySample[] = [];
  GPU_SERIES.forEach((name, i) => {
    const v = Number(parts[i + 1]);
    if (parts[i + 1] !== "" && Number.isFinite(v)) out.push({ source: "gpu", name, atMs, value: v, labels });
  });
  return out;
}

/**
 * Samples every GPU through nvidia-smi's own loop (-lms), plus one query when stopped so the
 * series reach the run's end; absent nvidia-smi is a note, not an error.
 */
export function startNvidiaSmi(intervalMs: number, command = "nvidia-smi"): Sampler {
  const samples: TelemetrySample[] = [];
  const notes: string[] = [];
  const child = spawn(command, [`--query-gpu=${NVIDIA_SMI_FIELDS.join(",")}`, "--format=csv,noheader,nounits", `-lms`, String(Math.max(100, Math.round(intervalMs)))], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
  createInterface({ input: child.stdout }).on("line", (line) => samples.push(...parseNvidiaSmiLine(line, Date.now())));
  let failed = false;
  const done = new Promise<void>((resolve) => {
    child.once("error", (e: NodeJS.ErrnoException) => {
      failed = true;
      notes.push(e.code === "ENOENT" ? "nvidia-smi not found: GPU telemetry skipped" : `nvidia-smi failed: ${e.message}`);
      resolve();
    });
    child.once("close", (code, signal) => {
      if (!failed && code !== null && code !== 0 && !signal) notes.push(`nvidia-smi exited with code ${code}: GPU telemetry incomplete (${stderr.trim().split("\n")[0] ?? ""})`);
      resolve();
    });
  });
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await done;
      if (!failed) {
        const out = await new Promise<string>((resolve) =>
          execFile(command, [`--query-gpu=${NVIDIA_SMI_FIELDS.join(",")}`, "--format=csv,noheader,nounits"], { timeout: 5000 }, (_e, stdout) => resolve(String(stdout ?? ""))),
        );
        const at = Date.now();
        for (const line of out.split("\n")) samples.push(...parseNvidiaSmiLine(line, at));
      }
      return { samples, notes };
    },
  };
}
