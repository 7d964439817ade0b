import type { ClientHealth } from "./types.js";
import { percentileSorted } from "../percentile.js";

// Above these the client, not the server, may be what limits the measurement.
/** Event-loop lag p99 (ms): timers and socket reads were serviced this late. */
export const EVENT_LOOP_LAG_P99_LIMIT_MS = 20;
/** Open-loop send lag p99 (ms): requests left this long after their scheduled time with a slot free. */
export const SEND_LAG_P99_LIMIT_MS = 10;
/** Main-thread CPU averaged over the run, percent of one core. */
export const CPU_PERCENT_LIMIT = 90;

export interface HealthInput {
  eventLoopLagMs: { p99: number; max: number };
  /** Raw send-lag samples (ms). */
  sendLagMs: readonly number[];
  cpuPercent: number;
}

/** Pure verdict on the client's own health; `reasons` names each limit exceeded. */
export function assessClientHealth(input: HealthInput): ClientHealth {
  const sorted = Float64Array.from(input.sendLagMs).sort();
  const send = { p99: percentileSorted(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : 0 };
  const reasons: string[] = [];
  if (input.eventLoopLagMs.p99 > EVENT_LOOP_LAG_P99_LIMIT_MS) {
    reasons.push(`event-loop lag p99 ${input.eventLoopLagMs.p99.toFixed(1)} ms > ${EVENT_LOOP_LAG_P99_LIMIT_MS} ms`);
  }
  if (send.p99 > SEND_LAG_P99_LIMIT_MS) reasons.push(`send lag p99 ${send.p99.toFixed(1)} ms > ${SEND_LAG_P99_LIMIT_MS} ms`);
  if (input.cpuPercent > CPU_PERCENT_LIMIT) reasons.push(`client CPU ${input.cpuPercent.toFixed(0)}% > ${CPU_PERCENT_LIMIT}% of one core`);
  return {
    saturated: reasons.length > 0,
    reasons,
    event_loop_lag_ms: { p99: input.eventLoopLagMs.p99, max: input.eventLoopLagMs.max },
    send_lag_ms: send,
    cpu_percent: input.cpuPercent,
  };
}

/** One line for the terminal when the client could not keep up; null when healthy. */
export function saturationWarning(h: ClientHealth): string | null {
  if (!h.saturated) return null;
  return `warning: the client could not keep up (${h.reasons.join("; ")}); latencies may include client delay`;
}
