// llama.cpp server native API: POST /completion with stream=true, SSE. Each chunk carries
// `content` and the token ids in `tokens`; the final chunk (stop=true) carries counts and timings.

import type { ProtocolAdapter, StreamEvent } from "./types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, num, numericFields, str } from "./json.js";
import { parseOpenAiModels } from "./openaiStream.js";

export const llamacppAdapter: ProtocolAdapter = {
  api: "llamacpp",
  // llama-server answers OpenAI-style model lists here (`/props` only has model_path).
  modelsPath: "/v1/models",
  exactOutput: "native",
  parseModels: parseOpenAiModels,
  buildRequest(req) {
    const body = compact({
      model: req.model,
      prompt: req.prompt,
      n_predict: req.maxTokens,
      temperature: req.temperature ?? 0,
      seed: req.seed,
      stream: true,
      ignore_eos: req.exactOutput ? true : undefined,
    });
    return jsonPost("/completion", mergeBody(body, req.extraBody), ACCEPT_SSE);
  },
  createParser: () =>
    sseJsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const out: StreamEvent[] = [];
        const text = str(v.content) ?? "";
        // A chunk can hold a token whose text is withheld (incomplete UTF-8) or several (speculative).
        const ids = Array.isArray(v.tokens) ? v.tokens.length : 0;
        if (text.length > 0 || ids > 0) out.push({ type: "content", text, tokens: ids > 0 ? ids : undefined });
        if (v.stop === true) {
          const predicted = num(v.tokens_predicted);
          const evaluated = num(v.tokens_evaluated);
          if (predicted !== undefined || evaluated !== undefined) {
            out.push({ type: "usage", completionTokens: predicted, promptTokens: evaluated, source: "llamacpp.tokens_predicted" });
          }
          if (isObject(v.timings)) out.push({ type: "timings", values: numericFields(v.timings) });
          out.push({ type: "done", finishReason: str(v.stop_type) });
        }
        return out;
      },
    }),
};
