import cliProgress from "cli-progress";
import type { ProgressUpdate } from "../benchmark/options.js";

export interface ProgressOptions {
  /** Default process.stderr; the live bar is drawn only when it is a TTY. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Non-TTY: at most one plain line per this many ms (default 5000). */
  plainIntervalMs?: number;
  /** Clock for the plain-line throttle (ms); default performance.now. */
  now?: () => number;
}

export interface Progress {
  /** Safe to pass unbound (e.g. as onProgress). */
  update: (p: ProgressUpdate) => void;
  /** Erase the live line so a log line can be printed; the bar redraws on the next update. */
  clear: () => void;
  stop: () => void;
}

const tps = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "0.0");
const runLabel = (p: ProgressUpdate) => (p.runCount > 1 ? `run ${p.runIndex + 1}/${p.runCount} ` : "");

/** The plain (non-TTY) progress line; also the bar's payload wording. */
export function progressLine(p: ProgressUpdate): string {
  const done = p.total !== null ? `${p.done}/${p.total}` : `${p.done}`;
  return (
    `${runLabel(p)}${done} done, ${p.failed} failed, ${p.inFlight} in flight, ` +
    `${tps(p.outputTokensPerS)} output tok/s, ${p.elapsedS.toFixed(1)} s`
  );
}

/** Live progress on stderr: a cli-progress bar on a terminal, a plain line every few seconds otherwise (CI logs). */
export function createProgress(opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  return stream.isTTY ? barProgress(stream) : plainProgress(stream, opts.plainIntervalMs ?? 5000, opts.now ?? (() => performance.now()));
}

function plainProgress(stream: NodeJS.WritableStream, intervalMs: number, now: () => number): Progress {
  let lastAt = -Infinity;
  let lastRun = -1;
  let pending: string | null = null;
  const print = (line: string) => {
    stream.write(line + "\n");
    pending = null;
  };
  return {
    update: (p) => {
      const line = progressLine(p);
      const t = now();
      if (p.runIndex !== lastRun || t - lastAt >= intervalMs) {
        lastRun = p.runIndex;
        lastAt = t;
        print(line);
      } else pending = line;
    },
    clear: () => {},
    stop: () => {
      if (pending !== null) print(pending);
    },
  };
}

function barProgress(stream: NodeJS.WritableStream): Progress {
  let bar: cliProgress.SingleBar | null = null;
  let barRun = -1;
  const payload = (p: ProgressUpdate) => ({
    run: runLabel(p),
    failed: p.failed,
    inflight: p.inFlight,
    tps: tps(p.outputTokensPerS),
    elapsed: p.elapsedS.toFixed(0),
  });
  const stopBar = () => {
    bar?.stop();
    bar = null;
  };
  return {
    update: (p) => {
      if (!bar || p.runIndex !== barRun) {
        stopBar();
        barRun = p.runIndex;
        // Duration-bound runs have no total: show the count without a bar.
        const format =
          p.total !== null
            ? "{run}{bar} {value}/{total} | {failed} failed | {inflight} in flight | {tps} tok/s | {elapsed}s"
            : "{run}{value} done | {failed} failed | {inflight} in flight | {tps} tok/s | {elapsed}s";
        bar = new cliProgress.SingleBar(
          { stream, format, barsize: 24, hideCursor: false, clearOnComplete: false, fps: 5 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total ?? 0, p.done, payload(p));
      }
      if (p.total !== null) bar.setTotal(p.total);
      bar.update(p.done, payload(p));
    },
    clear: () => {
      if (bar) stream.write("\r\x1b[2K");
    },
    stop: stopBar,
  };
}
