import { test } from "node:test";
import assert from "node:assert/strict";
import { runBenchmark } from "../../src/benchmark/run.js";
import { toOptions } from "../../src/cli/commands/run.js";
import { loadFromJson, loadLabel, loadToJson, type LoadSpec } from "../../src/schedule/shapes/index.js";
import { sessionsSummary } from "../../src/aggregate/sessions.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import type { RequestRecord } from "../../src/measure/types.js";
import type { ChatMessage } from "../../src/workload/types.js";

test("sessions load: flags, JSON round trip, label", () => {
  const f = toOptions({ target: ["http://127.0.0.1:1"], api: "openai-chat", sessions: 4, turns: 3, thinkTime: 50, concurrency: [2, 4], arrival: "poisson" } as never);
  assert.deepEqual(f.loads, [
    { mode: "sessions", sessions: 4, turns: 3, concurrency: 2, thinkTimeMs: 50 },
    { mode: "sessions", sessions: 4, turns: 3, concurrency: 4, thinkTimeMs: 50 },
  ]);
  const l = f.loads![0] as LoadSpec;
  assert.deepEqual(loadToJson(l), { mode: "sessions", sessions: 4, turns: 3, concurrency: 2, think_time_ms: 50 });
  assert.deepEqual(loadFromJson(JSON.parse(JSON.stringify(loadToJson(l)))), l);
  assert.equal(loadLabel(l), "4x3 turns c=2");
  assert.throws(() => toOptions({ api: "openai-chat", turns: 2, arrival: "poisson" } as never), /--turns and --think-time apply to --sessions/);
  assert.throws(() => toOptions({ api: "openai-chat", sessions: 2, rate: [1], arrival: "poisson" } as never), /--sessions runs closed loop/);
});

test("multi-turn over openai-chat: each turn carries the history with the previous answers verbatim, after the think time", async () => {
  const bodies: Array<{ messages: ChatMessage[]; at: number }> = [];
  // Every answer is different: token j of request n is " a<n>_<j>".
  const srv = await startScriptedServer({
    script: (n, body) => {
      bodies[n] = { messages: body.messages as ChatMessage[], at: performance.now() };
      return { ttftMs: 5, itlMs: 1, tokensPerChunk: 2, tokenText: (req, j) => ` a${req}_${j}` };
    },
  });
  try {
    const sessions = 3;
    const turns = 3;
    const think = 40;
    const r = await runBenchmark({
      targets: [srv.url],
      api: "openai-chat",
      loads: [{ mode: "sessions", sessions, turns, concurrency: 2, thinkTimeMs: think }],
      db: null,
      warmup: 0,
      seed: 9,
      tokenizer: "bytes",
      preflight: false,
      workload: { kind: "synthetic", input: { kind: "fixed", value: 12 }, output: { kind: "fixed", value: 4 } },
    });
    const recs = r.records[0];
    assert.equal(recs.length, sessions * turns);
    assert.equal(srv.received, sessions * turns);
    // what the server answered each request, rebuilt from its own token texts
    const answers = bodies.map((_, n) => Array.from({ length: 4 }, (_, j) => ` a${n}_${j}`).join(""));
    const seenByHistory = new Map<string, number[]>(); // first user message -> server request numbers in turn order
    for (const [n, b] of bodies.entries()) {
      const m = b.messages;
      assert.equal(m.length % 2, 1, `request ${n}: user, (assistant, user)*`);
      m.forEach((x, i) => assert.equal(x.role, i % 2 === 0 ? "user" : "assistant"));
      const key = m[0].content;
      const chain = seenByHistory.get(key) ?? [];
      // turn t of a session carries the answers of its turns 0..t-1, verbatim
      assert.equal(chain.length, (m.length - 1) / 2);
      chain.forEach((prev, t) => assert.equal(m[2 * t + 1].content, answers[prev], `request ${n} turn ${t}`));
      // and the earlier user messages unchanged
      chain.forEach((prev, t) => assert.equal(m[2 * t].content, bodies[prev].messages.at(-1)!.content));
      seenByHistory.set(key, [...chain, n]);
    }
    assert.equal(seenByHistory.size, sessions);
    // records: session/turn set; a later turn waits the think time after the previous end
    for (let s = 0; s < sessions; s++) {
      const mine = recs.filter((x) => x.session === s).sort((a, b) => a.turn! - b.turn!);
      assert.deepEqual(mine.map((x) => x.turn), [0, 1, 2]);
      for (let t = 1; t < turns; t++) {
        const gap = mine[t].scheduledAt - mine[t - 1].endAt;
        assert.ok(gap >= think && gap < think + 30, `session ${s} turn ${t}: scheduled ${gap.toFixed(1)} ms after the previous end`);
        assert.ok(mine[t].sentAt >= mine[t].scheduledAt);
      }
    }
    const sum = r.summaries[0].sessions!;
    assert.equal(sum.sessions, sessions);
    assert.equal(sum.completed, sessions);
    assert.deepEqual(sum.by_turn.map((t) => t.requests), [3, 3, 3]);
    assert.ok(sum.session_duration_ms.min >= 2 * think);
    assert.deepEqual(r.summaries[0].load, { mode: "sessions", sessions, turns, concurrency: 2, think_time_ms: think });
  } finally {
    await srv.close();
  }
});

test("sessionsSummary: TTFT by turn, complete sessions, totals per session", () => {
  const rec = (session: number, turn: number, ttft: number, ok = true): RequestRecord =>
    ({ session, turn, ok, ttftMs: ok ? ttft : undefined, scheduledAt: turn * 100, endAt: turn * 100 + 50, inputTokens: 10 * (turn + 1), outputTokens: 5 }) as RequestRecord;
  const s = sessionsSummary([rec(0, 0, 30), rec(0, 1, 10), rec(1, 0, 50), rec(1, 1, 0, false)])!;
  assert.equal(s.sessions, 2);
  assert.equal(s.completed, 1);
  assert.deepEqual(s.by_turn.map((t) => [t.turn, t.requests, t.failed, t.ttft_ms.mean]), [[0, 2, 0, 40], [1, 2, 1, 10]]);
  assert.equal(s.session_duration_ms.max, 150);
  assert.equal(s.input_tokens_per_session.max, 30);
  assert.equal(sessionsSummary([{ ok: true } as RequestRecord]), undefined);
});

test("experiment files take trace and sessions loads in their JSON form under loads.shapes", async () => {
  const { parseExperiment } = await import("../../src/experiment/load.js");
  const { loadsOf } = await import("../../src/experiment/expand.js");
  const base = { name: "study", servers: [{ name: "s", command: "vllm", args: ["serve", "m", "--port", "{port}"] }], workloads: [{ name: "w", input: 64, output: 16 }] };
  const spec = parseExperiment(
    { ...base, loads: { concurrency: [2], shapes: [{ mode: "sessions", sessions: 4, turns: 2, concurrency: 2, think_time_ms: 0 }, { mode: "trace", path: "t.jsonl", speedup: 2, block_size: 64 }] } },
    "s.yaml",
  );
  assert.deepEqual(loadsOf(spec), [
    { mode: "concurrency", concurrency: 2 },
    { mode: "sessions", sessions: 4, turns: 2, concurrency: 2, thinkTimeMs: 0 },
    { mode: "trace", path: "t.jsonl", speedup: 2, blockSize: 64 },
  ]);
  assert.throws(() => parseExperiment({ ...base, loads: { shapes: [{ mode: "sessions", sessions: 0, turns: 2, concurrency: 1, think_time_ms: 0 }] } }, "s.yaml"), /sessions: /);
  assert.throws(() => parseExperiment({ ...base, loads: { shapes: [{ mode: "bogus" }] } }, "s.yaml"), /mode: expected one of concurrency, rate, trace, sessions/);
});

test("CSV rows carry the sessions block: TTFT p50 per turn", async () => {
  const { flattenSummary } = await import("../../src/output/csv.js");
  const { summarizeRun } = await import("../../src/aggregate/summarize.js");
  const rec = (session: number, turn: number, ttft: number): RequestRecord =>
    ({ index: 0, target: "t", warmup: false, session, turn, ok: true, ttftMs: ttft, scheduledAt: turn * 100, sentAt: turn * 100, firstTokenAt: turn * 100 + ttft, lastTokenAt: turn * 100 + 40, endAt: turn * 100 + 50, e2eMs: 40, itlMs: [], chunks: [[turn * 100 + ttft, 1]], clientWaitMs: 0, inputTokens: 10, inputTokensSource: "workload", outputTokens: 1, outputTokensSource: "server", requestedOutputTokens: 1, lengthMismatch: false }) as RequestRecord;
  const s = summarizeRun({
    id: "r", api: "openai-chat", model: "m", target: "t", load: { mode: "sessions", sessions: 2, turns: 2, concurrency: 1, thinkTimeMs: 0 }, status: "completed", startedAt: "", records: [rec(0, 0, 30), rec(0, 1, 10), rec(1, 0, 50), rec(1, 1, 20)], warmupCount: 0,
    client: { saturated: false, reasons: [], event_loop_lag_ms: { p99: 0, max: 0 }, send_lag_ms: { p99: 0, max: 0 }, cpu_percent: 0 }, rampUpS: 0, lastSendAt: 100,
  } as never);
  const row = flattenSummary(s);
  assert.equal(row.sessions_completed, 2);
  assert.equal(row.turn1_ttft_ms_p50, 40);
  assert.equal(row.turn2_ttft_ms_p50, 15);
  assert.equal(row.think_time_ms, 0);
});
