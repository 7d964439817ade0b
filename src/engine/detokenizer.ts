// Incremental detokenization: text for each new token without re-decoding the whole output,
// holding back bytes of an unfinished UTF-8 character (byte-fallback tokens) until it completes.
// Same prefix/read-offset scheme as TGI and vLLM: decode a short window so pieces whose text
// depends on their neighbours (SentencePiece's leading "▁") come out right.

export class IncrementalDetokenizer {
  private readonly tokens: number[];
  private prefixOffset = 0;
  private readOffset: number;

  /**
   * `context`: tokens before the first one pushed (the prompt's last token), decoded but never
   * emitted. SentencePiece decoders drop the leading space of a text's first token; with context
   * the first generated token keeps it, as in llama.cpp's server ("▁the" streams " the", and "▁"
   * alone is " ", not nothing).
   */
  constructor(
    private readonly detokenize: (tokens: readonly number[]) => string,
    context: readonly number[] = [],
  ) {
    this.tokens = [...context];
    this.readOffset = context.length;
  }

  /** Adds a token; returns the newly completed text ("" while a character is incomplete). */
  push(token: number): string {
    this.tokens.push(token);
    const prefix = this.detokenize(this.tokens.slice(this.prefixOffset, this.readOffset));
    const full = this.detokenize(this.tokens.slice(this.prefixOffset));
    if (full.length > prefix.length && !full.endsWith("\uFFFD")) {
      this.prefixOffset = this.readOffset;
      this.readOffset = this.tokens.length;
      return full.slice(prefix.length);
    }
    return "";
  }

  /** Text still held back at the end of generation (an incomplete character, rendered as U+FFFD). */
  flush(): string {
    const prefix = this.detokenize(this.tokens.slice(this.prefixOffset, this.readOffset));
    const full = this.detokenize(this.tokens.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.tokens.length;
    return full.length > prefix.length ? full.slice(prefix.length) : "";
  }
}
