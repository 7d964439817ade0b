// Pure search for the best load: geometric growth until the SLO breaks or throughput saturates,
// then bisection around the boundary. The driver (run.ts) measures; this decides.

export interface SweepPoint {
  load: number;
  outputTokensPerS: number;
  /** Every SLO bound met by the required fraction of requests, and errors within limit. */
  meetsSlo: boolean;
  sloDetail: string;
  clientSaturated: boolean;
  clientReasons: string[];
  /** Median end-to-end latency, to report how latency climbs. */
  e2eP50Ms: number;
  runId?: string;
}

export interface SweepConfig {
  mode: "concurrency" | "rate";
  start: number;
  max: number;
  factor: number;
  /** Relative throughput gain below which a step counts as "no longer rising" (0.05 = 5%). */
  minGain: number;
  /** Bisection steps after the growth phase. */
  refineSteps: number;
}

export interface SweepState {
  points: SweepPoint[];
  phase: "grow" | "refine" | "done";
  /** Why growth stopped. */
  stopReason?: string;
  refine?: { kind: "slo" | "knee"; lo: number; hi: number; left: number };
  next?: number;
  chosen?: SweepPoint;
  reason?: string;
}

export function initialState(cfg: SweepConfig): SweepState {
  return { points: [], phase: "grow", next: cfg.start };
}

const valid = (p: SweepPoint) => p.meetsSlo && !p.clientSaturated;
const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(3));
const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;

/**
 * The chosen point: the smallest load that meets the SLO with throughput within minGain of the best
 * seen — beyond that knee more load only adds latency, and it is stable against noise on a plateau.
 */
export function choose(points: SweepPoint[], minGain: number): SweepPoint | undefined {
  const ok = points.filter(valid);
  if (ok.length === 0) return undefined;
  const best = Math.max(...ok.map((p) => p.outputTokensPerS));
  return ok.filter((p) => p.outputTokensPerS >= best / (1 + minGain)).sort((a, b) => a.load - b.load)[0];
}

function midpoint(cfg: SweepConfig, lo: number, hi: number): number | undefined {
  if (cfg.mode === "concurrency") {
    const m = Math.floor((lo + hi) / 2);
    return m > lo && m < hi ? m : undefined;
  }
  const m = Math.sqrt(lo * hi);
  // Rates closer than 5% are not worth another run.
  return hi / lo > 1.05 ? Number(m.toPrecision(3)) : undefined;
}

function nextGrowth(cfg: SweepConfig, load: number): number {
  return cfg.mode === "concurrency" ? Math.max(load + 1, Math.round(load * cfg.factor)) : Number((load * cfg.factor).toPrecision(4));
}

/** Folds one measured point into the state and decides the next load (or the end). */
export function advance(state: SweepState, cfg: SweepConfig, p: SweepPoint): SweepState {
  const points = [...state.points, p].sort((a, b) => a.load - b.load);
  let s: SweepState = { ...state, points, next: undefined };
  if (state.phase === "grow") {
    const prev = state.points.filter(valid);
    const bestPrev = prev.length ? prev.reduce((a, b) => (b.outputTokensPerS > a.outputTokensPerS ? b : a)) : undefined;
    let stop: string | undefined;
    if (!p.meetsSlo) stop = `SLO not met at ${fmt(p.load)} (${p.sloDetail})`;
    else if (p.clientSaturated) stop = `client saturated at ${fmt(p.load)} (${p.clientReasons.join("; ")}): its figures are not trusted`;
    else if (bestPrev && p.outputTokensPerS < bestPrev.outputTokensPerS * (1 + cfg.minGain)) {
      const gain = p.outputTokensPerS / bestPrev.outputTokensPerS - 1;
      const lat = bestPrev.e2eP50Ms > 0 ? p.e2eP50Ms / bestPrev.e2eP50Ms - 1 : 0;
      stop = `saturated at ${fmt(p.load)}: throughput ${pct(gain)} vs ${fmt(bestPrev.load)} (below ${pct(cfg.minGain)}) while median latency ${pct(lat)}`;
    } else if (nextGrowth(cfg, p.load) > cfg.max) stop = `reached the maximum load ${fmt(cfg.max)}`;
    if (!stop) return { ...s, next: nextGrowth(cfg, p.load) };
    s = { ...s, stopReason: stop };
    const chosen = choose(points, cfg.minGain);
    if (!chosen) return finish(s, cfg);
    if (!valid(p) && p.load > chosen.load) {
      const lo = Math.max(...points.filter((x) => valid(x) && x.load < p.load).map((x) => x.load));
      s.refine = { kind: "slo", lo, hi: p.load, left: cfg.refineSteps };
    } else {
      const below = points.filter((x) => x.load < chosen.load);
      if (below.length === 0) return finish(s, cfg);
      s.refine = { kind: "knee", lo: below[below.length - 1].load, hi: chosen.load, left: cfg.refineSteps };
    }
    s.phase = "refine";
  } else if (state.phase === "refine" && state.refine) {
    const r = { ...state.refine, left: state.refine.left - 1 };
    if (r.kind === "slo") {
      if (valid(p)) r.lo = p.load;
      else r.hi = p.load;
    } else {
      const best = Math.max(...points.filter(valid).map((x) => x.outputTokensPerS));
      if (valid(p) && p.outputTokensPerS >= best / (1 + cfg.minGain)) r.hi = p.load;
      else r.lo = p.load;
    }
    s.refine = r;
  }
  const r = s.refine!;
  const tested = new Set(points.map((x) => x.load));
  const mid = r.left > 0 ? midpoint(cfg, r.lo, r.hi) : undefined;
  if (mid === undefined || tested.has(mid)) return finish(s, cfg);
  return { ...s, next: mid };
}

function finish(s: SweepState, cfg: SweepConfig): SweepState {
  const chosen = choose(s.points, cfg.minGain);
  const unit = cfg.mode === "concurrency" ? "concurrency" : "rate";
  let reason: string;
  if (!chosen) reason = `no load met the SLO with a trustworthy client (${s.stopReason ?? "none tested"})`;
  else {
    const best = Math.max(...s.points.filter(valid).map((x) => x.outputTokensPerS));
    reason =
      `${unit} ${fmt(chosen.load)}: ${chosen.outputTokensPerS.toFixed(1)} output tok/s meets the SLO` +
      (chosen.outputTokensPerS < best ? ` and is within ${pct(cfg.minGain)} of the best seen (${best.toFixed(1)}) at the lowest load` : ", the most of any load that meets it") +
      `; growth stopped: ${s.stopReason}` +
      (s.refine ? `; refined between ${fmt(s.refine.lo)} and ${fmt(s.refine.hi)}` : "");
  }
  return { ...s, phase: "done", next: undefined, chosen, reason };
}
