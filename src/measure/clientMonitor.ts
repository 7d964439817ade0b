import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import type { ClientHealth } from "./types.js";
import { assessClientHealth } from "./clientHealth.js";

export interface ClientSample {
  /** ms from originMs */
  tMs: number;
  name: "event_loop_lag_ms" | "cpu_percent";
  value: number;
}

export interface ClientMonitor {
  /** Open loop: actual send - scheduled send (ms), for requests whose concurrency slot was free. */
  recordSendLag(ms: number): void;
  stop(): { health: ClientHealth; samples: ClientSample[] };
}

export interface ClientMonitorOptions {
  /** Sampling period of the time series, ms (default 250). */
  sampleIntervalMs?: number;
  /** performance.now() of the run's start, so sample times share the records' clock (default: now). */
  originMs?: number;
}

/** Event-loop timer resolution (ms); the histogram records timer intervals, so it is subtracted. */
const LOOP_RESOLUTION_MS = 10;

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on every mainstream Linux build

/**
 * CPU time (ms) of the calling JS thread (the main thread, or a client worker thread: each has
 * its own event loop). The process total would also count libuv and native threads (an
 * in-process llama.cpp engine among them), which do not slow the event loop.
 * Falls back to the process total where /proc is unavailable.
 */
function mainThreadCpuMs(): number {
  try {
    // /proc/thread-self is the calling thread's own entry (a synchronous read runs on that thread).
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

/**
 * Samples event-loop lag and main-thread CPU every sampleIntervalMs until stop().
 * Call stop() exactly once; the timer is unref'd so it never keeps the process alive.
 */
export function startClientMonitor(opts: ClientMonitorOptions = {}): ClientMonitor {
  const interval = opts.sampleIntervalMs ?? 250;
  const origin = opts.originMs ?? performance.now();
  // Two monitors: ELD histograms cannot be merged, and the per-interval one is reset each sample.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const total = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const sendLags: number[] = [];
  const samples: ClientSample[] = [];
  const t0 = performance.now();
  const cpu0 = mainThreadCpuMs();
  let lastT = t0;
  let lastCpu = cpu0;
  loop.enable();
  total.enable();
  const elu0 = performance.eventLoopUtilization();

  const sample = () => {
    const t = performance.now();
    const cpu = mainThreadCpuMs();
    const tMs = t - origin;
    if (loop.count > 0) {
      samples.push({ tMs, name: "event_loop_lag_ms", value: lagMs(loop.max) });
    }
    if (t > lastT) samples.push({ tMs, name: "cpu_percent", value: ((cpu - lastCpu) / (t - lastT)) * 100 });
    loop.reset();
    lastT = t;
    lastCpu = cpu;
  };
  const timer = setInterval(sample, interval);
  timer.unref();

  return {
    recordSendLag(ms: number) {
      if (Number.isFinite(ms)) sendLags.push(Math.max(0, ms));
    },
    stop() {
      clearInterval(timer);
      sample();
      loop.disable();
      total.disable();
      const elapsed = performance.now() - t0;
      const cpuPercent = elapsed > 0 ? ((mainThreadCpuMs() - cpu0) / elapsed) * 100 : 0;
      const has = total.count > 0;
      const health = assessClientHealth({
        eventLoopLagMs: { p99: has ? lagMs(total.percentile(99)) : 0, max: has ? lagMs(total.max) : 0 },
        sendLagMs: sendLags,
        cpuPercent,
        eventLoopUtilization: performance.eventLoopUtilization(elu0).utilization,
      });
      return { health, samples };
    },
  };
}
