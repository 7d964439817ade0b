import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync, fsyncSync, lstatSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { dirname, basename, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Where writing `path` really lands, and how: a symlink is followed (its target is written, the
 * link stays), and a path that is not a regular file — a device such as /dev/stdout or /dev/null,
 * a FIFO — is written through in place, never replaced by a renamed file (as root, replacing
 * /dev/null would break the whole machine).
 */
export function outputTarget(path: string): { path: string; inPlace: boolean } {
  const abs = resolve(path);
  try {
    // stat follows every link, the kernel's own too (/dev/stdout -> /proc/self/fd/1 -> pipe:[N]).
    const st = statSync(abs);
    if (!st.isFile()) return { path: abs, inPlace: !st.isDirectory() };
    return { path: realpathSync(abs), inPlace: false };
  } catch {
    // Nothing there yet; a dangling symlink names where the new file goes.
    let p = abs;
    for (let hops = 0; hops < 40; hops++) {
      try {
        if (!lstatSync(p).isSymbolicLink()) break;
      } catch {
        break;
      }
      p = resolve(dirname(p), readlinkSync(p));
    }
    return { path: p, inPlace: false };
  }
}

/** Whether `path` (after symlinks) names an existing non-regular file written in place. */
export function isSpecialFile(path: string): boolean {
  try {
    const st = statSync(path);
    return !st.isFile() && !st.isDirectory();
  } catch {
    return false;
  }
}

/**
 * Writes `content` (a string, or pieces written one after another so large outputs never sit
 * in memory as one string) to a temporary file beside `path`, then renames it into place:
 * readers see either the old file or the complete new one, never a partial write.
 * Parent directories are created. A symlink is followed; a device or FIFO is written through.
 */
export function writeFileAtomic(path: string, content: string | Iterable<string>): void {
  const target = outputTarget(path);
  if (target.inPlace) {
    const fd = openSync(target.path, "w");
    try {
      writeAll(fd, content);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const dir = dirname(target.path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(target.path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w", 0o644);
    writeAll(fd, content);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, target.path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

function writeAll(fd: number, content: string | Iterable<string>): void {
  if (typeof content === "string") writeSync(fd, content);
  else for (const piece of content) writeSync(fd, piece);
}
