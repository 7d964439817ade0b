// Turns framed text (SSE events or NDJSON lines) into JSON payloads for an API-specific
// handler, and owns the failure rules every API shares: malformed JSON and in-stream
// error objects become `error` events; nothing is ever thrown out of feed()/end().

import type { StreamEvent, StreamParser } from "./types.js";
import { errorMessageOf, shortText } from "./json.js";
import { createLineSplitter } from "./ndjson.js";
import { createSseDecoder, type SseEvent } from "./sse.js";

export interface PayloadHandler {
  /** One JSON value from the stream (already checked not to be an error object). */
  payload(value: unknown): StreamEvent[];
  /** The `[DONE]` sentinel (SSE only). */
  doneSentinel?(): StreamEvent[];
  /** The body ended; flush what the handler still holds. */
  end?(): StreamEvent[];
}

function errorEvent(message: string): StreamEvent {
  return { type: "error", message };
}

function malformed(text: string): StreamEvent {
  return errorEvent(`malformed JSON in stream: ${shortText(text, 120)}`);
}

function handleValue(value: unknown, h: PayloadHandler): StreamEvent[] {
  const err = errorMessageOf(value);
  return err !== undefined ? [errorEvent(err)] : h.payload(value);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * Multi-line `data:` is one JSON document per the SSE spec. Some servers instead write one
 * JSON object per `data:` line without the blank separator line; accept that too when
 * every line parses on its own.
 */
function parseData(data: string, h: PayloadHandler): StreamEvent[] {
  const whole = tryParse(data);
  if (whole.ok) return handleValue(whole.value, h);
  if (data.includes("\n")) {
    const parts = data.split("\n").filter((l) => l.trim().length > 0);
    const parsed = parts.map(tryParse);
    if (parsed.every((p) => p.ok)) {
      return parsed.flatMap((p) => (p.ok ? handleValue(p.value, h) : []));
    }
  }
  return [malformed(data)];
}

function errorFromText(raw: string): StreamEvent {
  const parsed = tryParse(raw);
  const msg = parsed.ok ? (errorMessageOf(parsed.value) ?? errorMessageOf({ error: parsed.value })) : undefined;
  return errorEvent(msg ?? (shortText(raw) || "server reported an error"));
}

function handleSse(ev: SseEvent, h: PayloadHandler): StreamEvent[] {
  const errField = ev.fields?.error;
  if (errField !== undefined) return [errorFromText(errField)];
  if (ev.event === "error") return [errorFromText(ev.data)];
  const data = ev.data.trim();
  if (data.length === 0) return [];
  if (data === "[DONE]") return h.doneSentinel ? h.doneSentinel() : [{ type: "done" }];
  return parseData(data, h);
}

export function sseJsonParser(h: PayloadHandler): StreamParser {
  const sse = createSseDecoder();
  // Loops, not flatMap: this runs per token event, and flatMap's callback arrays were garbage each.
  const run = (evs: SseEvent[]) => {
    if (evs.length === 1) return handleSse(evs[0], h);
    const out: StreamEvent[] = [];
    for (const e of evs) for (const x of handleSse(e, h)) out.push(x);
    return out;
  };
  return {
    feed: (text) => run(sse.feed(text)),
    end: () => [...run(sse.end()), ...(h.end ? h.end() : [])],
  };
}

export function ndjsonParser(h: PayloadHandler): StreamParser {
  const lines = createLineSplitter();
  const run = (ls: string[]) =>
    ls.flatMap((l) => {
      const p = tryParse(l);
      return p.ok ? handleValue(p.value, h) : [malformed(l)];
    });
  return {
    feed: (text) => run(lines.feed(text)),
    end: () => [...run(lines.end()), ...(h.end ? h.end() : [])],
  };
}
