// Minimal Prometheus text-format registry: the engine needs a handful of counters, gauges and
// two histograms, not a client library.

type Labels = Record<string, string>;

function labelText(labels: Labels | undefined): string {
  if (!labels || Object.keys(labels).length === 0) return "";
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return `{${parts.join(",")}}`;
}

function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

interface Metric {
  render(): string[];
}

export class Counter implements Metric {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1, labels?: Labels): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${num(v)}`);
    return lines;
  }
}

/** A gauge read at scrape time, so it can never drift from the state it reports. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => number,
  ) {}
  render(): string[] {
    return [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`, `${this.name} ${num(this.read())}`];
  }
}

export class Histogram implements Metric {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.count += 1;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.counts[i] += 1;
  }
  get observations(): number {
    return this.count;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket{le="${num(b)}"} ${this.counts[i]}`));
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.count}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.count}`);
    return lines;
  }
}

export class Registry {
  private readonly metrics: Metric[] = [];
  add<M extends Metric>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    return this.metrics.flatMap((m) => m.render()).join("\n") + "\n";
  }
}

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const TPOT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];

export interface EngineMetrics {
  registry: Registry;
  requests: Counter;
  promptTokens: Counter;
  generationTokens: Counter;
  ttft: Histogram;
  tpot: Histogram;
}

/** The engine's metrics; names follow vLLM's (num_requests_running, ...) with a tokenbench_ prefix. */
export function createEngineMetrics(state: {
  running: () => number;
  waiting: () => number;
  kvCellsUsed: () => number;
  kvCellsTotal: () => number;
}): EngineMetrics {
  const registry = new Registry();
  registry.add(new Gauge("tokenbench_num_requests_running", "Requests holding a sequence (decoding or prefilling).", state.running));
  registry.add(new Gauge("tokenbench_num_requests_waiting", "Requests queued for a free sequence (FIFO).", state.waiting));
  registry.add(new Gauge("tokenbench_kv_cache_used_cells", "KV-cache cells (token positions) in use across all sequences.", state.kvCellsUsed));
  registry.add(new Gauge("tokenbench_kv_cache_total_cells", "KV-cache cells available (context size x parallel sequences).", state.kvCellsTotal));
  const requests = registry.add(new Counter("tokenbench_requests_total", "Finished requests by finish reason (length, stop, abort, error)."));
  const promptTokens = registry.add(new Counter("tokenbench_prompt_tokens_total", "Prompt tokens prefilled."));
  const generationTokens = registry.add(new Counter("tokenbench_generation_tokens_total", "Tokens generated (end-of-sequence excluded)."));
  const ttft = registry.add(new Histogram("tokenbench_time_to_first_token_seconds", "Request received (queueing included) to first generated token.", TTFT_BUCKETS));
  const tpot = registry.add(new Histogram("tokenbench_time_per_output_token_seconds", "Per request: (last token - first token) / (tokens - 1).", TPOT_BUCKETS));
  return { registry, requests, promptTokens, generationTokens, ttft, tpot };
}
