// Stop strings over streamed text: text that could be the start of a stop string is held back
// until it is known not to be one, so a stop string never reaches the client (OpenAI semantics).

export class StopMatcher {
  private pending = "";
  private readonly stops: string[];

  constructor(stops: readonly string[]) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** Feeds new text; returns what may be sent now and whether a stop string was hit. */
  push(text: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text, stopped: false };
    this.pending += text;
    let cut = -1;
    for (const s of this.stops) {
      const i = this.pending.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      const out = this.pending.slice(0, cut);
      this.pending = "";
      return { text: out, stopped: true };
    }
    const hold = this.partialSuffixLength();
    const out = this.pending.slice(0, this.pending.length - hold);
    this.pending = this.pending.slice(this.pending.length - hold);
    return { text: out, stopped: false };
  }

  /** Held-back text, released when generation ends for another reason. */
  flush(): string {
    const out = this.pending;
    this.pending = "";
    return out;
  }

  /** Longest suffix of the pending text that is a proper prefix of some stop string. */
  private partialSuffixLength(): number {
    let best = 0;
    for (const s of this.stops) {
      const max = Math.min(s.length - 1, this.pending.length);
      for (let k = max; k > best; k--) {
        if (this.pending.endsWith(s.slice(0, k))) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
