// Request-body assembly shared by all adapters.

import type { HttpRequestSpec } from "./types.js";
import { isObject, type JsonObject } from "./json.js";

export const ACCEPT_SSE = "text/event-stream";
export const ACCEPT_NDJSON = "application/x-ndjson";

/**
 * Merges `extra` into `base` (the user's extraBody wins). Plain objects merge recursively so
 * `{"sampling_params":{"top_k":5}}` adds one knob instead of replacing the block; a `null`
 * value removes the field, so a default the target rejects can be dropped.
 */
export function mergeBody(base: JsonObject, extra: JsonObject | undefined): JsonObject {
  if (!extra) return base;
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(extra)) {
    if (v === null) delete out[k];
    else if (isObject(v) && isObject(out[k])) out[k] = mergeBody(out[k] as JsonObject, v);
    else out[k] = v;
  }
  return out;
}

/** Drops undefined fields so optional knobs are absent, not `null`, on the wire. */
export function compact(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

export function jsonPost(path: string, body: JsonObject, accept: string): HttpRequestSpec {
  return {
    method: "POST",
    path,
    headers: { "content-type": "application/json", accept },
    body: JSON.stringify(body),
  };
}

/** Temperature 0 means greedy; APIs that reject 0 (TGI, LightLLM, TRT-LLM) get do_sample=false instead. */
export function isGreedy(temperature: number | undefined): boolean {
  return temperature === undefined || temperature <= 0;
}
