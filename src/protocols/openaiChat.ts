import type { ProtocolAdapter } from "../types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, str, type JsonObject } from "./json.js";
import { openAiExactFields } from "./openaiCompletions.js";
import { OPENAI_STREAM_OPTIONS, openAiStreamHandler, parseOpenAiModels } from "./openaiStream.js";

/**
 * Generated text of one chat delta. Reasoning models stream their thinking in `reasoning_content`
 * (vLLM < 0.10, SGLang, llama.cpp) or `reasoning` (newer vLLM, Ollama /v1); tool calls stream the
 * function name and argument fragments in `tool_calls[].function` (`function_call` in the legacy
 * API). All of them are generated tokens and count like content.
 */
export function deltaText(choice: JsonObject): string {
  const d = choice.delta;
  if (!isObject(d)) return "";
  // Some servers fill both reasoning names with the same text; take one.
  let text = (str(d.reasoning_content) || str(d.reasoning) || "") + (str(d.content) ?? "");
  const calls = Array.isArray(d.tool_calls) ? d.tool_calls : isObject(d.function_call) ? [{ function: d.function_call }] : [];
  for (const call of calls) {
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
    if (fn) text += (str(fn.name) ?? "") + (str(fn.arguments) ?? "");
  }
  return text;
}

export const openaiChatAdapter: ProtocolAdapter = {
  api: "openai-chat",
  modelsPath: "/v1/models",
  exactOutput: "native",
  parseModels: parseOpenAiModels,
  buildRequest(req) {
    const body = compact({
      model: req.model,
      messages: [{ role: "user", content: req.prompt }],
      // max_tokens rather than max_completion_tokens: every OpenAI-compatible server accepts it.
      max_tokens: req.maxTokens,
      temperature: req.temperature ?? 0,
      seed: req.seed,
      stream: true,
      stream_options: OPENAI_STREAM_OPTIONS,
      ...openAiExactFields(req),
    });
    return jsonPost("/v1/chat/completions", mergeBody(body, req.extraBody), ACCEPT_SSE);
  },
  createParser: () => sseJsonParser(openAiStreamHandler(deltaText)),
};
