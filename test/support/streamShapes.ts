// Timed stream shapes taken from real servers and peers' public bug reports: each is a list of
// SSE `data:` payloads with the time (ms from the request's start) the server wrote them. The
// same shapes drive the parser-level tests (test/measure/attribution.test.ts) and the scripted
// HTTP server (test/support/scriptedServer.ts, `frames`), so both check the same right values.

export interface TimedFrame {
  atMs: number;
  data: string;
}

const completionChunk = (text: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id: "cmpl-1", object: "text_completion", model: "m", choices: [{ index: 0, text, finish_reason: null }], ...extra });

/**
 * llama.cpp's /v1/completions: 12 one-token chunks without usage, the first at 60 ms, then 20 ms
 * apart with one 200 ms stall before token 7; 1 ms after the last token one object with an empty
 * text, finish_reason and the request's usage (and timings). Right: 12 tokens, ITL p50 20 ms, max 200 ms.
 */
export function llamaCppOpenAiCompletions(): TimedFrame[] {
  const frames: TimedFrame[] = [];
  let t = 60;
  for (let i = 1; i <= 12; i++) {
    if (i > 1) t += i === 7 ? 200 : 20;
    frames.push({ atMs: t, data: completionChunk(` w${i}`) });
  }
  frames.push({
    atMs: t + 1,
    data: JSON.stringify({
      choices: [{ index: 0, text: "", finish_reason: "length" }],
      usage: { prompt_tokens: 10, completion_tokens: 12, total_tokens: 22 },
      timings: { prompt_n: 10, prompt_ms: 50, predicted_n: 12, predicted_ms: 420, predicted_per_token_ms: 35 },
    }),
  });
  frames.push({ atMs: t + 1, data: "[DONE]" });
  return frames;
}

/**
 * openai-chat tool call: a role chunk, `textChunks` plain text chunks, then 10 chunks 20 ms apart whose
 * only output is `tool_calls[0].function.arguments` fragments (the first also has id, type and the
 * function name), then a `choices: []` chunk with the usage. Right: completed, 10 + textChunks tokens,
 * TTFT at the first output chunk, every ITL 20 ms.
 */
export function toolCallChat(textChunks = 0): TimedFrame[] {
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta: d, finish_reason: finish }] });
  const frames: TimedFrame[] = [{ atMs: 30, data: delta({ role: "assistant", content: "" }) }];
  let t = 50;
  for (let i = 0; i < textChunks; i++, t += 20) frames.push({ atMs: t, data: delta({ content: ` word${i}` }) });
  const args = ['{"', "city", '":"', "Par", "is", '","', "unit", '":"', "C", '"}'];
  args.forEach((a, i) => {
    const call = i === 0 ? { index: 0, id: "call_1", type: "function", function: { name: "get_weather", arguments: a } } : { index: 0, function: { arguments: a } };
    frames.push({ atMs: t, data: delta({ tool_calls: [call] }) });
    t += 20;
  });
  frames.push({ atMs: t - 19, data: delta({}, "tool_calls") });
  frames.push({ atMs: t - 18, data: JSON.stringify({ id: "chatcmpl-1", object: "chat.completion.chunk", model: "m", choices: [], usage: { prompt_tokens: 20, completion_tokens: 10 + textChunks, total_tokens: 30 + textChunks } }) });
  frames.push({ atMs: t - 18, data: "[DONE]" });
  return frames;
}

/**
 * /v1/completions without any usage: 40 chunks of " ", then " done", then ".", 20 ms apart from 40 ms.
 * Right: 42 tokens (a chunk with output carries at least one token), TPOT 20 ms.
 */
export function noCounts(): TimedFrame[] {
  const texts = [...Array(40).fill(" "), " done", "."];
  return [...texts.map((text, i) => ({ atMs: 40 + 20 * i, data: completionChunk(text) })), { atMs: 40 + 20 * 41 + 1, data: "[DONE]" }];
}

/**
 * vLLM with include_usage: 15 one-token chunks 20 ms apart from 80 ms (last at 360 ms), then the usage
 * chunk 150 ms after the last token. Right: E2E 360 ms from the request's start, TPOT 20 ms.
 */
export function trailingUsage(): TimedFrame[] {
  const frames = Array.from({ length: 15 }, (_, i) => ({ atMs: 80 + 20 * i, data: completionChunk(" tok") }));
  frames.push({ atMs: 360, data: JSON.stringify({ choices: [{ index: 0, text: "", finish_reason: "length" }] }) });
  frames.push({ atMs: 510, data: JSON.stringify({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 15, total_tokens: 25 } }) });
  frames.push({ atMs: 510, data: "[DONE]" });
  return frames;
}

/**
 * Running totals on every chunk that contradict themselves. `kind`: "down" (a total goes down),
 * "flat" (stays flat while text arrives), "short" (never reaches the final usage). 8 chunks 20 ms
 * apart from 50 ms; final usage 8 (16 for "short"). Right: flagged, and every chunk keeps at least one
 * token at its own time (no pile-up on one chunk).
 */
export function contradictoryTotals(kind: "down" | "flat" | "short"): TimedFrame[] {
  const totals = { down: [1, 2, 3, 2, 5, 6, 7, 8], flat: [1, 2, 2, 2, 2, 6, 7, 8], short: [1, 2, 3, 4, 5, 6, 7, 8] }[kind];
  const final = kind === "short" ? 16 : 8;
  const frames = totals.map((c, i) => ({ atMs: 50 + 20 * i, data: completionChunk(" tok", { usage: { prompt_tokens: 4, completion_tokens: c, total_tokens: 4 + c } }) }));
  frames.push({ atMs: 200, data: JSON.stringify({ choices: [], usage: { prompt_tokens: 4, completion_tokens: final, total_tokens: 4 + final } }) });
  frames.push({ atMs: 200, data: "[DONE]" });
  return frames;
}

export function toSse(frames: readonly TimedFrame[]): string {
  return frames.map((f) => `data: ${f.data}\n\n`).join("");
}

/**
 * A reasoning model on openai-chat (vLLM's reasoning parser): a role chunk, 6 `reasoning_content`
 * chunks then 4 `content` chunks, 20 ms apart from 40 ms, continuous usage on every chunk.
 * Right: 10 tokens, 6 reasoning + 4 answer, time to first answer token at the 7th chunk (160 ms).
 */
export function reasoningChat(): TimedFrame[] {
  const chunk = (delta: Record<string, unknown>, n: number) =>
    JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", model: "m", choices: [{ index: 0, delta, finish_reason: null }], usage: { prompt_tokens: 8, completion_tokens: n, total_tokens: 8 + n } });
  const frames: TimedFrame[] = [{ atMs: 20, data: chunk({ role: "assistant", content: "" }, 0) }];
  for (let i = 0; i < 10; i++) frames.push({ atMs: 40 + 20 * i, data: chunk(i < 6 ? { reasoning_content: ` think${i}` } : { content: ` say${i}` }, i + 1) });
  frames.push({ atMs: 221, data: JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", model: "m", choices: [], usage: { prompt_tokens: 8, completion_tokens: 10, total_tokens: 18 } }) });
  frames.push({ atMs: 221, data: "[DONE]" });
  return frames;
}
