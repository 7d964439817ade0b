/**
 * splitmix32: spreads any 32-bit seed (even 0, 1, 2, ...) into well-mixed 32-bit words. The
 * seeding step of every seeded generator here (workload RNG, generated model weights).
 */
export function splitmix32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x9e3779b9) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}
