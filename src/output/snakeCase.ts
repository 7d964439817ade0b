// Every JSON file tokenbench writes uses snake_case keys, as vLLM's and AIPerf's outputs do
// (docs/metrics.md); in-memory objects keep TypeScript's camelCase. Converted at the edge, here.

/** "outputTokensPerS" -> "output_tokens_per_s", "e2eP50Ms" -> "e2e_p50_ms"; snake_case stays as is. */
export function snakeKey(k: string): string {
  return k.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * A copy with snake_case keys. `deep`: nested plain objects and arrays too; otherwise only the
 * top level (keys nested below, e.g. server timings named by the server, are kept as sent).
 */
export function snakeKeys<T>(v: T, deep = false): unknown {
  if (Array.isArray(v)) return deep ? v.map((x) => snakeKeys(x, true)) : v;
  if (!v || typeof v !== "object" || Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[snakeKey(k)] = deep ? snakeKeys(x, true) : x;
  return out;
}
