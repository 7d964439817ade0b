/** A telemetry sample at wall-clock time `atMs` (Date.now()); converted to run-relative time when stored. */
export interface TelemetrySample {
  source: "gpu" | "server" | "client";
  name: string;
  atMs: number;
  value: number;
  labels?: Record<string, string>;
}

export interface Sampler {
  /** Stops sampling and returns what was collected plus notes (e.g. "nvidia-smi not found"). */
  stop(): Promise<{ samples: TelemetrySample[]; notes: string[] }>;
}
