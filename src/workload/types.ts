// The workload stage's contracts: the work items a run sends and the specs that build them.

export interface WorkItem {
  /** Position in the workload; stable for a given seed. */
  index: number;
  prompt: string;
  /** Input length measured with the workload's tokenizer. */
  inputTokens: number;
  /** Output length asked for (max_tokens; also min_tokens when exact output is on). */
  outputTokens: number;
  /**
   * A conversation (multi-turn sessions): chat APIs send these messages; the others send
   * `prompt`, which then holds the same conversation flattened.
   */
  messages?: ChatMessage[];
  /** Multi-turn sessions: which session (0-based) and which turn of it (0-based). */
  session?: number;
  turn?: number;
}

/** One message of a chat conversation, as OpenAI-compatible chat APIs take it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type LengthSpec =
  | { kind: "fixed"; value: number }
  | { kind: "uniform"; min: number; max: number }
  | { kind: "normal"; mean: number; stddev: number; min?: number; max?: number };

export interface SyntheticWorkloadSpec {
  kind: "synthetic";
  input: LengthSpec;
  output: LengthSpec;
  /** Tokens of common prefix shared by every prompt (prefix-cache studies). */
  sharedPrefixTokens?: number;
  /**
   * Several shared prefixes (tenants' system prompts): the share of requests starting with each
   * of `sharedPrefixTokens` tokens; sums to 1. Absent: one prefix for every request.
   */
  prefixGroups?: number[];
}

export interface DatasetWorkloadSpec {
  kind: "dataset";
  format: "jsonl" | "sharegpt";
  path: string;
  /** Output length when the dataset has none. */
  defaultOutputTokens?: number;
}

export type WorkloadSpec = SyntheticWorkloadSpec | DatasetWorkloadSpec;
