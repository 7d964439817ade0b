// Upper bounds on user-given sizes and durations, checked up front with a one-line error that
// names the limit. Beyond them tokenbench would not fail cleanly: Node timers overflow (a longer
// delay fires after 1 ms), or prompts, workers and records are built for a run that can never end
// within the memory of one machine.

/** Node's timers hold a signed 32-bit ms delay: 2^31 - 1 ms, about 24.8 days. */
export const MAX_TIMER_S = Math.floor((2 ** 31 - 1) / 1000);
/** Concurrent requests of one load (each is a connection and a worker). */
export const MAX_CONCURRENCY = 100_000;
/** Requests of one run, warm-up included, and open-loop arrivals (rate x duration): each gets a prompt and a record in memory. */
export const MAX_REQUESTS = 1_000_000;
/** Bootstrap resamples of `compare`. */
export const MAX_RESAMPLES = 100_000;
/** Repeats of an experiment, and the cells it expands to. */
export const MAX_REPEATS = 10_000;
export const MAX_CELLS = 100_000;

/** "timeout 3000000 s is above the limit of 2147483 s (...)" or undefined when within. */
export function beyond(what: string, value: number, limit: number, unit = "", why = ""): string | undefined {
  if (!(value > limit)) return undefined;
  const u = unit ? ` ${unit}` : "";
  return `${what} ${value}${u} is above the limit of ${limit}${u}${why ? ` (${why})` : ""}`;
}

export const TIMER_WHY = "Node timers hold at most 2^31-1 ms";
