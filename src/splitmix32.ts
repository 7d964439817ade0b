/**
 * splitmix32: the project's one random-number generator. A counter stepped by the golden ratio
 * and a 32-bit finaliser (murmur3's fmix32 constants); it spreads any 32-bit seed (even 0, 1,
 * 2, ...) into well-mixed words. Used to seed the workload RNG and, in bulk (fill), to draw the
 * weights of generated models.
 */
export function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    return mix32(a);
  };
}

/** The finaliser: one counter value -> one well-mixed 32-bit word. */
function mix32(a: number): number {
  let z = a;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Fills `out` with the next `out.length` words of the splitmix32 stream whose counter is
 * `state` (the words `splitmix32(state)` would return, in order) and returns the counter to
 * continue from. The bulk form for hot loops (GBs of model weights): no closure call per word.
 */
export function splitmix32Fill(out: Uint32Array, state: number): number {
  let a = state >>> 0;
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x9e3779b9) >>> 0;
    out[i] = mix32(a);
  }
  return a;
}
