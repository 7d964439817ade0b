// Stream handling shared by /v1/completions and /v1/chat/completions (vLLM, SGLang,
// TensorRT-LLM trtllm-serve, Aphrodite, llama.cpp server, Ollama /v1, TGI Messages API).

import type { OutputKind, StreamEvent } from "./types.js";
import type { PayloadHandler } from "./jsonStream.js";
import { isObject, num, numericFields, str, type JsonObject } from "./json.js";

/** vLLM's continuous_usage_stats makes every chunk carry a running total, hence exact per-chunk counts. */
export const OPENAI_STREAM_OPTIONS = { include_usage: true, continuous_usage_stats: true };

/** Generated output of one choice: its text and what kind of output it is. */
export interface ChoiceOutput {
  text: string;
  kind: OutputKind;
}

/** The choice with index 0 (or no index), without building arrays per token event. */
function firstChoice(choices: unknown): JsonObject | undefined {
  if (!Array.isArray(choices)) return undefined;
  for (const c of choices) if (isObject(c) && (num(c.index) ?? 0) === 0) return c;
  return undefined;
}

export function openAiStreamHandler(outputOf: (choice: JsonObject) => ChoiceOutput): PayloadHandler {
  let finishReason: string | undefined;
  return {
    payload(v) {
      if (!isObject(v)) return [];
      const out: StreamEvent[] = [];
      const choice = firstChoice(v.choices);
      const usage = isObject(v.usage) ? v.usage : undefined;
      if (choice) {
        const { text, kind } = outputOf(choice);
        // Usage on a choice chunk is a running total as of this chunk (vLLM continuous usage), or,
        // on llama.cpp's last chunk, the request's total: attribution (src/measure/attribution.ts)
        // tells them apart, so pass it on as a total, never as this chunk's count.
        const cumulative = num(usage?.completion_tokens);
        if (text.length > 0 || cumulative !== undefined) out.push(kind === "answer" ? { type: "content", text, cumulative } : { type: "content", text, cumulative, kind });
        const fr = str(choice.finish_reason);
        if (fr && fr !== finishReason) {
          finishReason = fr;
          // Said at once: a stream cut before [DONE] keeps its stop reason.
          out.push({ type: "finish", reason: fr });
        }
      }
      // Running totals (continuous usage) and the final usage chunk alike: the last one wins.
      if (usage) {
        // vLLM (--enable-prompt-tokens-details) and OpenAI: prompt tokens served from the prefix cache.
        const cached = isObject(usage.prompt_tokens_details) ? num(usage.prompt_tokens_details.cached_tokens) : undefined;
        out.push({
          type: "usage",
          promptTokens: num(usage.prompt_tokens),
          completionTokens: num(usage.completion_tokens),
          ...(cached !== undefined ? { cachedPromptTokens: cached } : {}),
          source: "openai.usage",
        });
      }
      // llama.cpp adds its native timings block to the last OpenAI-style chunk.
      if (isObject(v.timings)) out.push({ type: "timings", values: numericFields(v.timings) });
      return out;
    },
    doneSentinel: () => [{ type: "done", finishReason }],
  };
}

export function parseOpenAiModels(body: unknown): string[] {
  if (!isObject(body)) return [];
  const list = Array.isArray(body.data) ? body.data : Array.isArray(body.models) ? body.models : [];
  return list.flatMap((m) => {
    if (!isObject(m)) return [];
    const id = str(m.id) ?? str(m.model) ?? str(m.name);
    return id ? [id] : [];
  });
}
