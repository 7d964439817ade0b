// Small, total helpers for reading untrusted JSON from servers: they never throw,
// they answer undefined when a field is missing or has the wrong type.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

const MAX_MESSAGE = 300;

/** Keeps error text one line and short: it ends up in per-request records. */
export function shortText(s: string, max = MAX_MESSAGE): string {
  const oneLine = s.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/**
 * The message of an in-stream error object, or undefined when the payload is not one.
 * Covers OpenAI `{"error":{...}}`, vLLM `{"object":"error",...}`, TGI `{"error":"..","error_type":".."}`,
 * Ollama/Triton `{"error":".."}`, llama.cpp `{"error":{"code","message","type"}}`.
 */
export function errorMessageOf(v: unknown): string | undefined {
  if (!isObject(v)) return undefined;
  const e = v.error;
  if (e !== undefined && e !== null && e !== false) {
    if (typeof e === "string") {
      const kind = str(v.error_type);
      return shortText(kind ? `${kind}: ${e}` : e);
    }
    if (isObject(e)) return shortText(str(e.message) ?? JSON.stringify(e));
    return shortText(String(e));
  }
  if (v.object === "error") return shortText(str(v.message) ?? "server reported an error");
  return undefined;
}

/** Keeps only the finite numeric fields of an object (server timings blocks). */
export function numericFields(v: JsonObject, suffix = ""): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = num(x);
    if (n !== undefined) out[k + suffix] = n;
  }
  return out;
}
