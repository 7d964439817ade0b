// The embedded server on the tiny preset: response shapes, exact lengths, usage, sampling options, errors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEmbeddedServer, type EmbeddedServer } from "../../src/engine/index.js";
import { getAdapter } from "../../src/protocols/index.js";
import type { StreamEvent } from "../../src/protocols/types.js";
import { loadTokenizer, type Tokenizer } from "../../src/workload/tokenizer.js";
import { postJson, postStream, useTempHome } from "./helpers.js";

const CONTEXT = 512;

function parseWithAdapter(api: "openai-completions" | "openai-chat", raw: string): StreamEvent[] {
  const parser = getAdapter(api).createParser();
  // Feed in small pieces, as a network would deliver them.
  const events: StreamEvent[] = [];
  for (let i = 0; i < raw.length; i += 37) events.push(...parser.feed(raw.slice(i, i + 37)));
  events.push(...parser.end());
  return events;
}

describe("embedded server (tiny preset)", () => {
  let env: ReturnType<typeof useTempHome>;
  let server: EmbeddedServer;
  let url: string;
  /** The client tokenizer of the tiny preset's vocabulary: counts prompts as the engine does. */
  let tok: Tokenizer;
  before(async () => {
    env = useTempHome();
    tok = await loadTokenizer("mistral");
    server = await startEmbeddedServer({ preset: "tiny", parallel: 2, context: CONTEXT });
    url = server.url;
  });
  after(async () => {
    await server.close();
    env.cleanup();
  });

  test("binds loopback; /health and /v1/models", async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const h = await fetch(`${url}/health`);
    assert.equal(h.status, 200);
    const models = (await (await fetch(`${url}/v1/models`)).json()) as any;
    assert.equal(models.object, "list");
    assert.equal(models.data[0].id, "tokenbench-tiny");
    assert.equal(models.data[0].id, server.modelName);
    assert.equal(models.data[0].max_model_len, CONTEXT);
  });

  test("streamed completion: exact length, one token per chunk, usage equal to tokens streamed", async () => {
    const prompt = "The quick brown fox";
    const r = await postStream(`${url}/v1/completions`, {
      model: "tokenbench-tiny",
      prompt,
      max_tokens: 60,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    assert.equal(r.status, 200);
    assert.match(r.contentType ?? "", /^text\/event-stream/);
    assert.equal(r.done, true);
    const content = r.frames.filter((f) => f.choices.length === 1 && f.choices[0].finish_reason === null);
    const final = r.frames.filter((f) => f.choices.length === 1 && f.choices[0].finish_reason !== null);
    const usageOnly = r.frames.filter((f) => f.choices.length === 0);
    assert.equal(content.length, 60);
    for (const [i, f] of content.entries()) {
      assert.equal(f.object, "text_completion");
      assert.equal(f.choices[0].index, 0);
      assert.equal(f.choices[0].logprobs, null);
      assert.ok(f.choices[0].text.length > 0, "every token is text of its own");
      assert.equal(f.usage.completion_tokens, i + 1);
      assert.equal(f.id, r.frames[0].id);
    }
    assert.equal(final.length, 1);
    assert.equal(final[0].choices[0].finish_reason, "length");
    assert.equal(usageOnly.length, 1);
    // the client tokenizer's count plus BOS
    const promptTokens = tok.count(prompt) + 1;
    assert.deepEqual(usageOnly[0].usage, { prompt_tokens: promptTokens, completion_tokens: 60, total_tokens: promptTokens + 60 });
    assert.equal(r.frames.at(-1), usageOnly[0]);

    const events = parseWithAdapter("openai-completions", r.raw);
    // one content event with text per token; the finish chunk's running total is the request's
    const contentEvents = events.flatMap((e) => (e.type === "content" ? [e] : []));
    assert.equal(contentEvents.filter((e) => e.text.length > 0).length, 60);
    assert.equal(contentEvents.at(-1)?.cumulative, 60);
    const usage = events.filter((e) => e.type === "usage").at(-1);
    assert.equal(usage?.type === "usage" && usage.completionTokens, 60);
    assert.equal(events.at(-1)?.type, "done");
  });

  test("streamed chat: role chunk first, deltas, finish and usage; the openai-chat adapter counts every token", async () => {
    const r = await postStream(`${url}/v1/chat/completions`, {
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 40,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true, continuous_usage_stats: true },
    });
    assert.equal(r.status, 200);
    assert.equal(r.frames[0].object, "chat.completion.chunk");
    assert.deepEqual(r.frames[0].choices[0].delta, { role: "assistant", content: "" });
    const deltas = r.frames.slice(1).filter((f) => f.choices[0]?.delta?.content);
    assert.equal(deltas.length, 40);
    const finish = r.frames.find((f) => f.choices[0]?.finish_reason);
    assert.equal(finish.choices[0].finish_reason, "length");
    assert.deepEqual(finish.choices[0].delta, {});
    const usage = r.frames.at(-1).usage;
    assert.equal(usage.completion_tokens, 40);
    assert.equal(usage.prompt_tokens, tok.count("user: hello\nassistant: ") + 1);
    const events = parseWithAdapter("openai-chat", r.raw);
    const text = events.map((e) => (e.type === "content" ? e.text : "")).join("");
    assert.equal(text, deltas.map((f) => f.choices[0].delta.content).join(""));
    assert.equal(events.filter((e) => e.type === "content" && e.text.length > 0).length, 40);
  });

  test("non-streamed completion and chat bodies", async () => {
    const c = await postJson(`${url}/v1/completions`, { prompt: "abc", max_tokens: 25, ignore_eos: true });
    assert.equal(c.status, 200);
    assert.equal(c.json.object, "text_completion");
    assert.ok(c.json.choices[0].text.length >= 25, "every token is at least one character");
    assert.equal(c.json.choices[0].finish_reason, "length");
    const promptTokens = tok.count("abc") + 1;
    assert.deepEqual(c.json.usage, { prompt_tokens: promptTokens, completion_tokens: 25, total_tokens: promptTokens + 25 });
    const chat = await postJson(`${url}/v1/chat/completions`, { messages: [{ role: "user", content: "x" }], max_tokens: 12, ignore_eos: true });
    assert.equal(chat.status, 200);
    assert.equal(chat.json.object, "chat.completion");
    assert.equal(chat.json.choices[0].message.role, "assistant");
    assert.ok(chat.json.choices[0].message.content.length >= 12);
    assert.equal(chat.json.usage.completion_tokens, 12);
  });

  test("exact lengths with min_tokens, and without it too: the generated model's weights keep EOS out", async () => {
    const N = 400;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const free = await Promise.all(seeds.map((seed) => postJson(`${url}/v1/completions`, { prompt: "s", max_tokens: N, temperature: 1, seed })));
    for (const r of free) {
      assert.equal(r.json.usage.completion_tokens, N);
      assert.equal(r.json.choices[0].finish_reason, "length");
    }
    const exact = await Promise.all(seeds.map((seed) => postJson(`${url}/v1/completions`, { prompt: "s", max_tokens: N, min_tokens: N, temperature: 1, seed })));
    for (const r of exact) {
      assert.equal(r.json.usage.completion_tokens, N);
      assert.ok(r.json.choices[0].text.length >= N);
      assert.equal(r.json.choices[0].finish_reason, "length");
    }
  });

  test("greedy decoding gives exact lengths; a seed makes sampling repeatable", async () => {
    const g = await postJson(`${url}/v1/completions`, { prompt: "greedy", max_tokens: 80, temperature: 0, ignore_eos: true });
    assert.equal(g.json.usage.completion_tokens, 80);
    const a = await postJson(`${url}/v1/completions`, { prompt: "seeded", max_tokens: 50, temperature: 1, seed: 42, ignore_eos: true });
    const b = await postJson(`${url}/v1/completions`, { prompt: "seeded", max_tokens: 50, temperature: 1, seed: 42, ignore_eos: true });
    const c = await postJson(`${url}/v1/completions`, { prompt: "seeded", max_tokens: 50, temperature: 1, seed: 43, ignore_eos: true });
    assert.equal(a.json.choices[0].text, b.json.choices[0].text);
    assert.notEqual(a.json.choices[0].text, c.json.choices[0].text);
  });

  test("stop strings end the output before the stop string", async () => {
    const body = { prompt: "stop test", max_tokens: 120, temperature: 1, seed: 7, ignore_eos: true };
    const full = (await postJson(`${url}/v1/completions`, body)).json.choices[0].text as string;
    const stop = full.slice(60, 63);
    const expected = full.slice(0, full.indexOf(stop));
    const s = await postStream(`${url}/v1/completions`, { ...body, stop: [stop], stream: true });
    const text = s.frames.map((f) => f.choices[0]?.text ?? "").join("");
    assert.equal(text, expected);
    assert.equal(s.frames.at(-1).choices[0].finish_reason, "stop");
  });

  test("errors: malformed JSON, bad fields, prompt over the context, unknown model and route", async () => {
    const isError = (r: { status: number; json: any }, status: number, re: RegExp) => {
      assert.equal(r.status, status);
      assert.equal(r.json.error.code, status);
      assert.equal(typeof r.json.error.type, "string");
      assert.match(r.json.error.message, re);
    };
    isError(await postJson(`${url}/v1/completions`, "{not json"), 400, /malformed JSON/);
    isError(await postJson(`${url}/v1/completions`, { max_tokens: 4 }), 400, /prompt/);
    // "x x ... x": one token per word
    const words = (n: number) => Array(n).fill("x").join(" ");
    assert.equal(tok.count(words(CONTEXT)), CONTEXT);
    isError(await postJson(`${url}/v1/completions`, { prompt: words(CONTEXT + 10), max_tokens: 4 }), 400, /context/);
    isError(await postJson(`${url}/v1/completions`, { prompt: words(CONTEXT - 10), max_tokens: 100 }), 400, /exceeds the context/);
    isError(await postJson(`${url}/v1/chat/completions`, { model: "gpt-4", messages: [{ role: "user", content: "x" }] }), 404, /gpt-4/);
    isError(await postJson(`${url}/v1/nothing`, {}), 404, /no route/);
    const get = await fetch(`${url}/v1/completions`);
    assert.equal(get.status, 405);
    // still serving after all that
    const ok = await postJson(`${url}/v1/completions`, { prompt: "x", max_tokens: 3, ignore_eos: true });
    assert.equal(ok.json.usage.completion_tokens, 3);
  });
});
