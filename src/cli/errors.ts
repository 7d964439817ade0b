/** A user mistake: printed as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  readonly exitCode = 2;
}
