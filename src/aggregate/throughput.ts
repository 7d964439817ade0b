import type { Throughput } from "./types.js";
import type { RequestRecord } from "../measure/types.js";
import { SpanTimeline, Timeline } from "./timeline.js";

/** The steady window must cover at least this share of the whole window to be reported. */
export const MIN_STEADY_FRACTION = 0.1;

export interface Window {
  /** ms from run start */
  start: number;
  end: number;
}

/** What the steady window is chosen from: the whole window and the extremes of sends and completions. */
export interface SteadyWindowInput {
  whole: Window;
  /** Earliest completion (endAt of an ok request), ms; Infinity when none completed. */
  firstCompletion: number;
  /** Time of the last send, ms. */
  lastSend: number;
  /** Seconds of ramp-up, counted from the first measured send. */
  rampUpS?: number;
}

export type SteadyWindow = { window: Window; fallback?: undefined } | { window: Window; fallback: string };

/**
 * From max(first completion, ramp-up end) to the last send: before it the load is still
 * building, after it the load can only drain. Falls back to the whole window, with the
 * reason, when that span is empty or shorter than MIN_STEADY_FRACTION of the whole window.
 */
export function steadyWindow(input: SteadyWindowInput): SteadyWindow {
  const { whole, firstCompletion, lastSend } = input;
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

export interface ThroughputResult {
  throughput: Throughput;
  whole: Window | null;
}

const rate = (n: number, ms: number) => (ms > 0 ? (n * 1000) / ms : 0);

/**
 * The throughput figures of a run, folded one record at a time (O(chunks) each) in bounded
 * memory: sends and completions' extremes, completed requests' token sums, the timeline of
 * token arrivals (every request's, failed ones' included) and the spans [sentAt, endAt] of
 * completed requests, from which the steady window's figures are taken once the window is known.
 */
export class ThroughputFold {
  private firstSend = Infinity;
  private lastEnd = -Infinity;
  private firstCompletion = Infinity;
  private lastSend = -Infinity;
  private records = 0;
  private completed = 0;
  private inTok = 0;
  private outTok = 0;
  private readonly tokens: Timeline;
  private readonly completions: SpanTimeline;

  constructor(caps: { events?: number } = {}) {
    this.tokens = new Timeline(caps.events);
    this.completions = new SpanTimeline(caps.events);
  }

  add(r: RequestRecord): void {
    this.records++;
    if (r.sentAt < this.firstSend) this.firstSend = r.sentAt;
    if (r.sentAt > this.lastSend) this.lastSend = r.sentAt;
    if (r.endAt > this.lastEnd) this.lastEnd = r.endAt;
    for (const [t, k] of r.chunks) this.tokens.add(t, k);
    if (!r.ok) return;
    this.completed++;
    this.inTok += r.inputTokens;
    this.outTok += r.outputTokens;
    if (r.endAt < this.firstCompletion) this.firstCompletion = r.endAt;
    this.completions.add(r.sentAt, r.endAt);
  }

  merge(o: ThroughputFold): void {
    this.records += o.records;
    this.firstSend = Math.min(this.firstSend, o.firstSend);
    this.lastSend = Math.max(this.lastSend, o.lastSend);
    this.lastEnd = Math.max(this.lastEnd, o.lastEnd);
    this.firstCompletion = Math.min(this.firstCompletion, o.firstCompletion);
    this.completed += o.completed;
    this.inTok += o.inTok;
    this.outTok += o.outTok;
    this.tokens.merge(o.tokens);
    this.completions.merge(o.completions);
  }

  /** First send -> last completion of the records; null when there are none. */
  get whole(): Window | null {
    return this.records === 0 ? null : { start: this.firstSend, end: this.lastEnd };
  }

  /** Whether the steady-window counts are exact (else from 1 ms bins: docs/metrics.md). */
  get exact(): boolean {
    return this.tokens.exact && this.completions.exact;
  }

  /**
   * Whole-window figures count completed requests and their tokens only (failed output is not
   * service delivered). Steady figures count every token that arrived inside the steady window,
   * and each completed request by the share of its life [sentAt, endAt] inside it (docs/metrics.md).
   */
  result(opts: { rampUpS?: number; lastSendAt?: number } = {}): ThroughputResult {
    const whole = this.whole;
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
    const base = {
      requests_per_s: rate(this.completed, durMs),
      input_tokens_per_s: rate(this.inTok, durMs),
      output_tokens_per_s: rate(this.outTok, durMs),
      total_tokens_per_s: rate(this.inTok + this.outTok, durMs),
    };
    const steady = steadyWindow({ whole, firstCompletion: this.firstCompletion, lastSend: opts.lastSendAt ?? this.lastSend, rampUpS: opts.rampUpS });
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
    return {
      whole,
      throughput: {
        ...base,
        steady_output_tokens_per_s: rate(this.tokens.countIn(w), spanMs),
        steady_requests_per_s: rate(this.completions.shareIn(w), spanMs),
        steady_window_s: windowS,
      },
    };
  }
}

/** computeThroughput of records in memory: ThroughputFold over them. */
export function computeThroughput(records: readonly RequestRecord[], opts: { rampUpS?: number; lastSendAt?: number } = {}): ThroughputResult {
  const fold = new ThroughputFold();
  for (const r of records) fold.add(r);
  return fold.result(opts);
}
