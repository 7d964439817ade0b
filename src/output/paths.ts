import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "../errors.js";

// Output paths are checked before the work that fills them: a run must not measure for an hour
// and then lose its results to a typo in --json.

function nearestExisting(p: string): string {
  let dir = p;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

function writableDir(dir: string, what: string): void {
  const at = nearestExisting(dir);
  if (!statSync(at).isDirectory()) throw new UsageError(`${what}: ${at} is not a directory`);
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${what}: directory ${at} is not writable`);
  }
}

/** Throws a UsageError naming `flag` unless a file can be written at `path` (parents are created later). */
export function checkOutputFile(path: string, flag: string): void {
  const abs = resolve(path);
  const what = `${flag} ${path}`;
  if (existsSync(abs)) {
    if (statSync(abs).isDirectory()) throw new UsageError(`${what}: is a directory`);
  }
  writableDir(dirname(abs), what);
}

/** Throws a UsageError naming `flag` unless files can be written into directory `path`. */
export function checkOutputDir(path: string, flag: string): void {
  writableDir(resolve(path), `${flag} ${path}`);
}
