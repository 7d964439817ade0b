/**
 * How to run this very tokenbench as a child process: this Node, its loader flags (bare `--import`
 * specifiers made absolute, since children may run in another directory) and the CLI script.
 */
export function selfCommand(): { command: string; args: string[] } {
  const flags = process.execArgv.map((a, i, all) => (all[i - 1] === "--import" && /^[a-z@]/i.test(a) && !a.includes(":") ? import.meta.resolve(a) : a));
  return { command: process.execPath, args: [...flags, process.argv[1]] };
}
