// Test helpers: drive a parser the way the client does (bytes -> streaming UTF-8 decode ->
// feed per received piece -> end), and check that where the pieces are cut changes nothing.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ProtocolAdapter, StreamEvent } from "../../src/protocols/types.js";
import { createRng } from "../../src/workload/rng.js";
import { attributeTokens } from "../../src/measure/attribution.js";

export function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../fixtures/protocols/${name}`, import.meta.url)), "utf8");
}

/** Feeds `bytes` cut at the given offsets, decoding like the client (TextDecoder with stream: true). */
export function feedBytes(adapter: ProtocolAdapter, bytes: Uint8Array, cuts: number[] = []): StreamEvent[] {
  const parser = adapter.createParser();
  const decoder = new TextDecoder("utf-8");
  const events: StreamEvent[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.length]) {
    const text = decoder.decode(bytes.subarray(prev, cut), { stream: true });
    events.push(...parser.feed(text));
    prev = cut;
  }
  const tail = decoder.decode();
  if (tail) events.push(...parser.feed(tail));
  events.push(...parser.end());
  return events;
}

export function feedText(adapter: ProtocolAdapter, text: string): StreamEvent[] {
  return feedBytes(adapter, new TextEncoder().encode(text));
}

/** Reproducible uniform [0, 1) draws: the project's seeded RNG. */
export function prng(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.uniform();
}

/**
 * The events must not depend on how the body is cut: every single cut position (all byte
 * boundaries, including inside UTF-8 sequences and CRLF pairs), one-byte pieces, and 200
 * random multi-cut splits with a fixed seed must all give the events of the whole body.
 */
export function assertSplitInvariant(adapter: ProtocolAdapter, text: string, seed = 42): StreamEvent[] {
  const bytes = new TextEncoder().encode(text);
  const expected = feedBytes(adapter, bytes);
  for (let i = 0; i <= bytes.length; i++) {
    assert.deepEqual(feedBytes(adapter, bytes, [i]), expected, `cut at byte ${i}`);
  }
  const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
  assert.deepEqual(feedBytes(adapter, bytes, everyByte), expected, "one byte at a time");
  const rand = prng(seed);
  for (let r = 0; r < 200; r++) {
    const n = 1 + Math.floor(rand() * 12);
    const cuts = Array.from({ length: n }, () => Math.floor(rand() * (bytes.length + 1))).sort((a, b) => a - b);
    assert.deepEqual(feedBytes(adapter, bytes, cuts), expected, `random cuts ${cuts.join(",")}`);
  }
  return expected;
}

export function contents(events: StreamEvent[]): Array<{ text: string; tokens?: number }> {
  return events.flatMap((e) => (e.type === "content" ? [{ text: e.text, tokens: e.tokens }] : []));
}

/**
 * What the client makes of the events: per chunk that carried tokens, its text and token count
 * after attribution (src/measure/attribution.ts) against the last usage total. The tokenizer
 * stand-in counts one token per chunk, so server counts show through unchanged.
 */
export function attributed(events: StreamEvent[]): { chunks: Array<{ text: string; tokens: number }>; anomaly?: string } {
  const raw = events.flatMap((e, i) => (e.type === "content" ? [{ t: i, text: e.text, tokens: e.tokens, cumulative: e.cumulative }] : []));
  const total = ofType(events, "usage").at(-1)?.completionTokens;
  const a = attributeTokens(raw, total, () => 1);
  const textAt = new Map(raw.map((c) => [c.t, c.text]));
  return { chunks: a.chunks.map(([t, k]) => ({ text: textAt.get(t)!, tokens: k })), ...(a.anomaly ? { anomaly: a.anomaly } : {}) };
}

export function textOf(events: StreamEvent[]): string {
  return contents(events).map((c) => c.text).join("");
}

export function ofType<T extends StreamEvent["type"]>(events: StreamEvent[], type: T): Array<Extract<StreamEvent, { type: T }>> {
  return events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
}

export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}
