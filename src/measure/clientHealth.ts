import type { ClientHealth } from "./types.js";
import { percentileSorted } from "../percentile.js";

// Above these the client, not the server, may be what limits the measurement.
/** Event-loop lag p99 (ms): timers and socket reads were serviced this late. */
export const EVENT_LOOP_LAG_P99_LIMIT_MS = 20;
/** Open-loop send lag p99 (ms): requests left this long after their scheduled time with a slot free. */
export const SEND_LAG_P99_LIMIT_MS = 10;
/** Main-thread CPU averaged over the run, percent of one core. */
export const CPU_PERCENT_LIMIT = 90;
/**
 * Token events read together with the previous one (percent), above which, with the event loop
 * busy (EVENT_LOOP_BUSY_LIMIT), the client is taken to have fallen behind the streams.
 */
export const SAME_READ_PCT_LIMIT = 10;
/** Event-loop utilization (0..1) at which events that waited in the socket are the client's delay. */
export const EVENT_LOOP_BUSY_LIMIT = 0.7;

export interface HealthInput {
  eventLoopLagMs: { p99: number; max: number };
  /** Raw send-lag samples (ms). */
  sendLagMs: readonly number[];
  cpuPercent: number;
  /** performance.eventLoopUtilization() over the measured phase, 0..1. */
  eventLoopUtilization?: number;
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
    ...(input.eventLoopUtilization !== undefined ? { event_loop_utilization: input.eventLoopUtilization } : {}),
  };
}

const SAME_READ_REASON = " of token events were read together";
/** Whether a reason is this check's: merged runs drop their parts' and check the union of their records again. */
export const isSameReadReason = (reason: string): boolean => reason.includes(SAME_READ_REASON);

/**
 * Adds the run's same-read share to a self-check (pure). A client that falls behind many streams
 * reaches a steady state its lag and CPU checks miss: each read then carries two or more token
 * events, which makes reads cheaper, so the loop never stalls and its CPU stays under the limit
 * while every stream's tokens are read a whole ITL late (4,096 streams on 2 cores: ITL p50 0 ms,
 * p99 445 ms against the server's 20 / 36 ms; docs/client-capacity.md). Events read together
 * while the loop was busy (utilization >= EVENT_LOOP_BUSY_LIMIT) are the client's delay and mark
 * the run saturated; with an idle loop they were written together (the server batching its
 * writes, or a proxy buffering) and the share is reported without a verdict.
 */
export function withSameReadCheck(h: ClientHealth, sameReadPct: number | undefined): ClientHealth {
  if (sameReadPct === undefined) return h;
  const busy = h.event_loop_utilization ?? 0;
  if (sameReadPct <= SAME_READ_PCT_LIMIT || busy < EVENT_LOOP_BUSY_LIMIT) return { ...h, same_read_pct: sameReadPct };
  const reason =
    `${sameReadPct.toFixed(0)}%${SAME_READ_REASON} with the previous one while the event loop was ` +
    `${(busy * 100).toFixed(0)}% busy (> ${SAME_READ_PCT_LIMIT}% at >= ${EVENT_LOOP_BUSY_LIMIT * 100}%): the client fell behind the streams`;
  return { ...h, saturated: true, reasons: [...h.reasons, reason], same_read_pct: sameReadPct };
}

/** One line for the terminal when the client could not keep up; null when healthy. */
export function saturationWarning(h: ClientHealth): string | null {
  if (!h.saturated) return null;
  return `warning: the client could not keep up (${h.reasons.join("; ")}); latencies may include client delay`;
}
