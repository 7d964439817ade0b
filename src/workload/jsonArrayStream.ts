// Streams the elements of a top-level JSON array, one JSON.parse per element. ShareGPT dumps
// are ~650 MB: one JSON.parse of the whole file exceeds V8's maximum string length.
import { createReadStream } from "node:fs";

export interface ArrayElement {
  value: unknown;
  /** 1-based line where the element starts. */
  line: number;
}

const STRING_STOP = /["\\]/g;
const WS = new Set([" ", "\t", "\n", "\r", "\uFEFF"]);

/** Yields each element of the array; throws "FILE:LINE: reason" on malformed JSON. */
export async function* jsonArrayElements(file: string): AsyncGenerator<ArrayElement> {
  const fail = (line: number, msg: string): never => {
    throw new Error(`${file}:${line}: ${msg}`);
  };
  // before: waiting for "["; value: waiting for an element or "]"; comma: after an element;
  // done: after the closing "]".
  let state: "before" | "value" | "comma" | "done" = "before";
  let line = 1;
  let depth = 0; // nesting inside the current element
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let elementLine = 0;
  let collecting = false;
  let sawFirst = false;

  const stream = createReadStream(file, { encoding: "utf8", highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<string>) {
    let start = collecting ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (ch === "\n") line++;
      if (collecting) {
        if (inString) {
          if (escaped) {
            escaped = false;
            continue;
          }
          // Jump to the next quote or backslash natively: string bodies are most of the bytes.
          // (Raw newlines cannot occur inside valid JSON strings, so no lines are skipped.)
          STRING_STOP.lastIndex = i;
          const m = STRING_STOP.exec(chunk);
          if (!m) {
            i = chunk.length;
            continue;
          }
          i = m.index;
          if (chunk[i] === "\\") escaped = true;
          else inString = false;
          continue;
        }
        if (ch === '"') inString = true;
        else if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          if (depth === 0) {
            if (ch === "}") fail(line, 'unexpected "}"');
            // A scalar element ended by the array's "]".
            parts.push(chunk.slice(start, i));
            yield parse(parts.join(""), elementLine, fail);
            parts = [];
            collecting = false;
            state = "done";
            continue;
          }
          depth--;
          if (depth === 0) {
            parts.push(chunk.slice(start, i + 1));
            yield parse(parts.join(""), elementLine, fail);
            parts = [];
            collecting = false;
            state = "comma";
          }
        } else if (ch === "," && depth === 0) {
          parts.push(chunk.slice(start, i));
          yield parse(parts.join(""), elementLine, fail);
          parts = [];
          collecting = false;
          state = "value";
        }
        continue;
      }
      if (WS.has(ch)) continue;
      switch (state) {
        case "before":
          if (ch !== "[") fail(line, `expected a JSON array ("[") at the top level, found ${JSON.stringify(ch)}`);
          state = "value";
          break;
        case "value":
          if (ch === "]") {
            if (sawFirst) fail(line, "trailing comma before ]");
            state = "done";
            break;
          }
          if (ch === ",") fail(line, "unexpected comma");
          sawFirst = true;
          collecting = true;
          elementLine = line;
          start = i;
          depth = ch === "{" || ch === "[" ? 1 : 0;
          inString = ch === '"';
          escaped = false;
          break;
        case "comma":
          if (ch === ",") state = "value";
          else if (ch === "]") state = "done";
          else fail(line, `expected "," or "]" between array elements, found ${JSON.stringify(ch)}`);
          break;
        case "done":
          fail(line, `unexpected ${JSON.stringify(ch)} after the end of the top-level array`);
      }
    }
    if (collecting) parts.push(chunk.slice(start));
  }
  if (state === "before") fail(line, "empty file, expected a JSON array");
  if (state !== "done") fail(elementLine || line, "unexpected end of file inside the top-level array");
}

function parse(text: string, line: number, fail: (line: number, msg: string) => never): ArrayElement {
  try {
    return { value: JSON.parse(text), line };
  } catch (err) {
    return fail(line, `invalid JSON in array element: ${(err as Error).message.split("\n")[0]}`);
  }
}
