import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync, fsyncSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { randomBytes } from "node:crypto";

/**
 * Writes `content` (a string, or pieces written one after another so large outputs never sit
 * in memory as one string) to a temporary file beside `path`, then renames it into place:
 * readers see either the old file or the complete new one, never a partial write.
 * Parent directories are created.
 */
export function writeFileAtomic(path: string, content: string | Iterable<string>): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w", 0o644);
    if (typeof content === "string") writeSync(fd, content);
    else for (const piece of content) writeSync(fd, piece);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * writeFileAtomic piece by piece over time (a file written as a run goes): pieces go to a
 * temporary file beside `path`; `commit()` renames it into place, `discard()` removes it.
 * Parent directories are created. Writes are synchronous (appends to a local file).
 */
export class AtomicFileWriter {
  private fd: number | undefined;
  private readonly tmp: string;

  constructor(readonly path: string) {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    this.tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    this.fd = openSync(this.tmp, "w", 0o644);
  }

  write(piece: string): void {
    if (this.fd === undefined) throw new Error(`${this.path}: already closed`);
    writeSync(this.fd, piece);
  }

  /** Makes the file appear at `path` with everything written. */
  commit(): void {
    if (this.fd === undefined) return;
    try {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.discard();
      throw e;
    }
  }

  /** Drops what was written; `path` is left as it was. */
  discard(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}
