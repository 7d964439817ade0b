// Secrets must never reach the database, logs or reports. Everything persisted or printed
// about options, env, headers or command lines goes through here.

// Judged on the key's last word, so `api_key`, `hf_token`, `Authorization`, `x-api-key` or
// `clientSecret` are secrets while `tokenizer`, `max_tokens` or `eos_token_id` are not.
const SECRET_LAST_WORD = new Set(["token", "secret", "password", "passwd", "pwd", "authorization", "auth", "cookie", "credential", "credentials", "bearer", "apikey"]);
const SECRET_KEY_QUALIFIERS = new Set(["api", "access", "private", "secret", "auth"]);
const SECRET_VALUE = /\b(sk-[A-Za-z0-9_-]{8,}|hf_[A-Za-z0-9]{8,}|(?:Bearer|Basic)\s+\S+)/g;
/** CLI flags whose next argument is a secret (or may carry one, for headers). */
const SECRET_FLAGS = new Set(["--api-key", "-H", "--header"]);

export const REDACTED = "[redacted]";

export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words[words.length - 1];
  if (!last) return false;
  if (SECRET_LAST_WORD.has(last)) return true;
  return last === "key" && words.length > 1 && SECRET_KEY_QUALIFIERS.has(words[words.length - 2]);
}

/** Deep copy with secret-looking keys replaced and secret-looking values masked. */
export function redact<T>(value: T): T {
  return walk(value) as T;
}

/** A command line safe to store: values of secret flags and secret-looking words masked. */
export function redactArgv(argv: string[]): string[] {
  return argv.map((a, i) => {
    if (i > 0 && SECRET_FLAGS.has(argv[i - 1])) return REDACTED;
    const eq = a.indexOf("=");
    if (eq > 0 && SECRET_FLAGS.has(a.slice(0, eq))) return `${a.slice(0, eq)}=${REDACTED}`;
    // The attached short form: -H"X-Api-Key: value" arrives as one word "-HX-Api-Key: value".
    if (a.length > 2 && a.startsWith("-H") && a[2] !== "-") return `-H${REDACTED}`;
    return a.replace(SECRET_VALUE, REDACTED);
  });
}

/** Shorter values are not masked on their own: "1" or "json" would blank innocent text. */
const MIN_SECRET_VALUE = 6;

/**
 * The values the user handed us for requests (every extra header's value, and the token of an
 * `Authorization: Bearer ...` alone), as literal strings to mask wherever they show up: a server
 * may echo them in an error body, whatever their shape.
 */
export function secretValues(headers: Record<string, string>): string[] {
  const out = new Set<string>();
  for (const v of Object.values(headers)) {
    const value = v.trim();
    if (value.length >= MIN_SECRET_VALUE) out.add(value);
    const token = /^(?:Bearer|Basic|Token)\s+(\S+)$/i.exec(value)?.[1];
    if (token && token.length >= MIN_SECRET_VALUE) out.add(token);
  }
  // Longest first, so a value containing another is masked whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/** `s` with every occurrence of each value masked (then the shape-based masking of redact()). */
export function redactValues(s: string, values: readonly string[]): string {
  let out = s;
  for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
  return out.replace(SECRET_VALUE, REDACTED);
}

/** Lines longer than this are masked and passed on in pieces (a secret cut at such a piece's edge is not matched). */
const MASK_LINE_MAX = 64 * 1024;

/**
 * Masks a stream of text (a process's output on its way to a log file) line by line: `push`
 * returns the complete lines seen so far, masked with redactValues; `end` the rest. Lines are the
 * unit so that a secret split between two reads is still matched.
 */
export function lineMasker(values: readonly string[]): { push(chunk: string): string; end(): string } {
  let pending = "";
  return {
    push(chunk) {
      pending += chunk;
      const cut = pending.lastIndexOf("\n");
      if (cut < 0 && pending.length < MASK_LINE_MAX) return "";
      const upto = cut < 0 ? pending.length : cut + 1;
      const out = redactValues(pending.slice(0, upto), values);
      pending = pending.slice(upto);
      return out;
    },
    end() {
      const out = redactValues(pending, values);
      pending = "";
      return out;
    },
  };
}

/**
 * The secrets of a launched process, as literal values to mask in its log: values of
 * secret-named environment variables (HF_TOKEN, ...), of secret flags in its arguments
 * (`--api-key X`, `--hf-token=X`), and the user's API key.
 */
export function processSecretValues(env: Record<string, string>, args: readonly string[], apiKey?: string): string[] {
  const found: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (isSecretKey(k)) found[`env:${k}`] = v;
  args.forEach((a, i) => {
    const eq = /^(--?[^=]+)=(.*)$/.exec(a);
    if (eq && isSecretKey(eq[1].replace(/^-+/, ""))) found[`arg:${i}`] = eq[2];
    const prev = args[i - 1];
    if (prev && /^--?[A-Za-z]/.test(prev) && !prev.includes("=") && isSecretKey(prev.replace(/^-+/, ""))) found[`arg:${i}`] = a;
  });
  if (apiKey) found.authorization = `Bearer ${apiKey}`;
  return secretValues(found);
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
