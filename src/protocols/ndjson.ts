// Newline-delimited JSON framing (Ollama): splits decoded text into complete lines,
// tolerating CRLF and blank lines; end() returns a last line that had no newline.

export interface LineSplitter {
  feed(text: string): string[];
  end(): string[];
}

export function createLineSplitter(): LineSplitter {
  let buf = "";
  const take = (l: string, out: string[]) => {
    const line = l.endsWith("\r") ? l.slice(0, -1) : l;
    if (line.trim().length > 0) out.push(line);
  };
  return {
    feed(text) {
      const from = buf.length;
      buf += text;
      const out: string[] = [];
      let nl = buf.indexOf("\n", from);
      if (nl === -1) return out;
      let start = 0;
      while (nl !== -1) {
        take(buf.slice(start, nl), out);
        start = nl + 1;
        nl = buf.indexOf("\n", start);
      }
      buf = buf.slice(start);
      return out;
    },
    end() {
      const out: string[] = [];
      take(buf, out);
      buf = "";
      return out;
    },
  };
}
