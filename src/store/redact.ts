// Secrets must never reach the database, logs or reports. Everything persisted or printed
// about options, env or headers goes through here.

const SECRET_KEY = /(api[-_]?key|token|secret|passw(or)?d|authorization|auth|cookie|credential|bearer)/i;
const SECRET_VALUE = /\b(sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{8,}|Bearer\s+\S+)/g;

export const REDACTED = "[redacted]";

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Deep copy with secret-looking keys replaced and secret-looking values masked. */
export function redact<T>(value: T): T {
  return walk(value) as T;
}

function walk(v: unknown): unknown {
  if (typeof v === "string") return v.replace(SECRET_VALUE, REDACTED);
  if (Array.isArray(v)) return v.map(walk);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = isSecretKey(k) && x !== undefined && x !== null && x !== "" ? REDACTED : walk(x);
    }
    return out;
  }
  return v;
}
