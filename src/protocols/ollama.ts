// Ollama native API: POST /api/generate, NDJSON; the last line has done=true with counts
// and durations in nanoseconds.

import type { ProtocolAdapter, StreamEvent } from "./types.js";
import { ACCEPT_NDJSON, compact, jsonPost, mergeBody } from "./body.js";
import { ndjsonParser } from "./jsonStream.js";
import { isObject, num, str } from "./json.js";

const DURATIONS_NS = ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const;

export const ollamaAdapter: ProtocolAdapter = {
  api: "ollama",
  modelsPath: "/api/tags",
  // Ollama has num_predict (a maximum) but no ignore_eos / min tokens option.
  exactOutput: "unsupported",
  parseModels: (body) => {
    const list = isObject(body) && Array.isArray(body.models) ? body.models : [];
    return list.flatMap((m) => {
      const id = isObject(m) ? (str(m.name) ?? str(m.model)) : undefined;
      return id ? [id] : [];
    });
  },
  buildRequest(req) {
    const body = compact({
      model: req.model,
      prompt: req.prompt,
      stream: true,
      // raw: the prompt goes to the model as is, like /completion on the other servers
      // (no chat template), so input lengths match the workload's count.
      raw: true,
      options: compact({ num_predict: req.maxTokens, temperature: req.temperature ?? 0, seed: req.seed }),
    });
    return jsonPost("/api/generate", mergeBody(body, req.extraBody), ACCEPT_NDJSON);
  },
  createParser: () =>
    ndjsonParser({
      payload(v) {
        if (!isObject(v)) return [];
        const out: StreamEvent[] = [];
        // Thinking models stream `thinking` before `response`; both are generated tokens.
        const thinking = str(v.thinking) ?? "";
        const response = str(v.response) ?? "";
        const text = thinking + response;
        if (text.length > 0) out.push(response ? { type: "content", text } : { type: "content", text, kind: "reasoning" });
        if (v.done === true) {
          const completion = num(v.eval_count);
          const prompt = num(v.prompt_eval_count);
          if (completion !== undefined || prompt !== undefined) {
            out.push({ type: "usage", completionTokens: completion, promptTokens: prompt, source: "ollama.eval_count" });
          }
          const values: Record<string, number> = {};
          for (const name of DURATIONS_NS) {
            const ns = num(v[name]);
            if (ns !== undefined) values[`${name}_ms`] = ns / 1e6;
          }
          if (Object.keys(values).length > 0) out.push({ type: "timings", values });
          out.push({ type: "done", finishReason: str(v.done_reason) });
        }
        return out;
      },
    }),
};
