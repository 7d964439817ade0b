// Some servers stream cumulative text (SGLang /generate by default, TRT-LLM BLS with
// accumulate_tokens), others deltas (SGLang --incremental-streaming-output, the TRT-LLM ensemble).
// The tracker turns either into deltas. The mode is inferred: a chunk that extends the previous
// chunk suggests cumulative text; a chunk that does not proves deltas, and the tracker switches
// for good. A delta stream whose second chunk happens to extend the first loses that chunk's
// overlap text once; token counts from the server are unaffected.

export interface TextTracker {
  /** Delta text carried by this chunk. */
  next(chunkText: string): string;
}

export function createTextTracker(): TextTracker {
  let mode: "unknown" | "cumulative" | "delta" = "unknown";
  let prev = "";
  return {
    next(t) {
      if (mode === "delta") return t;
      if (prev.length === 0) {
        prev = t;
        return t;
      }
      const extends_ = t.startsWith(prev);
      if (mode === "cumulative" ? extends_ : extends_ && t.length > prev.length) {
        mode = "cumulative";
        const delta = t.slice(prev.length);
        prev = t;
        return delta;
      }
      mode = "delta";
      return t;
    },
  };
}
