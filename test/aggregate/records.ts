// Hand-made request records for aggregation tests, latencies derived by the real code.
import type { RequestRecord } from "../../src/measure/types.js";
import { deriveLatencies } from "../../src/measure/requestMetrics.js";

export interface RecordSpec {
  sentAt: number;
  scheduledAt?: number;
  /** Tokens arrive one per chunk every `gap` ms starting at sentAt + ttft. */
  tokens?: number;
  ttft?: number;
  gap?: number;
  ok?: boolean;
  inputTokens?: number;
  target?: string;
  errorKind?: RequestRecord["errorKind"];
  endAt?: number;
  outputTokensSource?: RequestRecord["outputTokensSource"];
  lengthMismatch?: boolean;
}

export function makeRecord(s: RecordSpec, index = 0): RequestRecord {
  const tokens = s.tokens ?? 10;
  const ttft = s.ttft ?? 100;
  const gap = s.gap ?? 100;
  const ok = s.ok ?? true;
  const chunks: Array<[number, number]> = Array.from({ length: tokens }, (_, i) => [s.sentAt + ttft + i * gap, 1]);
  const endAt = s.endAt ?? (chunks.length ? chunks[chunks.length - 1][0] : s.sentAt + ttft);
  const scheduledAt = s.scheduledAt ?? s.sentAt;
  const base = {
    index,
    target: s.target ?? "http://127.0.0.1:1",
    warmup: false,
    scheduledAt,
    sentAt: s.sentAt,
    firstTokenAt: chunks[0]?.[0],
    endAt,
    ok,
    errorKind: ok ? undefined : (s.errorKind ?? "disconnect"),
    inputTokens: s.inputTokens ?? 10,
    inputTokensSource: "workload" as const,
    outputTokens: tokens,
    outputTokensSource: s.outputTokensSource ?? ("server" as const),
    requestedOutputTokens: tokens,
    lengthMismatch: s.lengthMismatch ?? false,
    chunks,
  };
  return { ...base, ...deriveLatencies(base) };
}
