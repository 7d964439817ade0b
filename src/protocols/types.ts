// The protocol contract: what an adapter builds (the request) and what its parser yields (stream events).

import type { ChatMessage } from "../workload/types.js";

export const API_KINDS = [
  "openai-completions",
  "openai-chat",
  "tgi",
  "llamacpp",
  "ollama",
  "sglang",
  "lightllm",
  "triton",
] as const;
export type ApiKind = (typeof API_KINDS)[number];

export interface GenerationRequest {
  prompt: string;
  /** Whole conversation for chat APIs (multi-turn); absent: one user message holding `prompt`. */
  messages?: ChatMessage[];
  model?: string;
  maxTokens: number;
  /** Ask the server to produce exactly maxTokens (ignore_eos / min_tokens) where the API allows. */
  exactOutput: boolean;
  temperature?: number;
  seed?: number;
  /** Merged into the JSON body last, for server-specific knobs. */
  extraBody?: Record<string, unknown>;
}

export interface HttpRequestSpec {
  method: "POST" | "GET";
  /** Path with query, appended to the target's base URL. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What a protocol parser extracts from the byte stream. */
/**
 * What a chunk's generated output is: the answer (default), reasoning (thinking text of reasoning
 * models) or a tool call (function name and arguments). All are generated tokens.
 */
export type OutputKind = "answer" | "reasoning" | "tool_call";

export type StreamEvent =
  /**
   * Generated output (text, reasoning or tool-call text; may be empty when the server held a
   * token's text back). `tokens`: how many tokens this chunk carries, when the server says so
   * exactly. `cumulative`: the server's running total of generated tokens as of this chunk (usage
   * on a content chunk), which attribution turns into per-chunk counts or reads as the total.
   */
  | { type: "content"; text: string; tokens?: number; cumulative?: number; kind?: OutputKind }
  /**
   * Token counts reported by the server (may repeat; the last one wins). `cachedPromptTokens`:
   * prompt tokens the server took from its prefix cache (OpenAI
   * usage.prompt_tokens_details.cached_tokens, SGLang meta_info.cached_tokens); llama.cpp's
   * `cache_n` arrives in its timings block instead.
   */
  | { type: "usage"; promptTokens?: number; completionTokens?: number; cachedPromptTokens?: number; source: string }
  /** Server-side timings (ms unless the name says otherwise), kept as reported. */
  | { type: "timings"; values: Record<string, number> }
  | { type: "error"; message: string }
  /** The server named why generation stopped (finish_reason), whether or not an end marker follows. */
  | { type: "finish"; reason: string }
  /** Explicit end-of-stream marker ([DONE], done:true, final frame). */
  | { type: "done"; finishReason?: string };

export interface StreamParser {
  /** Feed decoded text as it arrives; returns the events completed by it. */
  feed(text: string): StreamEvent[];
  /** The stream ended; flush anything buffered. */
  end(): StreamEvent[];
}

export interface ProtocolAdapter {
  api: ApiKind;
  buildRequest(req: GenerationRequest): HttpRequestSpec;
  createParser(): StreamParser;
  /** Server timings carried in response headers (TGI x-queue-time etc.). */
  parseHeaders?(headers: Record<string, string | string[] | undefined>): Record<string, number>;
  /** Path answering the list of models, when the API has one. */
  modelsPath?: string;
  /** Model ids in the JSON body answered at modelsPath. */
  parseModels?(body: unknown): string[];
  /**
   * Whether the API can be asked for exactly maxTokens (ignore_eos / min_tokens).
   * "unsupported": the runner should warn that exact-output runs may end early.
   */
  exactOutput?: "native" | "unsupported";
}
