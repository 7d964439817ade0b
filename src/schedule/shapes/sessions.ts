import { z } from "zod";
import { driveSessions } from "../drivers.js";
import { defineShape } from "./shape.js";

export interface SessionsLoadJson {
  mode: "sessions";
  sessions: number;
  turns: number;
  concurrency: number;
  think_time_ms: number;
}

/**
 * Multi-turn sessions: `sessions` conversations of `turns` turns, `concurrency` of them at once
 * (interleaved); each turn is sent `thinkTimeMs` after the previous answer and carries the whole
 * history, the assistant's real answers included. A turn's new user message is the next workload
 * prompt (its input length), its output length the workload's. AIPerf's multi-turn
 * (--conversation-num, --conversation-turn-mean, --conversation-turn-delay-mean).
 */
export const sessionsShape = defineShape({
  mode: "sessions",
  schema: z.object({
    mode: z.literal("sessions"),
    /** Conversations in the run. */
    sessions: z.number().int().positive(),
    /** Turns (requests) per conversation. */
    turns: z.number().int().positive(),
    /** Conversations in progress at once. */
    concurrency: z.number().int().positive(),
    /** Pause between an answer's end and the next turn, ms. */
    thinkTimeMs: z.number().nonnegative().finite(),
  }),
  label: (s) => `${s.sessions}x${s.turns} turns c=${s.concurrency}`,
  describe: (s) => `${s.sessions} sessions of ${s.turns} turns, ${s.concurrency} at once, think time ${s.thinkTimeMs} ms`,
  key: (s) => `s${s.sessions}x${s.turns}c${s.concurrency}`,
  toJson: (s) => ({ mode: "sessions" as const, sessions: s.sessions, turns: s.turns, concurrency: s.concurrency, think_time_ms: s.thinkTimeMs }),
  fromJson: (raw) => {
    const think = raw.think_time_ms ?? raw.thinkTimeMs;
    if (raw.mode !== "sessions" || typeof raw.sessions !== "number" || typeof raw.turns !== "number" || typeof raw.concurrency !== "number" || typeof think !== "number") return null;
    return { mode: "sessions" as const, sessions: raw.sessions, turns: raw.turns, concurrency: raw.concurrency, thinkTimeMs: think };
  },
  axis: { name: "concurrent sessions", value: (s) => s.concurrency },
  maxInFlight: (s) => s.concurrency,
  countForDuration: (s) => s.sessions * s.turns,
  warmupConcurrency: (s, warmup) => Math.min(s.concurrency, warmup),
  openLoop: false,
  ownRequests: (s) => ({ prompts: s.sessions * s.turns }),
  drive: (d, s, c) =>
    driveSessions(d, {
      sessions: s.sessions,
      turns: s.turns,
      concurrency: s.concurrency,
      thinkTimeMs: s.thinkTimeMs,
      count: c.count,
      durationMs: c.durationMs,
      userTurn: (session, turn) => {
        const item = c.workload[(session * s.turns + turn) % c.workload.length];
        return item;
      },
    }),
});
