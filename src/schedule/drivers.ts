import { setTimeout as sleep } from "node:timers/promises";
import type { ChatMessage, WorkItem } from "../workload/types.js";

const MAX_TIMER_MS = 2 ** 31 - 1;

// Load drivers: decide *when* each request is sent. They know nothing of HTTP or metrics.

export interface Dispatcher {
  /**
   * Send request `seq`, meant to go out at `scheduledAt`; resolves when it has finished.
   * `readyAt` is when the driver allowed it out (after any concurrency-cap wait): sending later
   * than that is the client's own lag.
   */
  send(seq: number, scheduledAt: number, readyAt: number, item?: WorkItem): Promise<SendOutcome | void>;
  /** Monotonic ms since the run's start. */
  now(): number;
  signal?: AbortSignal;
}

/**
 * What a finished request gives back to a driver that needs it (sessions): whether it completed,
 * its answer text (reasoning and tool-call text excluded) and its output token count.
 * `item` in send(): the request to send instead of the workload's prompt number `seq`.
 */
export interface SendOutcome {
  ok: boolean;
  text: string;
  outputTokens: number;
}

export interface DriveResult {
  sent: number;
  lastSendAt: number;
}

/** Closed loop: `concurrency` workers, each sends its next request as soon as its last one ends. */
export async function driveClosedLoop(
  d: Dispatcher,
  o: { concurrency: number; count?: number; durationMs?: number; startOffsetsMs?: number[] },
): Promise<DriveResult> {
  let seq = 0;
  let lastSendAt = 0;
  const more = () =>
    !d.signal?.aborted && (o.count === undefined || seq < o.count) && (o.durationMs === undefined || d.now() < o.durationMs);
  const worker = async (w: number) => {
    const start = o.startOffsetsMs?.[w] ?? 0;
    if (start > 0) await sleepUntil(d, start);
    while (more()) {
      const mine = seq++;
      const at = d.now();
      lastSendAt = Math.max(lastSendAt, at);
      await d.send(mine, at, at);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  return { sent: seq, lastSendAt };
}

/**
 * Open loop: requests leave at precomputed arrival offsets whatever the server does. With a
 * concurrency cap, a request waits for a free slot; that wait is the client-side wait, and its
 * latency still counts from the scheduled arrival.
 */
export async function driveOpenLoop(
  d: Dispatcher,
  o: { offsetsMs: number[]; maxConcurrency?: number; durationMs?: number },
): Promise<DriveResult> {
  const inFlight = new Set<Promise<unknown>>();
  let lastSendAt = 0;
  let sent = 0;
  for (let i = 0; i < o.offsetsMs.length; i++) {
    const due = o.offsetsMs[i];
    if (d.signal?.aborted || (o.durationMs !== undefined && due > o.durationMs)) break;
    await sleepUntil(d, due);
    if (d.signal?.aborted) break;
    let readyAt = due;
    if (o.maxConcurrency !== undefined && inFlight.size >= o.maxConcurrency) {
      while (inFlight.size >= o.maxConcurrency) await Promise.race(inFlight);
      readyAt = Math.max(due, d.now());
    }
    const p = d.send(i, due, readyAt).finally(() => inFlight.delete(p));
    inFlight.add(p);
    lastSendAt = d.now();
    sent++;
  }
  await Promise.all(inFlight);
  return { sent, lastSendAt };
}

/**
 * Multi-turn sessions: `concurrency` workers each run one session at a time, turn after turn;
 * each turn is sent `thinkTimeMs` after the previous answer ended and carries the whole history
 * with that answer verbatim. A failed turn ends its session (there is no answer to carry on).
 * `userTurn(session, turn)` gives the new user message of a turn (a workload prompt).
 */
export async function driveSessions(
  d: Dispatcher,
  o: {
    sessions: number;
    turns: number;
    concurrency: number;
    thinkTimeMs: number;
    count?: number;
    durationMs?: number;
    userTurn(session: number, turn: number): WorkItem;
  },
): Promise<DriveResult> {
  let nextSession = 0;
  let seq = 0;
  let lastSendAt = 0;
  const more = () => !d.signal?.aborted && (o.count === undefined || seq < o.count) && (o.durationMs === undefined || d.now() < o.durationMs);
  const worker = async () => {
    while (more() && nextSession < o.sessions) {
      const session = nextSession++;
      const history: ChatMessage[] = [];
      let historyTokens = 0;
      let dueAt = d.now();
      for (let turn = 0; turn < o.turns; turn++) {
        if (turn > 0) await sleepUntil(d, dueAt);
        if (!more()) return;
        const user = o.userTurn(session, turn);
        history.push({ role: "user", content: user.prompt });
        const item: WorkItem = {
          index: user.index,
          prompt: flatten(history),
          inputTokens: historyTokens + user.inputTokens,
          outputTokens: user.outputTokens,
          messages: history.slice(),
          session,
          turn,
        };
        const mine = seq++;
        lastSendAt = Math.max(lastSendAt, d.now());
        const out = await d.send(mine, dueAt, dueAt, item);
        if (!out || !out.ok) break;
        history.push({ role: "assistant", content: out.text });
        historyTokens = item.inputTokens + out.outputTokens;
        dueAt = d.now() + o.thinkTimeMs;
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
  return { sent: seq, lastSendAt };
}

/** A conversation as one prompt, for APIs without chat messages: the turns in order, a blank line apart. */
export function flatten(messages: readonly ChatMessage[]): string {
  return messages.map((m) => m.content).join("\n\n");
}

/** Sleeps to a point on the run clock; timers are coarse, so it never oversleeps by design. */
export async function sleepUntil(d: Dispatcher, atMs: number): Promise<void> {
  for (;;) {
    const left = atMs - d.now();
    if (left <= 0 || d.signal?.aborted) return;
    // Node timers fire >= 1 ms late; wake a little early and yield to I/O for the rest. A delay
    // beyond 2^31-1 ms would overflow to 1 ms (a busy loop): sleep in chunks instead.
    if (left > 2) await sleep(Math.min(left - 1, MAX_TIMER_MS), undefined, { signal: d.signal }).catch(() => undefined);
    else await new Promise((r) => setImmediate(r));
  }
}
