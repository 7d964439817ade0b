// Validation of OpenAI-style request bodies into one internal shape for both endpoints.
import { z } from "zod";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = status === 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error",
  ) {
    super(message);
  }
}

const streamOptions = z
  .object({
    include_usage: z.boolean().optional(),
    continuous_usage_stats: z.boolean().optional(),
  })
  .nullish();

const common = {
  model: z.string().optional(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  ignore_eos: z.boolean().nullish(),
  min_tokens: z.number().int().min(0).nullish(),
  stream: z.boolean().nullish(),
  stream_options: streamOptions,
  n: z.literal(1).nullish(),
};

const completionBody = z.object({
  ...common,
  prompt: z.union([z.string(), z.array(z.string()).length(1)]),
});

const textPart = z.object({ type: z.literal("text"), text: z.string() });
const chatBody = z.object({
  ...common,
  max_completion_tokens: z.number().int().min(1).nullish(),
  messages: z
    .array(
      z.object({
        role: z.enum(["system", "user", "assistant", "developer", "tool"]),
        content: z.union([z.string(), z.array(textPart)]).nullish(),
      }),
    )
    .min(1),
});

export interface ParsedRequest {
  kind: "completion" | "chat";
  model?: string;
  prompt: string;
  maxTokens?: number;
  temperature: number;
  topP: number;
  seed?: number;
  stop: string[];
  ignoreEos: boolean;
  minTokens: number;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
}

function zodMessage(e: z.ZodError): string {
  const issue = e.issues[0];
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `invalid request: ${path}: ${issue.message}`;
}

/**
 * The chat template used for every model: one "role: content" line per message, then "assistant: ".
 * A real template would depend on the model; generated models have none, and benchmarks only need
 * the prompt length to be predictable.
 */
export function renderChat(messages: ReadonlyArray<{ role: string; content?: string | Array<{ text: string }> | null }>): string {
  const lines = messages.map((m) => {
    const content = typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text).join("");
    return `${m.role}: ${content}\n`;
  });
  return `${lines.join("")}assistant: `;
}

export function parseRequest(kind: "completion" | "chat", body: unknown): ParsedRequest {
  const schema = kind === "completion" ? completionBody : chatBody;
  const r = schema.safeParse(body);
  if (!r.success) throw new HttpError(400, zodMessage(r.error));
  const b = r.data;
  const prompt =
    "prompt" in b ? (typeof b.prompt === "string" ? b.prompt : b.prompt[0]) : renderChat((b as z.infer<typeof chatBody>).messages);
  const maxTokens = ("max_completion_tokens" in b ? b.max_completion_tokens : undefined) ?? b.max_tokens ?? undefined;
  const minTokens = b.min_tokens ?? 0;
  if (maxTokens !== undefined && minTokens > maxTokens) throw new HttpError(400, `min_tokens (${minTokens}) must not exceed max_tokens (${maxTokens})`);
  return {
    kind,
    model: b.model,
    prompt,
    maxTokens,
    temperature: b.temperature ?? 1,
    topP: b.top_p ?? 1,
    seed: b.seed ?? undefined,
    stop: b.stop == null ? [] : typeof b.stop === "string" ? [b.stop] : b.stop,
    ignoreEos: b.ignore_eos ?? false,
    minTokens,
    stream: b.stream ?? false,
    includeUsage: b.stream_options?.include_usage ?? false,
    continuousUsage: b.stream_options?.continuous_usage_stats ?? false,
  };
}
