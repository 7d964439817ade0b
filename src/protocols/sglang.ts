// SGLang native API: POST /generate with stream=true, SSE ending in `data: [DONE]`.
// `text` is cumulative unless the server runs with --incremental-streaming-output;
// `meta_info.completion_tokens` is a running total either way.

import type { ProtocolAdapter, StreamEvent } from "./types.js";
import { ACCEPT_SSE, compact, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, num, str } from "./json.js";
import { createTextTracker } from "./streamText.js";

function finishReasonOf(fr: unknown): string | undefined {
  return isObject(fr) ? str(fr.type) : str(fr);
}

export const sglangAdapter: ProtocolAdapter = {
  api: "sglang",
  modelsPath: "/get_model_info",
  exactOutput: "native",
  parseModels: (body) => {
    const id = isObject(body) ? str(body.model_path) : undefined;
    return id ? [id] : [];
  },
  buildRequest(req) {
    // SamplingParams(**sampling_params) rejects unknown keys, so only documented ones go here.
    const sampling_params = compact({
      max_new_tokens: req.maxTokens,
      temperature: req.temperature ?? 0,
      ignore_eos: req.exactOutput ? true : undefined,
      min_new_tokens: req.exactOutput ? req.maxTokens : undefined,
      sampling_seed: req.seed,
    });
    return jsonPost("/generate", mergeBody({ text: req.prompt, sampling_params, stream: true }, req.extraBody), ACCEPT_SSE);
  },
  createParser() {
    const text = createTextTracker();
    let usage: StreamEvent | undefined;
    let usageSent = false;
    let finishReason: string | undefined;
    const flushUsage = (): StreamEvent[] => {
      if (!usage || usageSent) return [];
      usageSent = true;
      return [usage];
    };
    return sseJsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const out: StreamEvent[] = [];
        const meta = isObject(v.meta_info) ? v.meta_info : {};
        const delta = text.next(str(v.text) ?? "");
        // completion_tokens is a running total; attribution turns it into per-chunk counts.
        const completionTokens = num(meta.completion_tokens);
        if (delta.length > 0 || completionTokens !== undefined) out.push({ type: "content", text: delta, cumulative: completionTokens });
        const promptTokens = num(meta.prompt_tokens);
        if (completionTokens !== undefined || promptTokens !== undefined) {
          const cached = num(meta.cached_tokens);
          usage = { type: "usage", completionTokens, promptTokens, ...(cached !== undefined ? { cachedPromptTokens: cached } : {}), source: "sglang.meta_info" };
          usageSent = false;
        }
        const fr = finishReasonOf(meta.finish_reason);
        if (fr) {
          finishReason = fr;
          out.push(...flushUsage());
          const e2e = num(meta.e2e_latency);
          if (e2e !== undefined) out.push({ type: "timings", values: { e2e_latency_ms: e2e * 1000 } });
        }
        return out;
      },
      doneSentinel: () => [...flushUsage(), { type: "done", finishReason }],
      end: flushUsage,
    });
  },
};
