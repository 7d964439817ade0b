import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Sampler, TelemetrySample } from "./types.js";

/** This process's CPU use (percent of one core) and event-loop lag, sampled every interval. */
export function startClientSampler(intervalMs: number): Sampler {
  const samples: TelemetrySample[] = [];
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  const sample = () => {
    const now = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const atMs = Date.now();
    samples.push({ source: "client", name: "cpu_percent", atMs, value: ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100 });
    // max of the interval: a single long block is what hurts timing accuracy.
    samples.push({ source: "client", name: "event_loop_lag_ms", atMs, value: h.count > 0 ? h.max / 1e6 : 0 });
    h.reset();
    lastCpu = process.cpuUsage();
    lastAt = now;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      // The partial last interval too, so even a short command gets a sample.
      if (performance.now() - lastAt > 5) sample();
      h.disable();
      return { samples, notes: [] };
    },
  };
}
