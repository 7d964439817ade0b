import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let gc: (() => void) | undefined;

/**
 * A full collection before a measured phase: loading a tokenizer and building prompts leave
 * enough garbage that a major GC (~100 ms on a busy 2-core machine) would otherwise land in the
 * first requests' latencies.
 */
export function collectGarbage(): void {
  if (!gc) {
    setFlagsFromString("--expose-gc");
    gc = runInNewContext("gc") as () => void;
  }
  gc();
}
