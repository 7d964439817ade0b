import type { ProtocolAdapter } from "./types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, str, type JsonObject } from "./json.js";
import { openAiExactFields } from "./openaiCompletions.js";
import { OPENAI_STREAM_OPTIONS, openAiStreamHandler, parseOpenAiModels, type ChoiceOutput } from "./openaiStream.js";

/**
 * Generated text of one chat delta. Reasoning models stream their thinking in `reasoning_content`
 * (vLLM < 0.10, SGLang, llama.cpp) or `reasoning` (newer vLLM, Ollama /v1); tool calls stream the
 * function name and argument fragments in `tool_calls[].function` (`function_call` in the legacy
 * API). All of them are generated tokens and count like content.
 */
export function deltaOutput(choice: JsonObject): ChoiceOutput {
  const d = choice.delta;
  if (!isObject(d)) return { text: "", kind: "answer" };
  // Some servers fill both reasoning names with the same text; take one.
  const reasoning = str(d.reasoning_content) || str(d.reasoning) || "";
  const content = str(d.content) ?? "";
  let call = "";
  const calls = Array.isArray(d.tool_calls) ? d.tool_calls : isObject(d.function_call) ? [{ function: d.function_call }] : [];
  for (const c of calls) {
    const fn = isObject(c) && isObject(c.function) ? c.function : undefined;
    if (fn) call += (str(fn.name) ?? "") + (str(fn.arguments) ?? "");
  }
  // A chunk mixing kinds (the reasoning-to-answer boundary) counts as the later kind.
  const kind = content ? "answer" : call ? "tool_call" : reasoning ? "reasoning" : "answer";
  return { text: reasoning + content + call, kind };
}

export const openaiChatAdapter: ProtocolAdapter = {
  api: "openai-chat",
  modelsPath: "/v1/models",
  exactOutput: "native",
  parseModels: parseOpenAiModels,
  buildRequest(req) {
    const body = compact({
      model: req.model,
      messages: req.messages ?? [{ role: "user", content: req.prompt }],
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
  createParser: () => sseJsonParser(openAiStreamHandler(deltaOutput)),
};
