// Pure parts of the engine server: slot queue, stop strings, incremental detokenizer, metrics, request parsing.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { StepBarrier } from "../../src/engine/batcher.js";
import { IncrementalDetokenizer } from "../../src/engine/detokenizer.js";
import { Counter, Histogram, Registry } from "../../src/engine/metrics.js";
import { QueueAbortedError, SlotPool } from "../../src/engine/pool.js";
import { HttpError, parseRequest, renderChat } from "../../src/engine/request.js";
import { StopMatcher } from "../../src/engine/stop.js";

describe("SlotPool", () => {
  test("hands slots out first-in-first-out and counts running and waiting", async () => {
    const pool = new SlotPool(["a", "b"]);
    const s1 = await pool.acquire();
    const s2 = await pool.acquire();
    assert.equal(pool.running, 2);
    const order: string[] = [];
    const w1 = pool.acquire().then((s) => order.push(`w1:${s}`));
    const w2 = pool.acquire().then((s) => order.push(`w2:${s}`));
    assert.equal(pool.waiting, 2);
    pool.release(s2);
    pool.release(s1);
    await Promise.all([w1, w2]);
    assert.deepEqual(order, [`w1:${s2}`, `w2:${s1}`]);
    assert.equal(pool.waiting, 0);
  });

  test("an aborted waiter leaves the queue and does not take a slot", async () => {
    const pool = new SlotPool([1]);
    const held = await pool.acquire();
    const ac = new AbortController();
    const cancelled = pool.acquire(ac.signal);
    const next = pool.acquire();
    ac.abort();
    await assert.rejects(cancelled, QueueAbortedError);
    assert.equal(pool.waiting, 1);
    pool.release(held);
    assert.equal(await next, 1);
    pool.release(1);
    assert.equal(pool.running, 0);
  });
});

describe("StopMatcher", () => {
  test("holds back possible stop prefixes and cuts at the stop string", () => {
    const m = new StopMatcher(["END"]);
    assert.deepEqual(m.push("abc E"), { text: "abc ", stopped: false });
    assert.deepEqual(m.push("N"), { text: "", stopped: false });
    assert.deepEqual(m.push("x"), { text: "ENx", stopped: false });
    assert.deepEqual(m.push("yEND tail"), { text: "y", stopped: true });
  });
  test("earliest of several stops wins; flush releases held text", () => {
    const m = new StopMatcher(["zz", "\n"]);
    assert.deepEqual(m.push("a\nbzz"), { text: "a", stopped: true });
    const n = new StopMatcher(["STOP"]);
    assert.deepEqual(n.push("hi ST"), { text: "hi ", stopped: false });
    assert.equal(n.flush(), "ST");
  });
  test("no stops: text passes through", () => {
    assert.deepEqual(new StopMatcher([]).push("x"), { text: "x", stopped: false });
  });
});

describe("IncrementalDetokenizer", () => {
  // A byte-level vocabulary: token = byte value, decoded like llama.cpp does (invalid UTF-8 -> U+FFFD).
  const decode = (t: readonly number[]) => Buffer.from(t).toString("utf8");
  test("emits each completed character once, holding incomplete UTF-8 sequences", () => {
    const d = new IncrementalDetokenizer(decode);
    const bytes = [...Buffer.from("aé✓b")];
    const out = bytes.map((b) => d.push(b));
    assert.deepEqual(out, ["a", "", "é", "", "", "✓", "b"]);
  });
  test("flush releases an incomplete character at the end", () => {
    const d = new IncrementalDetokenizer(decode);
    assert.equal(d.push(0xe2), "");
    assert.equal(d.flush(), "\uFFFD");
  });
  test("with a context token, the first token keeps the leading space a SentencePiece decoder drops", () => {
    // SentencePiece-like: "▁" is a space, and a text's first token loses its leading space.
    const pieces = ["prompt", "\u2581the", "\u2581", "end"];
    const spm = (t: readonly number[]) => t.map((i) => pieces[i].replaceAll("\u2581", " ")).join("").replace(/^ /, "");
    const without = new IncrementalDetokenizer(spm);
    assert.deepEqual([1, 2, 3].map((t) => without.push(t)), ["the", " ", "end"]);
    const withContext = new IncrementalDetokenizer(spm, [0]);
    assert.deepEqual([2, 1, 3].map((t) => withContext.push(t)), [" ", " the", "end"]);
  });
});

describe("metrics registry", () => {
  test("renders counters with labels and cumulative histogram buckets", () => {
    const r = new Registry();
    const c = r.add(new Counter("x_total", "help"));
    c.inc(2, { reason: "stop" });
    c.inc(1, { reason: "stop" });
    const h = r.add(new Histogram("lat_seconds", "help", [0.1, 1]));
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    const text = r.render();
    assert.match(text, /^x_total\{reason="stop"\} 3$/m);
    assert.match(text, /^lat_seconds_bucket\{le="0.1"\} 1$/m);
    assert.match(text, /^lat_seconds_bucket\{le="1"\} 2$/m);
    assert.match(text, /^lat_seconds_bucket\{le="\+Inf"\} 3$/m);
    assert.match(text, /^lat_seconds_sum 5.55$/m);
    assert.match(text, /^# TYPE lat_seconds histogram$/m);
  });
});

describe("request parsing", () => {
  test("completion defaults follow OpenAI (temperature 1, no stream)", () => {
    const r = parseRequest("completion", { prompt: "hi", max_tokens: 5 });
    assert.equal(r.prompt, "hi");
    assert.equal(r.temperature, 1);
    assert.equal(r.stream, false);
    assert.equal(r.maxTokens, 5);
  });
  test("chat uses the role-per-line template and max_completion_tokens", () => {
    const r = parseRequest("chat", {
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: [{ type: "text", text: "hi" }] },
      ],
      max_completion_tokens: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.equal(r.prompt, "system: be brief\nuser: hi\nassistant: ");
    assert.equal(r.maxTokens, 7);
    assert.equal(r.includeUsage, true);
    assert.equal(renderChat([{ role: "user", content: "x" }]), "user: x\nassistant: ");
  });
  test("bad fields are 400s naming the field", () => {
    const bad = (kind: "completion" | "chat", body: unknown, re: RegExp) =>
      assert.throws(() => parseRequest(kind, body), (e: unknown) => e instanceof HttpError && e.status === 400 && re.test(e.message));
    bad("completion", { max_tokens: 3 }, /prompt/);
    bad("completion", { prompt: "x", max_tokens: 0 }, /max_tokens/);
    bad("completion", { prompt: "x", temperature: 3 }, /temperature/);
    bad("completion", { prompt: "x", max_tokens: 3, min_tokens: 4 }, /min_tokens/);
    bad("chat", { messages: [] }, /messages/);
    bad("completion", { prompt: "x", n: 2 }, /n/);
  });
});

describe("StepBarrier", () => {
  const settled = async (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

  test("a sequence alone goes on at once", async () => {
    const b = new StepBarrier();
    b.join();
    b.requested();
    b.received();
    assert.equal(await settled(b.arrive(), 0), true);
  });

  test("a sequence with its token waits for the others still waiting for theirs, then all go on together", async () => {
    const b = new StepBarrier();
    b.join();
    b.join();
    b.requested();
    b.requested();
    b.received(); // A has its token
    const a = b.arrive();
    let released = false;
    void a.then(() => (released = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(released, false);
    b.received(); // B has its token
    assert.equal(released, false, "released on a later turn, not synchronously");
    assert.equal(await settled(a, 50), true);
  });

  test("a sequence waiting for its first token (prefill) holds no one back", async () => {
    const b = new StepBarrier();
    b.join();
    b.join();
    b.requested(true); // B's prompt is being evaluated
    b.requested();
    b.received(); // A has its token
    assert.equal(await settled(b.arrive(), 50), true);
    b.received(true);
  });

  test("a decode still in flight holds the others until it is back, not for a fixed couple of ms", async () => {
    // A 2 ms release split 4 sequences 3 + 1 for good on a CPU, where a step takes longer than that.
    const b = new StepBarrier();
    b.join();
    b.join();
    b.requested();
    b.requested();
    b.received(); // A has its token; B's decode is still in flight
    const a = b.arrive();
    assert.equal(await settled(a, 30), false, "A went on while B's decode was in flight");
    b.received();
    assert.equal(await settled(a, 50), true);
  });
});
