// Per-chunk token attribution. Servers differ in what they report: some give exact per-chunk
// counts, some only a final total, some nothing. Latency math needs a count per chunk that sums
// to the request's total, so estimates are reconciled against the best total available.

export interface RawChunk {
  t: number;
  text: string;
  /** Exact count from the server, when it gave one. */
  tokens?: number;
}

export interface AttributedChunks {
  chunks: Array<[number, number]>;
  total: number;
  source: "server" | "tokenizer";
}

export function attributeTokens(raw: RawChunk[], serverTotal: number | undefined, count: (text: string) => number): AttributedChunks {
  const exact = raw.length > 0 && raw.every((c) => c.tokens !== undefined);
  // The common stream shape: one token per chunk, total from the server's usage. Tokenizing every
  // chunk costs the client more than everything else it does per chunk, so skip it then.
  const onePerChunk = !exact && serverTotal === raw.length && raw.every((c) => c.tokens === undefined || c.tokens === 1);
  const estimates = raw.map((c) => (c.tokens !== undefined ? c.tokens : onePerChunk ? 1 : count(c.text)));
  const estimatedTotal = estimates.reduce((a, b) => a + b, 0);
  let total: number;
  let source: "server" | "tokenizer";
  if (serverTotal !== undefined) (total = serverTotal), (source = "server");
  else if (exact) (total = estimatedTotal), (source = "server");
  else (total = count(raw.map((c) => c.text).join(""))), (source = "tokenizer");
  const counts = estimatedTotal === total ? estimates : rescale(estimates, total);
  const chunks: Array<[number, number]> = [];
  raw.forEach((c, i) => {
    if (counts[i] > 0) chunks.push([c.t, counts[i]]);
  });
  return { chunks, total, source };
}

/** Largest-remainder rescaling: integer counts, proportional to the estimates, summing to total. */
export function rescale(estimates: number[], total: number): number[] {
  const sum = estimates.reduce((a, b) => a + b, 0);
  if (estimates.length === 0) return [];
  // No usable estimate (all zero): spread evenly, earliest chunks first.
  const weights = sum > 0 ? estimates : estimates.map(() => 1);
  const wsum = sum > 0 ? sum : estimates.length;
  const exact = weights.map((w) => (w * total) / wsum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k][1]]++;
  return out;
}
