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
  let buf = "";
  /** Where scanning for a line end resumes inside buf (so long lines are not rescanned). */
  let scan = 0;
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

  function drain(out: SseEvent[], final: boolean): void {
    let start = 0;
    let i = scan;
    while (i < buf.length) {
      const c = buf.charCodeAt(i);
      if (c === LF || c === CR) {
        // A CR as the last char may be the first half of CRLF: wait for more text.
        if (c === CR && i + 1 === buf.length && !final) break;
        line(buf.slice(start, i), out);
        i += c === CR && buf.charCodeAt(i + 1) === LF ? 2 : 1;
        start = i;
      } else {
        i++;
      }
    }
    buf = buf.slice(start);
    scan = i - start;
  }

  return {
    feed(text) {
      if (first && text.length > 0) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      buf += text;
      const out: SseEvent[] = [];
      drain(out, false);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      drain(out, true);
      if (buf.length > 0) line(buf, out);
      buf = "";
      scan = 0;
      dispatch(out);
      return out;
    },
  };
}
