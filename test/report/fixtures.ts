// Realistic stored runs for report tests: records simulated from a simple closed-loop server
// model (deterministic PRNG), written through the real store API into a real SQLite file.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDb, type Db } from "../../src/store/db.js";
import { appendRequests, appendTimeseries, createRun, finishRun, type TimeseriesPoint } from "../../src/store/runs.js";
import { inFlight } from "../../src/report/series.js";
import type { LatencyStats, RunSummary } from "../../src/aggregate/types.js";
import type { RequestRecord } from "../../src/measure/types.js";
import { createRng } from "../../src/workload/rng.js";

/** Reproducible uniform [0, 1) draws: the project's seeded RNG. */
function prng(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform();
}

export function stats(xs: number[]): LatencyStats {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return { mean: 0, stddev: 0, min: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0, count: 0 };
  const q = (p: number) => v[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)];
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return { mean, stddev: sd, min: v[0], p50: q(50), p90: q(90), p95: q(95), p99: q(99), max: v[n - 1], count: n };
}

export interface SimSpec {
  concurrency: number;
  requests: number;
  seed: number;
  /** ms per token of decode when alone; grows with batch size. */
  tpotMs: number;
  prefillMs: number;
  outputTokens: number;
  failEvery?: number;
  errorText?: string;
}

export function simulate(spec: SimSpec): RequestRecord[] {
  const rnd = prng(spec.seed);
  const slots = Array.from({ length: spec.concurrency }, () => 0);
  const records: RequestRecord[] = [];
  for (let i = 0; i < spec.requests; i++) {
    const s = slots.indexOf(Math.min(...slots));
    const sentAt = slots[s] + rnd() * 2;
    const batchPenalty = 1 + 0.15 * (spec.concurrency - 1);
    const fail = spec.failEvery !== undefined && i % spec.failEvery === spec.failEvery - 1;
    const ttft = spec.prefillMs * (1 + 0.3 * rnd()) * (1 + 0.05 * spec.concurrency);
    const chunks: Array<[number, number]> = [];
    const itl: number[] = [];
    let t = sentAt + ttft;
    chunks.push([t, 1]);
    const n = fail ? 3 : spec.outputTokens;
    for (let k = 1; k < n; k++) {
      const gap = spec.tpotMs * batchPenalty * (0.7 + 0.6 * rnd()) + (rnd() < 0.02 ? spec.tpotMs * 8 : 0);
      t += gap;
      chunks.push([t, 1]);
      itl.push(gap);
    }
    const endAt = t + 0.5;
    slots[s] = endAt;
    records.push({
      index: i, target: "http://127.0.0.1:8000", warmup: false, scheduledAt: sentAt, sentAt, firstTokenAt: sentAt + ttft, endAt,
      ok: !fail, ...(fail ? { errorKind: "disconnect" as const, error: spec.errorText ?? "connection closed mid-stream" } : {}),
      inputTokens: 128, inputTokensSource: "server", outputTokens: n, outputTokensSource: "server", requestedOutputTokens: spec.outputTokens,
      lengthMismatch: fail, chunks, ttftMs: ttft, tpotMs: fail ? undefined : (t - (sentAt + ttft)) / (n - 1), e2eMs: endAt - sentAt,
      itlMs: itl, clientWaitMs: 0,
    });
  }
  return records;
}

export function summarize(id: string, records: RequestRecord[], concurrency: number): RunSummary {
  const ok = records.filter((r) => r.ok);
  const start = Math.min(...records.map((r) => r.sentAt));
  const end = Math.max(...records.map((r) => r.endAt));
  const dur = (end - start) / 1000;
  const out = ok.reduce((a, r) => a + r.outputTokens, 0);
  const tp = {
    requests_per_s: ok.length / dur, input_tokens_per_s: (ok.length * 128) / dur, output_tokens_per_s: out / dur,
    total_tokens_per_s: (out + ok.length * 128) / dur, steady_output_tokens_per_s: out / dur, steady_requests_per_s: ok.length / dur,
    steady_window_s: [0, dur] as [number, number],
  };
  return {
    id, api: "openai-completions", model: "llama-3-8b", target: "http://127.0.0.1:8000",
    load: { mode: "concurrency", concurrency }, status: "completed", started_at: new Date(0).toISOString(),
    requests: { sent: records.length, completed: ok.length, failed: records.length - ok.length, length_mismatch: 0, token_count_anomalies: 0, warmup: 0, errors: {}, token_count_source: { input: { server: records.length }, output: { server: records.length } } },
    duration_s: dur, throughput: tp,
    latency_ms: {
      ttft: stats(ok.map((r) => r.ttftMs!)), tpot: stats(ok.map((r) => r.tpotMs!)), itl: stats(ok.flatMap((r) => r.itlMs)),
      e2e: stats(ok.map((r) => r.e2eMs!)), client_wait: stats(records.map((r) => r.clientWaitMs)),
    },
    goodput: { requests_per_s: (ok.length / dur) * 0.9, fraction: 0.9, bounds: { ttftMs: 500 } },
    client: { saturated: false, reasons: [], event_loop_lag_ms: { p99: 1, max: 2 }, send_lag_ms: { p99: 1, max: 2 }, cpu_percent: 12 },
  };
}

export interface StoredSim {
  id: string;
  label?: string;
  experimentId?: string;
  cellKey?: string;
  spec: SimSpec;
  telemetry?: boolean;
  model?: string;
  serverInfo?: unknown;
  options?: unknown;
}

export function storeSim(db: Db, s: StoredSim): RequestRecord[] {
  const records = simulate(s.spec);
  createRun(db, {
    id: s.id, api: "openai-completions", model: s.model ?? "llama-3-8b", target: "http://127.0.0.1:8000",
    load: { mode: "concurrency", concurrency: s.spec.concurrency },
    options: s.options ?? { command: "tokenbench run --target http://127.0.0.1:8000 --api-key sk-abcdefghijklmnop", apiKey: "sk-abcdefghijklmnop", requests: s.spec.requests },
    toolVersion: "0.1.0", host: { hostname: "bench-1", cpus: 2 }, serverInfo: s.serverInfo ?? { name: "vllm", version: "0.6.3" },
    experimentId: s.experimentId, cellKey: s.cellKey, label: s.label,
  });
  appendRequests(db, s.id, 0, records);
  if (s.telemetry) {
    const pts: TimeseriesPoint[] = [];
    for (const [s, busy] of inFlight(records, 500)) {
      const t = s * 1000;
      const load = Math.round(busy);
      pts.push({ source: "gpu", name: "gpu_util_percent", tMs: t, value: Math.min(100, 20 + load * 18), labels: { gpu: "0" } });
      pts.push({ source: "gpu", name: "gpu_memory_used_mib", tMs: t, value: 61000 + load * 150, labels: { gpu: "0" } });
      pts.push({ source: "server", name: "vllm:num_requests_waiting", tMs: t, value: Math.max(0, load - 3) });
      pts.push({ source: "server", name: "vllm:kv_cache_usage_perc", tMs: t, value: Math.min(1, load * 0.11) });
    }
    appendTimeseries(db, s.id, pts);
  }
  finishRun(db, s.id, "completed", summarize(s.id, records, s.spec.concurrency));
  return records;
}

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), "tb-report-")), "results.db");
}

/** Two configurations x three loads, as an experiment, with telemetry. */
export function seedExperiment(db: Db, experimentId = "exp1"): string[] {
  db.prepare(`INSERT INTO experiments (id, name, spec_json, created_at, status) VALUES (?, ?, '{}', ?, 'completed')`).run(experimentId, "tuning off vs on", new Date().toISOString());
  const ids: string[] = [];
  let seed = 1;
  for (const [cfg, tpot] of [["tuning=off", 30], ["tuning=on", 18]] as const) {
    for (const c of [1, 2, 4]) {
      const id = `${experimentId}-${cfg.replace("=", "-")}-c${c}`;
      storeSim(db, { id, experimentId, cellKey: `${cfg}/c=${c}`, label: `${cfg} c=${c}`, spec: { concurrency: c, requests: 24, seed: seed++, tpotMs: tpot, prefillMs: 80, outputTokens: 32 }, telemetry: true });
      ids.push(id);
    }
  }
  return ids;
}

export function openTempDb(): { db: Db; path: string } {
  const path = tempDbPath();
  return { db: openDb(path), path };
}
