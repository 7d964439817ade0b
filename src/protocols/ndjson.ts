// Newline-delimited JSON framing (Ollama): splits decoded text into complete lines,
// tolerating CRLF and blank lines; end() returns a last line that had no newline.

export interface LineSplitter {
  feed(text: string): string[];
  end(): string[];
}

export function createLineSplitter(): LineSplitter {
  // The unfinished line is kept in pieces, joined once when its newline arrives: scanning a
  // growing `buf += text` string is quadratic in the line's length (see sse.ts).
  let pieces: string[] = [];
  const take = (l: string, out: string[]) => {
    const line = l.endsWith("\r") ? l.slice(0, -1) : l;
    if (line.trim().length > 0) out.push(line);
  };
  return {
    feed(text) {
      const out: string[] = [];
      let start = 0;
      let nl = text.indexOf("\n");
      while (nl !== -1) {
        const tail = text.slice(start, nl);
        if (pieces.length > 0) {
          pieces.push(tail);
          take(pieces.join(""), out);
          pieces = [];
        } else take(tail, out);
        start = nl + 1;
        nl = text.indexOf("\n", start);
      }
      if (start < text.length) pieces.push(text.slice(start));
      return out;
    },
    end() {
      const out: string[] = [];
      take(pieces.join(""), out);
      pieces = [];
      return out;
    },
  };
}
