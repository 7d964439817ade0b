// Registry of wire-format adapters, one per ApiKind.

import { API_KINDS, type ApiKind, type ProtocolAdapter } from "./types.js";
import { lightllmAdapter } from "./lightllm.js";
import { llamacppAdapter } from "./llamacpp.js";
import { ollamaAdapter } from "./ollama.js";
import { openaiChatAdapter } from "./openaiChat.js";
import { openaiCompletionsAdapter } from "./openaiCompletions.js";
import { sglangAdapter } from "./sglang.js";
import { tgiAdapter } from "./tgi.js";
import { tritonAdapter } from "./triton.js";

const ADAPTERS: Record<ApiKind, ProtocolAdapter> = {
  "openai-completions": openaiCompletionsAdapter,
  "openai-chat": openaiChatAdapter,
  tgi: tgiAdapter,
  llamacpp: llamacppAdapter,
  ollama: ollamaAdapter,
  sglang: sglangAdapter,
  lightllm: lightllmAdapter,
  triton: tritonAdapter,
};

export function getAdapter(api: ApiKind): ProtocolAdapter {
  const a = Object.hasOwn(ADAPTERS, api) ? ADAPTERS[api] : undefined;
  // Reachable only through an unchecked cast; input validation belongs to the CLI.
  if (!a) throw new Error(`unknown API "${String(api)}"; expected one of ${API_KINDS.join(", ")}`);
  return a;
}

export function isApiKind(s: string): s is ApiKind {
  return (API_KINDS as readonly string[]).includes(s);
}

export { createSseDecoder, type SseEvent } from "./sse.js";
export { createLineSplitter } from "./ndjson.js";
