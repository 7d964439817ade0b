// Multi-turn session figures: latency by turn index and totals per session (pure).
import type { RequestRecord, SessionsSummary } from "../types.js";
import { latencyStats } from "./stats.js";

/**
 * The `sessions` block of a run summary, over records that carry a session; undefined when none
 * does. TTFT by turn shows the prefix cache at work (later turns resend the earlier ones); a
 * session's duration runs from its first scheduled send to its last request's end, think
 * times included.
 */
export function sessionsSummary(records: readonly RequestRecord[]): SessionsSummary | undefined {
  const bySession = new Map<number, RequestRecord[]>();
  const byTurn = new Map<number, RequestRecord[]>();
  for (const r of records) {
    if (r.session === undefined) continue;
    let s = bySession.get(r.session);
    if (!s) bySession.set(r.session, (s = []));
    s.push(r);
    const t = r.turn ?? 0;
    let u = byTurn.get(t);
    if (!u) byTurn.set(t, (u = []));
    u.push(r);
  }
  if (bySession.size === 0) return undefined;
  const turns = Math.max(...byTurn.keys()) + 1;
  const sessions = [...bySession.values()];
  return {
    sessions: sessions.length,
    // complete: every turn up to the most any session had, all ok
    completed: sessions.filter((s) => s.length === turns && s.every((r) => r.ok)).length,
    by_turn: [...byTurn.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([turn, rs]) => {
        const ok = rs.filter((r) => r.ok);
        return {
          turn,
          requests: rs.length,
          failed: rs.length - ok.length,
          ttft_ms: latencyStats(ok.flatMap((r) => (r.ttftMs !== undefined ? [r.ttftMs] : []))),
          input_tokens_mean: ok.length ? ok.reduce((a, r) => a + r.inputTokens, 0) / ok.length : 0,
        };
      }),
    session_duration_ms: latencyStats(sessions.map((s) => Math.max(...s.map((r) => r.endAt)) - Math.min(...s.map((r) => r.scheduledAt)))),
    input_tokens_per_session: latencyStats(sessions.map((s) => s.reduce((a, r) => a + (r.ok ? r.inputTokens : 0), 0))),
    output_tokens_per_session: latencyStats(sessions.map((s) => s.reduce((a, r) => a + r.outputTokens, 0))),
  };
}
