// NVIDIA Triton with the TensorRT-LLM backend, generate extension:
// POST /v2/models/<model>/generate_stream, SSE with `text_output`. The stock `ensemble`
// streams one delta per response; the BLS model with accumulate_tokens streams cumulative
// text. No token counts or end marker are sent: the stream just ends.

import type { ProtocolAdapter } from "./types.js";
import { ACCEPT_SSE, compact, isGreedy, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject } from "./json.js";
import { createTextTracker } from "./streamText.js";

export const DEFAULT_TRITON_MODEL = "ensemble";

function textOutput(v: unknown): string {
  if (typeof v === "string") return v;
  // A batch dimension can turn the string tensor into an array.
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").join("");
  return "";
}

export const tritonAdapter: ProtocolAdapter = {
  api: "triton",
  exactOutput: "native",
  buildRequest(req) {
    const body = compact({
      text_input: req.prompt,
      max_tokens: req.maxTokens,
      // Older ensembles declare these inputs as required; empty means none.
      bad_words: "",
      stop_words: "",
      stream: true,
      // TRT-LLM samples greedily when no temperature/top_k/top_p is given.
      temperature: isGreedy(req.temperature) ? undefined : req.temperature,
      random_seed: req.seed,
      min_length: req.exactOutput ? req.maxTokens : undefined,
    });
    const model = encodeURIComponent(req.model ?? DEFAULT_TRITON_MODEL);
    return jsonPost(`/v2/models/${model}/generate_stream`, mergeBody(body, req.extraBody), ACCEPT_SSE);
  },
  createParser() {
    const text = createTextTracker();
    return sseJsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const delta = text.next(textOutput(v.text_output));
        return delta.length > 0 ? [{ type: "content", text: delta }] : [];
      },
    });
  },
};
