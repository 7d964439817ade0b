// GGUF v3 binary layout: header, metadata key/values, tensor infos, aligned tensor data.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

const enum GgufValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

const enum GgmlType {
  F32 = 0,
  F16 = 1,
}

export type TensorType = "f32" | "f16";

function ggmlTypeOf(t: TensorType): number {
  return t === "f32" ? GgmlType.F32 : GgmlType.F16;
}

export function bytesPerElement(t: TensorType): number {
  return t === "f32" ? 4 : 2;
}

/** A metadata value with its GGUF type made explicit (JS numbers alone do not say u32 vs f32). */
export type GgufValue =
  | { type: "u32"; value: number }
  | { type: "i32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

export interface TensorInfo {
  name: string;
  /** ggml order: ne[0] is the innermost (contiguous) dimension. */
  dims: number[];
  type: TensorType;
}

export function elementCount(t: TensorInfo): number {
  return t.dims.reduce((a, b) => a * b, 1);
}

export function tensorByteSize(t: TensorInfo): number {
  return elementCount(t) * bytesPerElement(t.type);
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Growable little-endian byte sink for the (small) header part of the file. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.length);
    this.length += 4;
  }
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(BigInt(v), this.length);
    this.length += 8;
  }
  f32(v: number): void {
    this.ensure(4);
    this.buf.writeFloatLE(v, this.length);
    this.length += 4;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf.writeUInt8(v, this.length);
    this.length += 1;
  }
  str(s: string): void {
    const bytes = Buffer.from(s, "utf8");
    this.u64(bytes.length);
    this.ensure(bytes.length);
    bytes.copy(this.buf, this.length);
    this.length += bytes.length;
  }
  pad(alignment: number): void {
    const target = alignUp(this.length, alignment);
    this.ensure(target - this.length);
    this.buf.fill(0, this.length, target);
    this.length = target;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case "u32":
      sink.u32(GgufValueType.UINT32);
      sink.u32(v.value);
      return;
    case "i32":
      sink.u32(GgufValueType.INT32);
      sink.i32(v.value);
      return;
    case "f32":
      sink.u32(GgufValueType.FLOAT32);
      sink.f32(v.value);
      return;
    case "bool":
      sink.u32(GgufValueType.BOOL);
      sink.u8(v.value ? 1 : 0);
      return;
    case "string":
      sink.u32(GgufValueType.STRING);
      sink.str(v.value);
      return;
    case "string[]":
      arrayHeader(sink, GgufValueType.STRING, v.value.length);
      for (const s of v.value) sink.str(s);
      return;
    case "f32[]":
      arrayHeader(sink, GgufValueType.FLOAT32, v.value.length);
      for (const x of v.value) sink.f32(x);
      return;
    case "i32[]":
      arrayHeader(sink, GgufValueType.INT32, v.value.length);
      for (const x of v.value) sink.i32(x);
      return;
  }
}

function arrayHeader(sink: ByteSink, elementType: GgufValueType, length: number): void {
  sink.u32(GgufValueType.ARRAY);
  sink.u32(elementType);
  sink.u64(length);
}

/**
 * Everything before the tensor data, padded to the alignment, plus each tensor's offset
 * inside the data section. Tensor data is streamed separately so multi-GB files never sit in memory.
 */
export function encodeHeader(
  metadata: ReadonlyArray<[string, GgufValue]>,
  tensors: readonly TensorInfo[],
  alignment = GGUF_DEFAULT_ALIGNMENT,
): { header: Buffer; offsets: number[]; dataBytes: number } {
  const sink = new ByteSink();
  sink.u32(GGUF_MAGIC);
  sink.u32(GGUF_VERSION);
  sink.u64(tensors.length);
  sink.u64(metadata.length);
  for (const [key, value] of metadata) {
    sink.str(key);
    writeValue(sink, value);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    sink.str(t.name);
    sink.u32(t.dims.length);
    for (const d of t.dims) sink.u64(d);
    sink.u32(ggmlTypeOf(t.type));
    sink.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensorByteSize(t), alignment);
  }
  sink.pad(alignment);
  return { header: Buffer.from(sink.bytes()), offsets, dataBytes: offset };
}
