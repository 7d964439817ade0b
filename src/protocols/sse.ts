// Incremental Server-Sent Events decoder (WHATWG "event stream interpretation"), fed with
// already-decoded text in arbitrary pieces. Differences from a browser EventSource, on purpose:
// - end() dispatches a final event that lacks its blank line (servers that just close the stream);
// - unknown fields are kept in `fields`, because llama.cpp reports stream errors as an `error:` line.

export interface SseEvent {
  /** `event:` value, "message" when absent. */
  event: string;
  /** `data:` lines joined with "\n". */
  data: string;
  /** Non-standard fields seen in this event (e.g. llama.cpp `error:`). */
  fields?: Record<string, string>;
}

export interface SseDecoder {
  feed(text: string): SseEvent[];
  end(): SseEvent[];
}

const LF = 10;
const CR = 13;

export function createSseDecoder(): SseDecoder {
  // The unfinished line is kept as a list of pieces and joined once, when its end arrives: growing
  // one string (buf += text) and scanning it makes V8 flatten the whole buffer on every feed,
  // which is quadratic in the line's length (a 10 MiB line took seconds).
  let pieces: string[] = [];
  /** The last feed ended with a CR: a LF at the start of the next one completes that CRLF. */
  let skipLf = false;
  let first = true;
  let dataLines: string[] = [];
  let hasData = false;
  let eventType = "";
  let fields: Record<string, string> | undefined;

  function dispatch(out: SseEvent[]): void {
    if (hasData || fields) {
      const ev: SseEvent = { event: eventType || "message", data: dataLines.join("\n") };
      if (fields) ev.fields = fields;
      out.push(ev);
    }
    dataLines = [];
    hasData = false;
    eventType = "";
    fields = undefined;
  }

  function line(l: string, out: SseEvent[]): void {
    if (l.length === 0) return dispatch(out);
    if (l.charCodeAt(0) === 58 /* ':' */) return; // comment / keep-alive
    const colon = l.indexOf(":");
    let field: string;
    let value: string;
    if (colon === -1) {
      field = l;
      value = "";
    } else {
      field = l.slice(0, colon);
      value = l.charCodeAt(colon + 1) === 32 ? l.slice(colon + 2) : l.slice(colon + 1);
    }
    switch (field) {
      case "data":
        dataLines.push(value);
        hasData = true;
        break;
      case "event":
        eventType = value;
        break;
      case "id":
      case "retry":
        break;
      default:
        (fields ??= {})[field] = value;
    }
  }

  /** Scans only the new text: every character is looked at once. */
  function drain(text: string, out: SseEvent[]): void {
    let start = 0;
    if (skipLf) {
      skipLf = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    const n = text.length;
    for (let i = start; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== LF && c !== CR) continue;
      const tail = text.slice(start, i);
      let l = tail;
      if (pieces.length > 0) {
        pieces.push(tail);
        l = pieces.join("");
        pieces = [];
      }
      line(l, out);
      if (c === CR) {
        if (i + 1 === n) skipLf = true;
        else if (text.charCodeAt(i + 1) === LF) i++;
      }
      start = i + 1;
    }
    if (start < n) pieces.push(text.slice(start));
  }

  return {
    feed(text) {
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      const out: SseEvent[] = [];
      drain(text, out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (pieces.length > 0) line(pieces.join(""), out);
      pieces = [];
      skipLf = false;
      dispatch(out);
      return out;
    },
  };
}
