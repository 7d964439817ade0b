import type { Db } from "../store/db.js";
import { appendTimeseries } from "../store/runs.js";
import { startClientSampler } from "./client.js";
import { startNvidiaSmi } from "./nvidiaSmi.js";
import { startPrometheusScraper } from "./prometheus.js";
import type { Sampler, TelemetrySample } from "./types.js";

export type { Sampler, TelemetrySample } from "./types.js";

export interface TelemetryOptions {
  gpu: boolean;
  client: boolean;
  /** Prometheus URLs to scrape (one per replica); with several, samples carry a `target` label. */
  metricsUrls?: string[];
  intervalMs: number;
  nvidiaSmiCommand?: string;
}

/** Starts every enabled sampler; stop() gathers their samples and notes. */
export function startTelemetry(o: TelemetryOptions): Sampler {
  const samplers: Sampler[] = [];
  if (o.gpu) samplers.push(startNvidiaSmi(o.intervalMs, o.nvidiaSmiCommand));
  const urls = o.metricsUrls ?? [];
  for (const url of urls) samplers.push(startPrometheusScraper(url, o.intervalMs, urls.length > 1 ? { target: new URL(url).host } : undefined));
  if (o.client) samplers.push(startClientSampler(o.intervalMs));
  return {
    async stop() {
      const results = await Promise.all(samplers.map((s) => s.stop()));
      return { samples: results.flatMap((r) => r.samples), notes: results.flatMap((r) => r.notes) };
    },
  };
}

/** Writes samples as the run's time series, t_ms relative to the run's start (wall clock). */
export function storeTelemetry(db: Db, runId: string, runStartMs: number, samples: TelemetrySample[], skipSources: string[] = []): number {
  const points = samples
    .filter((s) => !skipSources.includes(s.source))
    .map((s) => ({ source: s.source, name: s.name, tMs: s.atMs - runStartMs, value: s.value, labels: s.labels }));
  appendTimeseries(db, runId, points);
  return points.length;
}
