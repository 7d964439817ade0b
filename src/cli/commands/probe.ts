import type { Command } from "commander";
import Table from "cli-table3";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { newRunId } from "../../benchmark/runLoad.js";
import { runCommandCell } from "../../experiment/commandCell.js";
import { commandSchema } from "../../experiment/schema.js";
import { defaultDbPath, openDb } from "../../store/db.js";
import { UsageError } from "../errors.js";

// `tokenbench probe gemm|attention|train`: runs a shipped PyTorch probe (probes/*.py) as a command cell, so its
// JSON lines become a stored run (kind "command", like an experiment's command cells), and prints a table
// from the probe's result document. Numbers are defined in docs/metrics.md ("Operator probes").

export const PROBES = ["gemm", "attention", "train"] as const;
type ProbeName = (typeof PROBES)[number];

/** probes/ of the installed package: dist/cli/commands and src/cli/commands are both three levels down. */
export function probeScript(name: ProbeName): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../probes", `${name}.py`);
}

interface Flags {
  python?: string;
  db?: string;
  store: boolean;
  out?: string;
  input?: string;
  timeout: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("probe")
    .description("operator probes on this host's GPU (PyTorch): gemm = projection GEMMs default vs TunableOp; attention = decode attention split-KV vs not; train = training/fine-tuning steps of a Llama model (step time, tokens/s, peak memory, MFU, module breakdown)")
    .argument("<probe>", PROBES.join(" | "))
    .argument("[args...]", "passed to the probe script after `--` (e.g. -- --model llama-3-8b --m 1,16,256 --device cpu); see probes/*.py --help")
    .option("--python <exe>", "Python with PyTorch (default: TOKENBENCH_PYTHON or python3)")
    .option("--db <path>", "results database (default ~/.tokenbench/results.db, or TOKENBENCH_HOME / TOKENBENCH_DB)")
    .option("--no-store", "do not store the run")
    .option("--out <file>", "keep the probe's full result document (JSON) here")
    .option("--input <file>", "print the table of an earlier result document instead of running")
    .option("--timeout <s>", "stop the probe after S seconds", (v) => Number(v), 1800)
    .option("--json", "print the result document instead of the table")
    .action(async (name: string, args: string[], f: Flags) => {
      if (!(PROBES as readonly string[]).includes(name)) throw new UsageError(`unknown probe "${name}" (known: ${PROBES.join(", ")})`);
      if (f.input) {
        const doc = readDoc(f.input);
        process.stdout.write(f.json ? JSON.stringify(doc, null, 1) + "\n" : renderProbe(doc));
        return;
      }
      if (!(f.timeout > 0)) throw new UsageError("--timeout must be a positive number of seconds");
      const script = probeScript(name as ProbeName);
      if (!existsSync(script)) throw new UsageError(`probe script not found: ${script}`);
      const tmp = mkdtempSync(join(tmpdir(), "tb-probe-"));
      const out = f.out ? resolve(f.out) : join(tmp, `${name}.json`);
      try {
        const spec = commandSchema.parse({
          name: `probe-${name}`,
          command: f.python ?? process.env.TOKENBENCH_PYTHON ?? "python3",
          args: [script, ...args, "--out", out],
          timeout_s: f.timeout,
          lower_is_better: [],
        });
        const db = f.store ? openDb(f.db ?? defaultDbPath()) : undefined;
        const runId = newRunId();
        const logPath = join(tmp, `${name}.log`);
        const res = await runCommandCell(db ?? openDb(":memory:"), spec, { runId, label: `probe ${name}`, logPath });
        if (!res.ok) {
          const log = existsSync(logPath) ? readFileSync(logPath, "utf8").trim().split("\n").slice(-3).join(" | ") : "";
          throw new UsageError(`probe ${name} failed: ${res.error}${log ? ` (${log})` : ""}`);
        }
        const doc = readDoc(out);
        process.stdout.write(f.json ? JSON.stringify(doc, null, 1) + "\n" : renderProbe(doc));
        if (db) process.stderr.write(`stored as run ${runId} (${Object.keys(res.summary.metrics).length} metrics)\n`);
        db?.close();
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
}

export interface ProbeDoc {
  probe: ProbeName;
  env: Record<string, unknown>;
  params: Record<string, unknown>;
  records: Record<string, unknown>[];
  summary: Record<string, unknown>;
}

function readDoc(path: string): ProbeDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new UsageError(`cannot read probe result ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const d = doc as ProbeDoc;
  if (!d || !(PROBES as readonly string[]).includes(d.probe) || !Array.isArray(d.records)) throw new UsageError(`${path}: not a probe result document`);
  return d;
}

const f1 = (v: unknown, digits = 1) => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : "-");
const compact = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/** Table of a probe result document (gemm: one row per shape and M; attention: one row per context, batch, backend; train: one row per batch size, then the module breakdown). */
export function renderProbe(doc: ProbeDoc): string {
  const env = doc.env;
  if (doc.probe === "train") return renderTrain(doc);
  const head = `${doc.probe} probe on ${String(env.gpu ?? env.cpu ?? env.device)} (torch ${String(env.torch)}), ceilings ${f1(doc.params.hbm_tbps, 2)} TB/s, ${f1(doc.params.peak_tflops, 0)} TFLOP/s (${String(doc.params.ceilings_source ?? "-")})\n`;
  if (doc.probe === "gemm") {
    const t = new Table({ head: ["shape", "M", "N", "K", "default us", "TFLOP/s", "TB/s", "% roofline", "bound", "tuned us", "speedup", "tuned pick"], style: { head: [], border: [] }, chars: compact });
    for (const r of doc.records) {
      t.push([r.shape, r.m, r.n, r.k, f1(r.default_us), f1(r.default_tflops), f1(r.default_tbps, 2), f1(r.default_roofline_pct), r.bound ?? "-", f1(r.tuned_us), f1(r.speedup, 3), r.tuned_solution ?? "-"].map(String));
    }
    const e = new Table({ head: ["M", "model GEMMs us", "% roofline", "tuned speedup"], style: { head: [], border: [] }, chars: compact });
    for (const r of (doc.summary.e2e as Record<string, unknown>[]) ?? []) e.push([r.m, f1(r.default_us), f1(r.default_roofline_pct), f1(r.speedup, 3)].map(String));
    const note = doc.summary.tuned_note ? `tuned: ${String(doc.summary.tuned_note)}\n` : `TunableOp picked its default kernel for ${String(doc.summary.tuned_picked_default)} of ${String(doc.summary.tuned_shapes)} GEMMs\n`;
    return head + t.toString() + "\nper forward pass (layers x (qkv + o + gate_up + down) + lm_head):\n" + e.toString() + "\n" + note;
  }
  const t = new Table({ head: ["context", "batch", "backend", "split-KV", "us", "TB/s", "% HBM", "note"], style: { head: [], border: [] }, chars: compact });
  for (const r of doc.records) {
    t.push([r.context, r.batch, r.backend ?? "-", r.backend ? (r.split_kv ? "yes" : "no") : "-", f1(r.us), f1(r.tbps, 2), f1(r.hbm_pct), String(r.error ?? r.skipped ?? "")].map(String));
  }
  return head + t.toString() + "\n";
}

/** The toggles of a train document in one cell: precision, attention, recompute, LoRA, offload, FSDP. */
export function trainToggles(p: Record<string, unknown>): string {
  const t = [String(p.dtype), String(p.attention)];
  if (p.recompute) t.push("recompute");
  if (p.lora) t.push(`LoRA r${String(p.lora)} ${String(p.lora_targets)} (${/^peft/.test(String(p.lora_impl)) ? "peft" : "own"})`);
  if (p.offload) t.push("optimizer on CPU");
  if (p.fsdp) t.push("FSDP");
  return t.join(", ");
}

function renderTrain(doc: ProbeDoc): string {
  const env = doc.env;
  const p = doc.params;
  const shape = (p.shape ?? {}) as Record<string, unknown>;
  const world = Number(env.world_size ?? 1);
  let out = `train probe on ${String(env.gpu ?? env.cpu ?? env.device)}${world > 1 ? ` x ${world}` : ""} (torch ${String(env.torch)}), ${String(p.model)}: ${String(shape.layers)} layers, hidden ${String(shape.hidden)}, ${String(shape.heads)}/${String(shape.kv_heads)} heads, seq ${String(p.seq)}; peak ${f1(p.peak_tflops, 0)} TFLOP/s (${String(p.ceilings_source ?? "-")})\n`;
  out += `precision: ${String(p.precision)}\n`;
  for (const n of (p.notes as string[] | undefined) ?? []) out += `note: ${n}\n`;
  const toggles = trainToggles(p);
  const t = new Table({ head: ["batch", "step ms", "tok/s", "peak MiB", "MFU %", "trainable params", "loss step 0", "toggles", "note"], style: { head: [], border: [] }, chars: compact });
  for (const r of doc.records) {
    const note = r.oom ? `out of memory: ${String(r.oom)}` : String(r.error ?? r.skipped ?? "");
    t.push([r.batch, f1(r.step_ms), f1(r.tokens_per_s, 0), f1(r.peak_mib, 0), f1(r.mfu_pct), r.params_trainable ?? "-", f1(r.loss_step0, 4), r.step_ms ? toggles : "-", note.slice(0, 80)].map(String));
  }
  out += t.toString() + "\n";
  const s = doc.summary;
  out += `largest batch that fit: ${String(s.max_batch_fit ?? "none")}${s.first_oom_batch ? ` (batch ${String(s.first_oom_batch)} ran out of memory)` : ""}\n`;
  const rec = doc.records.find((r) => r.batch === s.breakdown_batch && r.breakdown);
  if (rec) {
    const bd = rec.breakdown as { time_basis: string; forward_us: number; backward_us: number; optimizer_us: number; forward_share: Record<string, number>; backward_share: Record<string, number>; decoder_layer_forward_share: number; recompute_share_of_backward: number };
    const keys = [...new Set([...Object.keys(bd.forward_share), ...Object.keys(bd.backward_share)])];
    keys.sort((a, b) => (bd.forward_share[b] ?? 0) + (bd.backward_share[b] ?? 0) - (bd.forward_share[a] ?? 0) - (bd.backward_share[a] ?? 0));
    const b = new Table({ head: ["module", "% of forward", "% of backward"], style: { head: [], border: [] }, chars: compact });
    for (const k of keys) b.push([k, f1(100 * (bd.forward_share[k] ?? 0)), f1(100 * (bd.backward_share[k] ?? 0))]);
    out += `breakdown at batch ${String(rec.batch)} (${bd.time_basis}; forward ${f1(bd.forward_us / 1000)} ms, backward ${f1(bd.backward_us / 1000)} ms, optimizer ${f1(bd.optimizer_us / 1000)} ms per profiled run; decoder layers ${f1(100 * bd.decoder_layer_forward_share)}% of forward${bd.recompute_share_of_backward > 0 ? `; recomputed forward ${f1(100 * bd.recompute_share_of_backward)}% of backward` : ""}):\n`;
    out += b.toString() + "\n";
  } else if (doc.records.some((r) => r.breakdown_error)) {
    out += `breakdown: ${String(doc.records.find((r) => r.breakdown_error)?.breakdown_error)}\n`;
  }
  return out;
}
