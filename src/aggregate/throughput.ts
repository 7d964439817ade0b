import type { RequestRecord, Throughput } from "../types.js";

/** The steady window must cover at least this share of the whole window to be reported. */
export const MIN_STEADY_FRACTION = 0.1;

export interface Window {
  /** ms from run start */
  start: number;
  end: number;
}

/** First send -> last completion of the measured requests; null when there are none. */
export function wholeWindow(records: readonly RequestRecord[]): Window | null {
  if (records.length === 0) return null;
  let start = Infinity;
  let end = -Infinity;
  for (const r of records) {
    start = Math.min(start, r.sentAt);
    end = Math.max(end, r.endAt);
  }
  return { start, end };
}

export interface SteadyWindowInput {
  records: readonly RequestRecord[];
  whole: Window;
  /** Seconds of ramp-up, counted from the first measured send. */
  rampUpS?: number;
  /** Time of the last send (ms); default: the latest sentAt among the records. */
  lastSendAt?: number;
}

export type SteadyWindow = { window: Window; fallback?: undefined } | { window: Window; fallback: string };

/**
 * From max(first completion, ramp-up end) to the last send: before it the load is still
 * building, after it the load can only drain. Falls back to the whole window, with the
 * reason, when that span is empty or shorter than MIN_STEADY_FRACTION of the whole window.
 */
export function steadyWindow(input: SteadyWindowInput): SteadyWindow {
  const { records, whole } = input;
  let firstCompletion = Infinity;
  let lastSend = -Infinity;
  for (const r of records) {
    if (r.ok) firstCompletion = Math.min(firstCompletion, r.endAt);
    lastSend = Math.max(lastSend, r.sentAt);
  }
  if (input.lastSendAt !== undefined) lastSend = input.lastSendAt;
  if (firstCompletion === Infinity) return { window: whole, fallback: "no request completed" };
  const rampEnd = whole.start + (input.rampUpS ?? 0) * 1000;
  const start = Math.max(firstCompletion, rampEnd);
  const end = lastSend;
  const span = end - start;
  const wholeSpan = whole.end - whole.start;
  if (span <= 0) return { window: whole, fallback: "every request was sent before the first completion (or ramp-up end)" };
  if (span < MIN_STEADY_FRACTION * wholeSpan) {
    return { window: whole, fallback: `steady window shorter than ${MIN_STEADY_FRACTION * 100}% of the run` };
  }
  return { window: { start, end } };
}

/** Output tokens whose chunk arrived inside [start, end], over all requests (in flight at the edges included). */
export function tokensInWindow(records: readonly RequestRecord[], w: Window): number {
  let tokens = 0;
  for (const r of records) {
    for (const [t, k] of r.chunks) {
      if (t >= w.start && t <= w.end) tokens += k;
    }
  }
  return tokens;
}

export interface ThroughputResult {
  throughput: Throughput;
  whole: Window | null;
}

const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);

/**
 * Whole-window figures count completed requests and their tokens only (failed output is not
 * service delivered). Steady figures count every token that arrived inside the steady window.
 */
export function computeThroughput(records: readonly RequestRecord[], opts: { rampUpS?: number; lastSendAt?: number } = {}): ThroughputResult {
  const whole = wholeWindow(records);
  if (!whole) {
    return {
      whole: null,
      throughput: {
        requests_per_s: 0,
        input_tokens_per_s: 0,
        output_tokens_per_s: 0,
        total_tokens_per_s: 0,
        steady_output_tokens_per_s: 0,
        steady_requests_per_s: 0,
        steady_window_s: [0, 0],
        steady_window_fallback: "no measured requests",
      },
    };
  }
  const durMs = whole.end - whole.start;
  let completed = 0;
  let inTok = 0;
  let outTok = 0;
  for (const r of records) {
    if (!r.ok) continue;
    completed++;
    inTok += r.inputTokens;
    outTok += r.outputTokens;
  }
  const base = {
    requests_per_s: rate(completed, durMs),
    input_tokens_per_s: rate(inTok, durMs),
    output_tokens_per_s: rate(outTok, durMs),
    total_tokens_per_s: rate(inTok + outTok, durMs),
  };
  const steady = steadyWindow({ records, whole, rampUpS: opts.rampUpS, lastSendAt: opts.lastSendAt });
  const w = steady.window;
  const windowS: [number, number] = [w.start / 1000, w.end / 1000];
  if (steady.fallback !== undefined) {
    return {
      whole,
      throughput: {
        ...base,
        steady_output_tokens_per_s: base.output_tokens_per_s,
        steady_requests_per_s: base.requests_per_s,
        steady_window_s: windowS,
        steady_window_fallback: steady.fallback,
      },
    };
  }
  const spanMs = w.end - w.start;
  const completions = records.filter((r) => r.ok && r.endAt >= w.start && r.endAt <= w.end).length;
  return {
    whole,
    throughput: {
      ...base,
      steady_output_tokens_per_s: rate(tokensInWindow(records, w), spanMs),
      steady_requests_per_s: rate(completions, spanMs),
      steady_window_s: windowS,
    },
  };
}
