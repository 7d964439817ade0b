export { arrivalOffsetsMs, ARRIVAL_KINDS, type ArrivalOptions } from "./arrivals.js";
export { rampStartOffsetsMs } from "./closedLoop.js";
