import { setTimeout as sleep } from "node:timers/promises";
import type { Sampler, TelemetrySample } from "./types.js";

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Pure parser of the Prometheus text exposition format (0.0.4); comments and malformed lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!m) continue;
    const name = m[1];
    let i = name.length;
    const labels: Record<string, string> = {};
    if (line[i] === "{") {
      const end = parseLabels(line, i + 1, labels);
      if (end < 0) continue;
      i = end;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const value = parseValue(rest[0]);
    if (value === undefined) continue;
    out.push({ name, labels, value });
  }
  return out;
}

/** Parses `k="v",...}` starting at `i`; returns the index after `}` or -1. Handles \" \\ \n escapes. */
function parseLabels(s: string, i: number, into: Record<string, string>): number {
  for (;;) {
    while (s[i] === " " || s[i] === ",") i++;
    if (s[i] === "}") return i + 1;
    const km = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!km) return -1;
    i += km[0].length;
    while (s[i] === " ") i++;
    if (s[i] !== "=" || s[i + 1] !== '"') return -1;
    i += 2;
    let v = "";
    for (;;) {
      if (i >= s.length) return -1;
      const ch = s[i];
      if (ch === "\\") {
        const n = s[i + 1];
        v += n === "n" ? "\n" : n;
        i += 2;
      } else if (ch === '"') {
        i++;
        break;
      } else {
        v += ch;
        i++;
      }
    }
    into[km[0]] = v;
  }
}

function parseValue(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Known series of the servers we benchmark, mapped to engine-neutral names so runs of different
 * servers line up in reports. The raw name is kept in the `metric` label.
 */
export const KNOWN_SERVER_METRICS: Record<string, string> = {
  // vLLM (v1 and v0 names)
  "vllm:num_requests_running": "requests_running",
  "vllm:num_requests_waiting": "requests_waiting",
  "vllm:kv_cache_usage_perc": "kv_cache_usage",
  "vllm:gpu_cache_usage_perc": "kv_cache_usage",
  "vllm:prompt_tokens_total": "prompt_tokens_total",
  "vllm:generation_tokens_total": "generation_tokens_total",
  "vllm:num_preemptions_total": "preemptions_total",
  // TGI
  tgi_queue_size: "requests_waiting",
  tgi_batch_current_size: "requests_running",
  tgi_batch_current_max_tokens: "batch_max_tokens",
  // SGLang
  "sglang:num_running_reqs": "requests_running",
  "sglang:num_queue_reqs": "requests_waiting",
  "sglang:token_usage": "kv_cache_usage",
  "sglang:prompt_tokens_total": "prompt_tokens_total",
  "sglang:generation_tokens_total": "generation_tokens_total",
  "sglang:gen_throughput": "generation_tokens_per_s",
  // llama.cpp server
  "llamacpp:requests_processing": "requests_running",
  "llamacpp:requests_deferred": "requests_waiting",
  "llamacpp:kv_cache_usage_ratio": "kv_cache_usage",
  "llamacpp:prompt_tokens_total": "prompt_tokens_total",
  "llamacpp:tokens_predicted_total": "generation_tokens_total",
  // tokenbench embedded engine (src/engine/metrics.ts)
  tokenbench_num_requests_running: "requests_running",
  tokenbench_num_requests_waiting: "requests_waiting",
  tokenbench_kv_cache_used_cells: "kv_cache_used_cells",
  tokenbench_kv_cache_total_cells: "kv_cache_total_cells",
  tokenbench_prompt_tokens_total: "prompt_tokens_total",
  tokenbench_generation_tokens_total: "generation_tokens_total",
};

/** Histogram buckets are dropped (their _sum/_count are kept): hundreds of series per scrape otherwise. */
export const MAX_SERIES_PER_SCRAPE = 300;

/** Pure: one scrape's samples -> telemetry samples (known names mapped, unknown kept raw). */
export function toServerSamples(samples: PromSample[], atMs: number, extraLabels?: Record<string, string>): TelemetrySample[] {
  const out: TelemetrySample[] = [];
  for (const s of samples) {
    if (s.name.endsWith("_bucket") || s.name.endsWith("_created") || !Number.isFinite(s.value)) continue;
    const known = KNOWN_SERVER_METRICS[s.name];
    const labels = { ...(known ? { metric: s.name } : {}), ...s.labels, ...extraLabels };
    out.push({ source: "server", name: known ?? s.name, atMs, value: s.value, labels: Object.keys(labels).length ? labels : undefined });
    if (out.length >= MAX_SERIES_PER_SCRAPE) break;
  }
  return out;
}

/**
 * Scrapes `url` every `intervalMs` until stopped, and once more when stopped, so counters
 * include the run's last requests (with a 1 s interval a run's counters missed its last 3 of
 * 22 requests). A failing endpoint becomes a note, never an error.
 */
export function startPrometheusScraper(url: string, intervalMs: number, extraLabels?: Record<string, string>): Sampler {
  const samples: TelemetrySample[] = [];
  const errors = new Map<string, number>();
  let ok = 0;
  // Stopping cuts the wait between scrapes short, never a scrape in progress.
  const stopping = new AbortController();
  const scrape = async () => {
    const t0 = Date.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(2000, intervalMs)) });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      samples.push(...toServerSamples(parsePrometheusText(text), t0, extraLabels));
      ok++;
    } catch (e) {
      const msg = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      errors.set(msg, (errors.get(msg) ?? 0) + 1);
    }
    return t0;
  };
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      const t0 = await scrape();
      if (stopping.signal.aborted) break;
      await sleep(Math.max(0, intervalMs - (Date.now() - t0)), undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
      await scrape();
      const notes = [...errors].map(([m, n]) => `metrics scrape of ${url} failed ${n}x: ${m}`);
      if (ok === 0 && errors.size === 0) notes.push(`metrics at ${url}: no scrape completed`);
      return { samples, notes };
    },
  };
}
