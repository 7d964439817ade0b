// Hugging Face text-generation-inference native streaming: POST /generate_stream, SSE,
// one event per generated token; the last event carries generated_text and details.

import type { ProtocolAdapter, StreamEvent } from "./types.js";
import { ACCEPT_SSE, compact, isGreedy, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, num, str } from "./json.js";

/** TGI reports these in milliseconds (or counts) on non-streaming /generate responses. */
const TGI_HEADERS: Record<string, string> = {
  "x-total-time": "total_time_ms",
  "x-validation-time": "validation_time_ms",
  "x-queue-time": "queue_time_ms",
  "x-inference-time": "inference_time_ms",
  "x-time-per-token": "time_per_token_ms",
  "x-prompt-tokens": "prompt_tokens",
  "x-generated-tokens": "generated_tokens",
};

export function parseTgiHeaders(headers: Record<string, string | string[] | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, raw] of Object.entries(headers)) {
    const key = TGI_HEADERS[name.toLowerCase()];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!key || value === undefined || value.trim() === "") continue;
    const n = Number(value);
    if (Number.isFinite(n)) out[key] = n;
  }
  return out;
}

export const tgiAdapter: ProtocolAdapter = {
  api: "tgi",
  modelsPath: "/info",
  // GenerateParameters has no ignore_eos / min_new_tokens: only max_new_tokens.
  exactOutput: "unsupported",
  parseModels: (body) => {
    const id = isObject(body) ? str(body.model_id) : undefined;
    return id ? [id] : [];
  },
  parseHeaders: parseTgiHeaders,
  buildRequest(req) {
    const greedy = isGreedy(req.temperature);
    const parameters = compact({
      max_new_tokens: req.maxTokens,
      // TGI rejects temperature 0 ("must be strictly positive"); greedy is do_sample=false.
      do_sample: !greedy,
      temperature: greedy ? undefined : req.temperature,
      seed: req.seed,
      details: true,
    });
    return jsonPost("/generate_stream", mergeBody({ inputs: req.prompt, parameters }, req.extraBody), ACCEPT_SSE);
  },
  createParser: () =>
    sseJsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const out: StreamEvent[] = [];
        const token = v.token;
        if (isObject(token)) {
          // Special tokens (EOS) count as generated but their text is not part of the output.
          const text = token.special === true ? "" : (str(token.text) ?? "");
          out.push({ type: "content", text, tokens: 1 });
        }
        const details = isObject(v.details) ? v.details : undefined;
        if (details) {
          out.push({
            type: "usage",
            completionTokens: num(details.generated_tokens),
            // `input_length` in TGI >= 2.1, `prompt_tokens` in some forks; absent in older releases.
            promptTokens: num(details.input_length) ?? num(details.prompt_tokens),
            source: "tgi.details",
          });
        }
        if (details || typeof v.generated_text === "string") {
          out.push({ type: "done", finishReason: details ? str(details.finish_reason) : undefined });
        }
        return out;
      },
    }),
};
