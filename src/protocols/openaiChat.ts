import type { ProtocolAdapter } from "../types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, str, type JsonObject } from "./json.js";
import { openAiExactFields } from "./openaiCompletions.js";
import { OPENAI_STREAM_OPTIONS, openAiStreamHandler, parseOpenAiModels } from "./openaiStream.js";

/**
 * Reasoning models stream their thinking in `reasoning_content` (vLLM < 0.10, SGLang, llama.cpp)
 * or `reasoning` (newer vLLM, Ollama /v1); those are generated tokens and count like content.
 */
function deltaText(choice: JsonObject): string {
  const d = choice.delta;
  if (!isObject(d)) return "";
  // Some servers fill both names with the same text; take one.
  return (str(d.reasoning_content) || str(d.reasoning) || "") + (str(d.content) ?? "");
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
