// One request's token loop on a sequence: sampling options, min_tokens, stop strings, cancellation.
import { randomInt } from "node:crypto";
import type { LlamaContextSequence, Token } from "node-llama-cpp";
import { IncrementalDetokenizer } from "./detokenizer.js";
import type { LlamaEngine } from "./engine.js";
import { StopMatcher } from "./stop.js";

export interface GenerationParams {
  promptTokens: Token[];
  maxTokens: number;
  /** End-of-sequence is suppressed until this many tokens exist (max_tokens when ignore_eos). */
  minTokens: number;
  temperature: number;
  topP: number;
  seed?: number;
  stop: string[];
}

export type FinishKind = "length" | "stop" | "abort";

export interface GenerationResult {
  finish: FinishKind;
  completionTokens: number;
}

/**
 * Streams text for each generated token to `onText` (text may be "" while a UTF-8 character or a
 * possible stop string is incomplete). Checks `signal` after every token so a disconnected client
 * releases its sequence within one decode step. The sequence is cleared before returning.
 */
export async function generate(
  engine: LlamaEngine,
  seq: LlamaContextSequence,
  params: GenerationParams,
  signal: AbortSignal,
  onText: (text: string, completionTokens: number) => void,
): Promise<GenerationResult> {
  const detok = new IncrementalDetokenizer((t) => engine.model.detokenize(t as Token[], false), params.promptTokens.slice(-1));
  const stopper = new StopMatcher(params.stop);
  let produced = 0;
  // Text held back (an incomplete character or a possible stop-string prefix) once generation ends.
  const tail = (): { text: string; stopped: boolean } => {
    const t = stopper.push(detok.flush());
    return { text: t.text + (t.stopped ? "" : stopper.flush()), stopped: t.stopped };
  };
  if (signal.aborted) {
    if (!seq.disposed) await seq.clearHistory();
    return { finish: "abort", completionTokens: 0 };
  }
  const tokens = seq.evaluate(params.promptTokens, {
    temperature: params.temperature,
    topP: params.topP,
    topK: 0,
    minP: 0,
    // Without a seed node-llama-cpp uses the current second, so concurrent requests would repeat each other.
    seed: params.seed ?? randomInt(0, 2 ** 31),
    tokenBias: () => engine.biasFor(produced < params.minTokens),
    yieldEogToken: true,
  });
  const nextToken = async (): Promise<IteratorResult<Token, void>> => {
    const first = produced === 0;
    engine.step.requested(first);
    try {
      return await tokens.next();
    } finally {
      engine.step.received(first);
    }
  };
  engine.step.join();
  try {
    for (let r = await nextToken(); !r.done; r = await nextToken()) {
      const token = r.value;
      if (signal.aborted) return { finish: "abort", completionTokens: produced };
      if (engine.model.isEogToken(token)) {
        const t = tail();
        if (t.text) onText(t.text, produced);
        return { finish: "stop", completionTokens: produced };
      }
      produced++;
      const step = stopper.push(detok.push(token));
      if (step.stopped) {
        onText(step.text, produced);
        return { finish: "stop", completionTokens: produced };
      }
      if (produced >= params.maxTokens) {
        const t = tail();
        onText(step.text + t.text, produced);
        return { finish: t.stopped ? "stop" : "length", completionTokens: produced };
      }
      onText(step.text, produced);
      await engine.step.arrive();
    }
    // The iterator only ends by itself on an end-of-generation token it did not yield.
    return { finish: "stop", completionTokens: produced };
  } finally {
    engine.step.leave();
    await tokens.return();
    // Frees the KV cells so the next request on this sequence starts from an empty state.
    if (!seq.disposed) await seq.clearHistory();
  }
}
