/**
 * Invalid input from the user (options, files, presets). The CLI prints it as one line and
 * exits with code 2; library callers can tell it apart from faults of the server under test.
 */
export class UsageError extends Error {
  readonly exitCode = 2;
}
