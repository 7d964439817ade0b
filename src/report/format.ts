/** Numbers as a report shows them: 3 significant figures for small values, no noise digits for large. */
export function fmt(x: number | null | undefined, unit = ""): string {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  if (x === Infinity) return "∞";
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 1 ? x.toFixed(2) : a === 0 ? "0" : x.toPrecision(3);
  return unit ? `${s} ${unit}` : s;
}

export function fmtRatio(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(3)}×` : "–";
}
