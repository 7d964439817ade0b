import { accessSync, closeSync, constants, existsSync, openSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { isSpecialFile, outputTarget } from "./atomicWrite.js";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "../errors.js";

// Output paths are checked before the work that fills them: a run must not measure for an hour
// and then lose its results to a typo in --json.

function nearestExisting(p: string): string {
  let dir = p;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/**
 * A file can really be created in `dir` (or its nearest existing ancestor, when the missing part
 * is created later). Permission bits are not enough (/proc and /sys look writable to root, a
 * read-only mount has them too), so a probe file is created and removed.
 */
function writableDir(dir: string, what: string): void {
  const at = nearestExisting(dir);
  if (!statSync(at).isDirectory()) throw new UsageError(`${what}: ${at} is not a directory`);
  const probe = join(at, `.tokenbench-probe.${process.pid}.${randomBytes(4).toString("hex")}`);
  try {
    closeSync(openSync(probe, "wx", 0o600));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM" || code === "EROFS") throw new UsageError(`${what}: directory ${at} is not writable`);
    throw new UsageError(`${what}: cannot create a file in ${at} (${code ?? (e as Error).message})`);
  }
  rmSync(probe, { force: true });
}

/**
 * Throws a UsageError naming `flag` unless a file can be written at `path` (missing parent
 * directories are created when it is written). A device or FIFO (e.g. /dev/stdout) is written
 * through and a symlink followed (src/output/atomicWrite.ts), so they pass when writable.
 */
export function checkOutputFile(path: string, flag: string): void {
  const what = `${flag} ${path}`;
  if (path.trim() === "") throw new UsageError(`${flag} needs a file path`);
  const target = outputTarget(path);
  if (existsSync(target.path) && statSync(target.path).isDirectory()) throw new UsageError(`${what}: is a directory`);
  if (isSpecialFile(target.path)) {
    try {
      accessSync(target.path, constants.W_OK);
    } catch {
      throw new UsageError(`${what}: not writable`);
    }
    return;
  }
  writableDir(dirname(target.path), what);
}

/** Throws a UsageError when two outputs would write the same file (one would silently replace the other). */
export function checkDistinctOutputs(outputs: ReadonlyArray<{ flag: string; path: string }>): void {
  const seen = new Map<string, string>();
  for (const o of outputs) {
    const real = outputTarget(o.path);
    if (real.inPlace) continue; // /dev/stdout twice is fine: both are written through
    const other = seen.get(real.path);
    if (other) throw new UsageError(`${other} and ${o.flag} both write ${o.path}: give each output its own file`);
    seen.set(real.path, o.flag);
  }
}

/** Throws a UsageError naming `flag` unless files can be written into directory `path`. */
export function checkOutputDir(path: string, flag: string): void {
  writableDir(resolve(path), `${flag} ${path}`);
}
