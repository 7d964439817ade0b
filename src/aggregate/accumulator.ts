// The run summary folded one finished request at a time, in bounded memory, and mergeable.
import type { EndpointSummary, GoodputSpec, RunSummary } from "./types.js";
import type { CountSource, RequestRecord } from "../measure/types.js";
import { Distribution } from "./distribution.js";
import { hasBounds, meetsBounds, goodputOf } from "./goodput.js";
import { SessionsFold } from "./sessions.js";
import { withSameReadCheck } from "../measure/clientHealth.js";
import { sameReadEvents } from "../measure/requestMetrics.js";
import { ThroughputFold } from "./throughput.js";
import { inputLengthMismatch, summarizeLoad, type SummarizeInput } from "./summarize.js";

/** Distinct (kind, message) pairs of failures tallied for `commonest_error`; later new ones are not. */
export const ERROR_MESSAGES_CAP = 1024;

/** What a summary needs beyond the records: the run's identity, status and client health. */
export type SummaryInput = Omit<SummarizeInput, "records" | "goodput">;

interface EndpointTally {
  completed: number;
  failed: number;
  outputTokens: number;
  ttft: Distribution;
  e2e: Distribution;
}

interface ErrorTally {
  kind: string;
  message: string;
  count: number;
}

const bump = <K>(m: Map<K, number>, k: K, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

/**
 * Every figure of a RunSummary, folded per measured record (`add`, O(tokens of the record)) so
 * a run holds no record for its statistics: latencies in Distributions (exact up to 2^20 values
 * each, then HdrHistogram), token arrivals in a Timeline and completed requests' lives in a
 * SpanTimeline (exact up to 2^20 events, then 1 ms bins), everything else in counters and small maps whose size the load fixes
 * (targets, sessions, turns) or a cap bounds (error messages).
 *
 * `merge(other)` adds another accumulator's records (shards, workers): the result equals one
 * accumulator that saw all the records (counts, windows and percentiles exactly; a histogram's
 * streamed mean and stddev up to floating-point rounding).
 *
 * @param opts.goodput bounds counted per record (known before the run)
 */
export class RunAccumulator {
  private readonly goodput: GoodputSpec | undefined;
  private sent = 0;
  private completed = 0;
  private lengthMismatch = 0;
  private anomalies = 0;
  private retried = 0;
  private good = 0;
  private readonly errors = new Map<string, number>();
  private readonly errorMessages = new Map<string, ErrorTally>();
  private readonly finishReasons = new Map<string, number>();
  private readonly inputSource = new Map<CountSource, number>();
  private readonly outputSource = new Map<CountSource, number>();
  private inputCheck = { server: 0, requested: 0, mismatched: 0, compared: 0 };
  /**
   * Prompt cache: cached tokens, input tokens, frame tokens (server count beyond the requested
   * prompt: BOS, a chat template) and count of the requests that reported a cached count; input
   * tokens, frame tokens and count of all.
   */
  private cache = { cached: 0, input: 0, frame: 0, reported: 0, allInput: 0, allFrame: 0, all: 0 };
  private readonly throughput = new ThroughputFold();
  private readonly ttft = new Distribution();
  private readonly tpot = new Distribution();
  private readonly itl = new Distribution();
  private laterEvents = 0;
  private sameReadEvents = 0;
  private readonly e2e = new Distribution();
  private readonly clientWait = new Distribution();
  private readonly queue = new Distribution();
  private reasoning = { requests: 0, reasoningTokens: 0, outputTokens: 0, ttfo: new Distribution() };
  private toolCalls = { requests: 0, tokens: 0, ttft: new Distribution() };
  private readonly sessions = new SessionsFold();
  private readonly endpoints = new Map<string, EndpointTally>();

  constructor(opts: { goodput?: GoodputSpec } = {}) {
    this.goodput = hasBounds(opts.goodput) ? { ...opts.goodput } : undefined;
  }

  /** Measured records folded so far. */
  get count(): number {
    return this.sent;
  }

  /** Folds one measured (non-warm-up) record, latencies already derived. */
  add(r: RequestRecord): void {
    this.sent++;
    if (r.ok) this.completed++;
    if (r.lengthMismatch) this.lengthMismatch++;
    if (r.tokenCountAnomaly !== undefined) this.anomalies++;
    if (r.retriedAfter !== undefined) this.retried++;
    if (this.goodput && meetsBounds(r, this.goodput)) this.good++;
    if (r.finishReason !== undefined) bump(this.finishReasons, r.finishReason);
    if (r.inputTokensSource !== undefined) bump(this.inputSource, r.inputTokensSource);
    if (r.outputTokensSource !== undefined) bump(this.outputSource, r.outputTokensSource);
    if (r.inputTokensSource === "server" && r.requestedInputTokens !== undefined) {
      const c = this.inputCheck;
      c.compared++;
      c.server += r.inputTokens;
      c.requested += r.requestedInputTokens;
      if (inputLengthMismatch(r.inputTokens, r.requestedInputTokens)) c.mismatched++;
    }
    const frame = r.inputTokensSource === "server" && r.requestedInputTokens !== undefined ? Math.max(0, r.inputTokens - r.requestedInputTokens) : 0;
    this.cache.all++;
    this.cache.allInput += r.inputTokens;
    this.cache.allFrame += frame;
    if (r.cachedInputTokens !== undefined) {
      this.cache.reported++;
      this.cache.cached += r.cachedInputTokens;
      this.cache.input += r.inputTokens;
      this.cache.frame += frame;
    }
    if (!r.ok) {
      const kind = r.errorKind ?? "unknown";
      bump(this.errors, kind);
      this.tallyError(kind, r.error ?? "", 1);
    }
    this.throughput.add(r);
    // Every measured request waited in the client, whatever its fate.
    this.clientWait.add(r.clientWaitMs);
    this.queue.add(r.queueMs ?? 0);
    const ep = this.endpoint(r.target);
    if (!r.ok) {
      ep.failed++;
    } else {
      ep.completed++;
      ep.outputTokens += r.outputTokens;
      if (r.ttftMs !== undefined) {
        this.ttft.add(r.ttftMs);
        ep.ttft.add(r.ttftMs);
      }
      if (r.tpotMs !== undefined) this.tpot.add(r.tpotMs);
      if (r.e2eMs !== undefined) {
        this.e2e.add(r.e2eMs);
        ep.e2e.add(r.e2eMs);
      }
      for (const v of r.itlMs) this.itl.add(v);
      const reads = sameReadEvents(r.chunks);
      this.laterEvents += reads.later;
      this.sameReadEvents += reads.sameRead;
      if ((r.reasoningTokens ?? 0) > 0) {
        this.reasoning.requests++;
        this.reasoning.reasoningTokens += r.reasoningTokens!;
        this.reasoning.outputTokens += r.outputTokens;
        if (r.ttfoMs !== undefined) this.reasoning.ttfo.add(r.ttfoMs);
      }
      if ((r.toolCallTokens ?? 0) > 0) {
        this.toolCalls.requests++;
        this.toolCalls.tokens += r.toolCallTokens!;
        if (r.toolCallTtftMs !== undefined) this.toolCalls.ttft.add(r.toolCallTtftMs);
      }
    }
    this.sessions.add(r);
  }

  /** Adds everything `other` folded (other is left unchanged; both must count the same goodput bounds). */
  merge(other: RunAccumulator): void {
    if (JSON.stringify(this.goodput) !== JSON.stringify(other.goodput)) throw new Error("cannot merge run accumulators with different goodput bounds");
    this.sent += other.sent;
    this.completed += other.completed;
    this.lengthMismatch += other.lengthMismatch;
    this.anomalies += other.anomalies;
    this.retried += other.retried;
    this.good += other.good;
    for (const [k, n] of other.errors) bump(this.errors, k, n);
    for (const e of other.errorMessages.values()) this.tallyError(e.kind, e.message, e.count);
    for (const [k, n] of other.finishReasons) bump(this.finishReasons, k, n);
    for (const [k, n] of other.inputSource) bump(this.inputSource, k, n);
    for (const [k, n] of other.outputSource) bump(this.outputSource, k, n);
    const c = other.inputCheck;
    this.inputCheck = {
      server: this.inputCheck.server + c.server,
      requested: this.inputCheck.requested + c.requested,
      mismatched: this.inputCheck.mismatched + c.mismatched,
      compared: this.inputCheck.compared + c.compared,
    };
    for (const k of Object.keys(this.cache) as Array<keyof RunAccumulator["cache"]>) this.cache[k] += other.cache[k];
    this.throughput.merge(other.throughput);
    this.ttft.merge(other.ttft);
    this.tpot.merge(other.tpot);
    this.itl.merge(other.itl);
    this.laterEvents += other.laterEvents;
    this.sameReadEvents += other.sameReadEvents;
    this.e2e.merge(other.e2e);
    this.clientWait.merge(other.clientWait);
    this.queue.merge(other.queue);
    this.reasoning.requests += other.reasoning.requests;
    this.reasoning.reasoningTokens += other.reasoning.reasoningTokens;
    this.reasoning.outputTokens += other.reasoning.outputTokens;
    this.reasoning.ttfo.merge(other.reasoning.ttfo);
    this.toolCalls.requests += other.toolCalls.requests;
    this.toolCalls.tokens += other.toolCalls.tokens;
    this.toolCalls.ttft.merge(other.toolCalls.ttft);
    this.sessions.merge(other.sessions);
    for (const [k, e] of other.endpoints) {
      const mine = this.endpoint(k);
      mine.completed += e.completed;
      mine.failed += e.failed;
      mine.outputTokens += e.outputTokens;
      mine.ttft.merge(e.ttft);
      mine.e2e.merge(e.e2e);
    }
  }

  /** Good requests (goodput bounds), completed and failed ones so far: what an SLO check needs. */
  get counts(): { sent: number; completed: number; failed: number; good: number | undefined } {
    return { sent: this.sent, completed: this.completed, failed: this.sent - this.completed, good: this.goodput ? this.good : undefined };
  }

  /** The RunSummary of the records folded so far (see summarizeRun for the fields). */
  summary(input: SummaryInput): RunSummary {
    const ps = input.percentiles ?? [];
    const { throughput, whole } = this.throughput.result({ rampUpS: input.rampUpS, lastSendAt: input.lastSendAt });
    const durationS = whole ? (whole.end - whole.start) / 1000 : 0;
    const check = this.inputCheck;
    const topError = this.commonestError();
    const summary: RunSummary = {
      id: input.id,
      api: input.api,
      model: input.model,
      target: input.target,
      ...(input.workload ? { workload: input.workload } : {}),
      load: summarizeLoad(input.load),
      status: input.status,
      started_at: input.startedAt,
      requests: {
        sent: this.sent,
        completed: this.completed,
        failed: this.sent - this.completed,
        length_mismatch: this.lengthMismatch,
        token_count_anomalies: this.anomalies,
        warmup: input.warmupCount,
        errors: Object.fromEntries(this.errors),
        ...(topError ? { commonest_error: topError } : {}),
        retried: this.retried,
        finish_reasons: Object.fromEntries(this.finishReasons),
        ...(check.compared > 0 && check.requested > 0 ? { input_tokens_ratio: check.server / check.requested } : {}),
        input_length_mismatch: check.mismatched,
        ...promptCacheShares(this.cache, input),
        token_count_source: { input: Object.fromEntries(this.inputSource), output: Object.fromEntries(this.outputSource) },
      },
      duration_s: durationS,
      throughput,
      latency_ms: {
        ttft: this.ttft.stats(ps),
        tpot: this.tpot.stats(ps),
        itl: this.itl.stats(ps),
        e2e: this.e2e.stats(ps),
        client_wait: this.clientWait.stats(ps),
        queue: this.queue.stats(ps),
      },
      latency_origin: input.latencyOrigin ?? "sent",
      client: withSameReadCheck(input.client, this.laterEvents > 0 ? (this.sameReadEvents / this.laterEvents) * 100 : undefined),
    };
    if (this.goodput) summary.goodput = goodputOf(this.good, this.sent, this.goodput, durationS);
    const rs = this.reasoning;
    if (rs.requests) {
      summary.reasoning = { requests: rs.requests, reasoning_tokens: rs.reasoningTokens, answer_tokens: rs.outputTokens - rs.reasoningTokens, ttfo_ms: rs.ttfo.stats() };
    }
    const tc = this.toolCalls;
    if (tc.requests) summary.tool_calls = { requests: tc.requests, tokens: tc.tokens, ttft_ms: tc.ttft.stats() };
    const sessions = this.sessions.summary();
    if (sessions) summary.sessions = sessions;
    // Per-endpoint figures use the run's whole window as denominator, so the endpoints'
    // throughputs add up to the run's.
    if (this.endpoints.size >= 2) {
      const durMs = whole ? whole.end - whole.start : 0;
      summary.endpoints = [...this.endpoints].map(([target, e]): EndpointSummary => ({
        target,
        requests: { completed: e.completed, failed: e.failed },
        throughput: {
          requests_per_s: durMs > 0 ? (e.completed * 1000) / durMs : 0,
          output_tokens_per_s: durMs > 0 ? (e.outputTokens * 1000) / durMs : 0,
        },
        latency_ms: { ttft: e.ttft.stats(), e2e: e.e2e.stats() },
      }));
    }
    return summary;
  }

  /** The most frequent (kind, message) among failed requests; ties go to the first seen. */
  private commonestError(): ErrorTally | undefined {
    let best: ErrorTally | undefined;
    for (const e of this.errorMessages.values()) if (!best || e.count > best.count) best = e;
    return best && { ...best };
  }

  private tallyError(kind: string, message: string, n: number): void {
    const key = `${kind}\u0000${message}`;
    const e = this.errorMessages.get(key);
    if (e) e.count += n;
    // Messages may carry request ids (each one distinct): past the cap new ones are not tallied.
    else if (this.errorMessages.size < ERROR_MESSAGES_CAP) this.errorMessages.set(key, { kind, message, count: n });
  }

  private endpoint(target: string): EndpointTally {
    let e = this.endpoints.get(target);
    if (!e) this.endpoints.set(target, (e = { completed: 0, failed: 0, outputTokens: 0, ttft: new Distribution(), e2e: new Distribution() }));
    return e;
  }
}

/**
 * requests.prompt_cache_hit_share and prompt_cache_intended_share (docs/metrics.md, "Prompt
 * cache"). The intent counts per request the shared prefix and the frame the server adds (BOS, a
 * chat template it counts beyond the requested prompt), which every request repeats: the first
 * request of each prefix group (per server slot) cannot hit, so a hit share at or a little under
 * it is what was meant.
 */
export function promptCacheShares(
  c: { cached: number; input: number; frame: number; reported: number; allInput: number; allFrame: number; all: number },
  input: Pick<SummaryInput, "load" | "workload">,
): Pick<RunSummary["requests"], "prompt_cache_hit_share" | "prompt_cache_intended_share"> {
  const hit = c.reported > 0 && c.input > 0 ? c.cached / c.input : undefined;
  const ownReuse = input.load.mode === "trace" || input.load.mode === "sessions";
  const [n, tokens, frame] = c.reported > 0 ? [c.reported, c.input, c.frame] : [c.all, c.allInput, c.allFrame];
  const prefix = input.workload?.shared_prefix_tokens ?? 0;
  const intended = ownReuse || tokens <= 0 ? undefined : Math.min(1, (prefix * n + frame) / tokens);
  return { ...(hit !== undefined ? { prompt_cache_hit_share: hit } : {}), ...(intended !== undefined ? { prompt_cache_intended_share: intended } : {}) };
}
