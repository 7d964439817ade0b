import type { GenerationRequest, ProtocolAdapter } from "./types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { str } from "./json.js";
import { OPENAI_STREAM_OPTIONS, openAiStreamHandler, parseOpenAiModels } from "./openaiStream.js";

/** Fields for exact output length on vLLM-style servers (also SGLang, TRT-LLM, Aphrodite, llama.cpp). */
export function openAiExactFields(req: GenerationRequest): Record<string, unknown> {
  return req.exactOutput ? { ignore_eos: true, min_tokens: req.maxTokens } : {};
}

export const openaiCompletionsAdapter: ProtocolAdapter = {
  api: "openai-completions",
  modelsPath: "/v1/models",
  exactOutput: "native",
  parseModels: parseOpenAiModels,
  buildRequest(req) {
    const body = compact({
      model: req.model,
      prompt: req.prompt,
      max_tokens: req.maxTokens,
      temperature: req.temperature ?? 0,
      seed: req.seed,
      stream: true,
      stream_options: OPENAI_STREAM_OPTIONS,
      ...openAiExactFields(req),
    });
    return jsonPost("/v1/completions", mergeBody(body, req.extraBody), ACCEPT_SSE);
  },
  createParser: () => sseJsonParser(openAiStreamHandler((choice) => ({ text: str(choice.text) ?? "", kind: "answer" }))),
};
