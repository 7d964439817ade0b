// Reads a GGUF file's header (metadata and tensor infos) without touching the tensor data, so a
// multi-GB model costs a few reads. Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { UsageError } from "../../errors.js";
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, alignUp } from "./format.js";

export interface GgufTensorHeader {
  name: string;
  /** ggml order: dims[0] is the innermost (contiguous) dimension. */
  dims: number[];
  /** ggml type id (0 F32, 1 F16, 2 Q4_0, 8 Q8_0, 12 Q4_K, 30 BF16, ...). */
  ggmlType: number;
  /** Offset inside the data section, bytes. */
  offset: number;
  /** Bytes this tensor occupies: up to the next tensor's offset (or the end of the file), padding included. */
  bytes: number;
}

export interface GgufHeader {
  version: number;
  /** Metadata; arrays longer than 64 entries keep only their length ({ arrayLength }), e.g. the vocabulary. */
  metadata: Record<string, unknown>;
  tensors: GgufTensorHeader[];
  /** File offset where tensor data starts, bytes. */
  dataOffset: number;
  fileBytes: number;
}

const SCALAR_SIZE: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const MAX_KEPT_ARRAY = 64;

/** Incremental little-endian reader over a file descriptor, reading ahead in chunks. */
class FileCursor {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private fd: number,
    readonly size: number,
    private path: string,
  ) {}
  private need(n: number): Buffer {
    if (this.pos + n > this.size) throw new UsageError(`${this.path}: not a valid GGUF file (header runs past the end)`);
    const off = this.pos - this.bufStart;
    if (off < 0 || off + n > this.buf.length) {
      const len = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
      this.buf = Buffer.alloc(len);
      readSync(this.fd, this.buf, 0, len, this.pos);
      this.bufStart = this.pos;
    }
    const start = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(start, start + n);
  }
  u32(): number {
    return this.need(4).readUInt32LE(0);
  }
  u64(): number {
    const v = this.need(8).readBigUInt64LE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${this.path}: not a valid GGUF file (length ${v} too large)`);
    return Number(v);
  }
  str(): string {
    return this.need(this.u64()).toString("utf8");
  }
  skip(n: number): void {
    if (this.pos + n > this.size) throw new UsageError(`${this.path}: not a valid GGUF file (header runs past the end)`);
    this.pos += n;
  }
  scalar(type: number): number | bigint | boolean {
    const b = this.need(SCALAR_SIZE[type]);
    switch (type) {
      case 0: return b.readUInt8(0);
      case 1: return b.readInt8(0);
      case 2: return b.readUInt16LE(0);
      case 3: return b.readInt16LE(0);
      case 4: return b.readUInt32LE(0);
      case 5: return b.readInt32LE(0);
      case 6: return b.readFloatLE(0);
      case 7: return b.readUInt8(0) !== 0;
      case 10: return Number(b.readBigUInt64LE(0));
      case 11: return Number(b.readBigInt64LE(0));
      default: return b.readDoubleLE(0);
    }
  }
}

function readValue(c: FileCursor, type: number, path: string): unknown {
  if (type === 8) return c.str();
  if (type === 9) {
    const elType = c.u32();
    const n = c.u64();
    if (n > MAX_KEPT_ARRAY) {
      // Skip long arrays (vocabulary, merges, scores) without decoding them.
      if (elType === 8) for (let i = 0; i < n; i++) c.skip(c.u64());
      else if (SCALAR_SIZE[elType] !== undefined) c.skip(n * SCALAR_SIZE[elType]);
      else for (let i = 0; i < n; i++) readValue(c, elType, path);
      return { arrayLength: n };
    }
    return Array.from({ length: n }, () => readValue(c, elType, path));
  }
  if (SCALAR_SIZE[type] === undefined) throw new UsageError(`${path}: not a valid GGUF file (unknown value type ${type})`);
  return c.scalar(type);
}

/**
 * Reads a GGUF file's header. Throws UsageError (one line) for a missing file or one that is not GGUF
 * (v2 or v3). Reads only the header bytes.
 */
export function readGgufHeader(path: string): GgufHeader {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new UsageError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const c = new FileCursor(fd, size, path);
    if (size < 24 || c.u32() !== GGUF_MAGIC) throw new UsageError(`${path}: not a GGUF file (bad magic)`);
    const version = c.u32();
    if (version < 2 || version > 3) throw new UsageError(`${path}: GGUF version ${version} is not supported (2 or 3)`);
    const tensorCount = c.u64();
    const kvCount = c.u64();
    const metadata: Record<string, unknown> = {};
    for (let i = 0; i < kvCount; i++) {
      const key = c.str();
      metadata[key] = readValue(c, c.u32(), path);
    }
    const raw: Omit<GgufTensorHeader, "bytes">[] = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = c.str();
      const nd = c.u32();
      if (nd > 8) throw new UsageError(`${path}: not a valid GGUF file (tensor ${name} has ${nd} dimensions)`);
      const dims = Array.from({ length: nd }, () => c.u64());
      raw.push({ name, dims, ggmlType: c.u32(), offset: c.u64() });
    }
    const alignment = typeof metadata["general.alignment"] === "number" ? (metadata["general.alignment"] as number) : GGUF_DEFAULT_ALIGNMENT;
    const dataOffset = alignUp(c.pos, alignment);
    const byOffset = [...raw].sort((a, b) => a.offset - b.offset);
    const bytesOf = new Map<string, number>();
    byOffset.forEach((t, i) => {
      const end = i + 1 < byOffset.length ? byOffset[i + 1].offset : size - dataOffset;
      bytesOf.set(t.name, Math.max(0, end - t.offset));
    });
    return { version, metadata, tensors: raw.map((t) => ({ ...t, bytes: bytesOf.get(t.name)! })), dataOffset, fileBytes: size };
  } finally {
    closeSync(fd);
  }
}
