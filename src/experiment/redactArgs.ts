import { isSecretKey, redact, REDACTED } from "../store/redact.js";

/** Command-line arguments safe to print or store: values of secret-looking flags are masked. */
export function redactArgs(args: string[]): string[] {
  return args.map((a, i) => {
    const eq = /^(--?[^=]+)=(.*)$/.exec(a);
    if (eq && isSecretKey(eq[1].replace(/^-+/, ""))) return `${eq[1]}=${REDACTED}`;
    const prev = args[i - 1];
    if (prev && /^--?[A-Za-z]/.test(prev) && !prev.includes("=") && isSecretKey(prev.replace(/^-+/, ""))) return REDACTED;
    return redact(a);
  });
}
