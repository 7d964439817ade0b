// Multi-turn session figures: latency by turn index and totals per session, folded per record.
import type { SessionsSummary } from "./types.js";
import type { RequestRecord } from "../measure/types.js";
import { Distribution } from "./distribution.js";
import { latencyStats } from "../stats.js";

interface SessionTally {
  requests: number;
  allOk: boolean;
  firstScheduled: number;
  lastEnd: number;
  /** Input tokens of its completed requests. */
  inputTokens: number;
  outputTokens: number;
}

interface TurnTally {
  requests: number;
  failed: number;
  ttft: Distribution;
  okInputTokens: number;
}

/**
 * The `sessions` block folded one record at a time: a small tally per session (the load fixes
 * how many) and per turn index, so no record is held.
 */
export class SessionsFold {
  private readonly sessions = new Map<number, SessionTally>();
  private readonly turns = new Map<number, TurnTally>();

  add(r: RequestRecord): void {
    if (r.session === undefined) return;
    let s = this.sessions.get(r.session);
    if (!s) this.sessions.set(r.session, (s = { requests: 0, allOk: true, firstScheduled: Infinity, lastEnd: -Infinity, inputTokens: 0, outputTokens: 0 }));
    s.requests++;
    s.allOk &&= r.ok;
    s.firstScheduled = Math.min(s.firstScheduled, r.scheduledAt);
    s.lastEnd = Math.max(s.lastEnd, r.endAt);
    if (r.ok) s.inputTokens += r.inputTokens;
    s.outputTokens += r.outputTokens;
    const t = this.turn(r.turn ?? 0);
    t.requests++;
    if (!r.ok) t.failed++;
    else {
      if (r.ttftMs !== undefined) t.ttft.add(r.ttftMs);
      t.okInputTokens += r.inputTokens;
    }
  }

  merge(o: SessionsFold): void {
    for (const [k, x] of o.sessions) {
      const s = this.sessions.get(k);
      if (!s) this.sessions.set(k, { ...x });
      else {
        s.requests += x.requests;
        s.allOk &&= x.allOk;
        s.firstScheduled = Math.min(s.firstScheduled, x.firstScheduled);
        s.lastEnd = Math.max(s.lastEnd, x.lastEnd);
        s.inputTokens += x.inputTokens;
        s.outputTokens += x.outputTokens;
      }
    }
    for (const [k, x] of o.turns) {
      const t = this.turn(k);
      t.requests += x.requests;
      t.failed += x.failed;
      t.ttft.merge(x.ttft);
      t.okInputTokens += x.okInputTokens;
    }
  }

  /**
   * The `sessions` block of a run summary, over records that carry a session; undefined when none
   * does. TTFT by turn shows the prefix cache at work (later turns resend the earlier ones); a
   * session's duration runs from its first scheduled send to its last request's end, think
   * times included.
   */
  summary(): SessionsSummary | undefined {
    if (this.sessions.size === 0) return undefined;
    const turns = Math.max(...this.turns.keys()) + 1;
    const sessions = [...this.sessions.values()];
    return {
      sessions: sessions.length,
      // complete: every turn up to the most any session had, all ok
      completed: sessions.filter((s) => s.requests === turns && s.allOk).length,
      by_turn: [...this.turns.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([turn, t]) => {
          const ok = t.requests - t.failed;
          return { turn, requests: t.requests, failed: t.failed, ttft_ms: t.ttft.stats(), input_tokens_mean: ok ? t.okInputTokens / ok : 0 };
        }),
      session_duration_ms: latencyStats(sessions.map((s) => s.lastEnd - s.firstScheduled)),
      input_tokens_per_session: latencyStats(sessions.map((s) => s.inputTokens)),
      output_tokens_per_session: latencyStats(sessions.map((s) => s.outputTokens)),
    };
  }

  private turn(k: number): TurnTally {
    let t = this.turns.get(k);
    if (!t) this.turns.set(k, (t = { requests: 0, failed: 0, ttft: new Distribution(), okInputTokens: 0 }));
    return t;
  }
}

/** The `sessions` block over records in memory (SessionsFold over them). */
export function sessionsSummary(records: readonly RequestRecord[]): SessionsSummary | undefined {
  const fold = new SessionsFold();
  for (const r of records) fold.add(r);
  return fold.summary();
}
