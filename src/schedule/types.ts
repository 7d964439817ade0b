// The schedule stage's contracts. A load itself is defined by the shape registry (./shapes/).

export type ArrivalKind = "constant" | "poisson" | "gamma";

/** How requests are spread over several targets. */
export type BalanceStrategy = "round-robin" | "least-inflight";

/** A load (closed loop, open loop, ...): defined by the shape registry in src/schedule/shapes/. */
export type { LoadSpec, LoadJson } from "./shapes/index.js";
