// Response bodies and stream chunks shaped like OpenAI's (and vLLM's) completions and chat APIs.
import { randomBytes } from "node:crypto";

export type FinishReason = "length" | "stop";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

export function newIdentity(kind: "completion" | "chat", model: string): ResponseIdentity {
  return {
    id: `${kind === "chat" ? "chatcmpl" : "cmpl"}-${randomBytes(12).toString("hex")}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

/** Builds the stream chunks of one response; the first chat chunk carries only the role, as OpenAI's does. */
export class ChunkBuilder {
  constructor(
    private readonly kind: "completion" | "chat",
    private readonly ident: ResponseIdentity,
  ) {}

  private envelope(choices: unknown[], u?: Usage): Record<string, unknown> {
    const obj: Record<string, unknown> = {
      id: this.ident.id,
      object: this.kind === "chat" ? "chat.completion.chunk" : "text_completion",
      created: this.ident.created,
      model: this.ident.model,
      choices,
    };
    if (u) obj.usage = u;
    return obj;
  }

  roleChunk(u?: Usage): Record<string, unknown> {
    return this.envelope([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }], u);
  }

  content(text: string, u?: Usage): Record<string, unknown> {
    return this.kind === "chat"
      ? this.envelope([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], u)
      : this.envelope([{ index: 0, text, logprobs: null, finish_reason: null }], u);
  }

  finish(reason: FinishReason, u?: Usage): Record<string, unknown> {
    return this.kind === "chat"
      ? this.envelope([{ index: 0, delta: {}, logprobs: null, finish_reason: reason }], u)
      : this.envelope([{ index: 0, text: "", logprobs: null, finish_reason: reason }], u);
  }

  usageOnly(u: Usage): Record<string, unknown> {
    return this.envelope([], u);
  }
}

export function fullResponse(kind: "completion" | "chat", ident: ResponseIdentity, text: string, reason: FinishReason, u: Usage): Record<string, unknown> {
  const choice =
    kind === "chat"
      ? { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: reason }
      : { index: 0, text, logprobs: null, finish_reason: reason };
  return {
    id: ident.id,
    object: kind === "chat" ? "chat.completion" : "text_completion",
    created: ident.created,
    model: ident.model,
    choices: [choice],
    usage: u,
  };
}

export function errorBody(message: string, type: string, code: number): Record<string, unknown> {
  return { error: { message, type, code } };
}
