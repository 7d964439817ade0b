// LightLLM native API: POST /generate_stream, SSE (`data:` without a space), one event per
// token; `token.count_output_tokens` is a running total and `finished` marks the last event.

import type { ProtocolAdapter, StreamEvent } from "./types.js";
import { ACCEPT_SSE, compact, isGreedy, jsonPost, mergeBody } from "./body.js";
import { sseJsonParser } from "./jsonStream.js";
import { isObject, num, str } from "./json.js";

export const lightllmAdapter: ProtocolAdapter = {
  api: "lightllm",
  exactOutput: "native",
  buildRequest(req) {
    const greedy = isGreedy(req.temperature);
    // No seed knob in LightLLM's SamplingParams; unknown keys are ignored there.
    const parameters = compact({
      max_new_tokens: req.maxTokens,
      do_sample: !greedy,
      temperature: greedy ? undefined : req.temperature,
      ignore_eos: req.exactOutput ? true : undefined,
    });
    return jsonPost("/generate_stream", mergeBody({ inputs: req.prompt, parameters }, req.extraBody), ACCEPT_SSE);
  },
  createParser() {
    let outputTokens = 0;
    let promptTokens: number | undefined;
    return sseJsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const out: StreamEvent[] = [];
        const token = v.token;
        if (isObject(token)) {
          const total = num(token.count_output_tokens);
          // One event is one token; a running total that jumps means several (MTP / speculative).
          const tokens = total !== undefined ? Math.max(1, total - outputTokens) : 1;
          outputTokens = total ?? outputTokens + tokens;
          promptTokens = num(token.prompt_tokens) ?? promptTokens;
          const text = token.special === true ? "" : (str(token.text) ?? "");
          out.push({ type: "content", text, tokens });
        }
        if (v.finished === true) {
          out.push({ type: "usage", completionTokens: outputTokens, promptTokens, source: "lightllm.count_output_tokens" });
          out.push({ type: "done", finishReason: str(v.finish_reason) });
        }
        return out;
      },
    });
  },
};
