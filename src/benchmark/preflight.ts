import type { ProtocolAdapter } from "../protocols/types.js";
import type { WorkItem } from "../workload/types.js";
import { closeTargets, openTargets } from "../client/targets.js";
import { streamRequest } from "../client/streamRequest.js";
import type { ResolvedOptions } from "./resolve.js";

/** The test request before a run failed: the target, API or model is wrong, or the server is down. */
export class PreflightError extends Error {}

/** Output tokens the test request asks for: enough to see a stream, cheap on any server. */
const PREFLIGHT_OUTPUT_TOKENS = 8;

/**
 * Sends one request (the workload's first prompt, a few output tokens) to each target before
 * anything is measured, as vLLM's benchmark client does, and stops with the server's own
 * message when it does not stream back at least one token. Catches what would otherwise be a
 * run of nothing but failures: nothing listening, a wrong --api (404, or a 200 whose stream
 * this API's parser finds no tokens in), an unknown model name.
 *
 * @throws PreflightError with one line: the target, what failed, the server's message, a hint
 */
export async function preflight(targets: string[], adapter: ProtocolAdapter, item: WorkItem, model: string, o: ResolvedOptions, signal?: AbortSignal): Promise<void> {
  for (const url of targets) {
    if (signal?.aborted) return;
    const pools = openTargets([url], 1, o.timeoutMs);
    try {
      const spec = adapter.buildRequest({
        prompt: item.prompt,
        model,
        maxTokens: Math.min(item.outputTokens, PREFLIGHT_OUTPUT_TOKENS),
        exactOutput: o.exactOutput,
        temperature: o.temperature,
        seed: o.seed,
        extraBody: o.extraBody,
      });
      spec.headers = { ...spec.headers, ...o.headers };
      const t0 = performance.now();
      const raw = await streamRequest(pools[0], adapter, spec, { timeoutMs: o.timeoutMs, signal, now: () => performance.now() - t0 });
      // Interrupted: the caller sees its own signal and stops; not the server's fault.
      if (raw.errorKind === "aborted") return;
      if (!raw.ok) {
        const hint =
          raw.errorKind === "connect"
            ? "is the server running there?"
            : raw.errorKind === "http" && raw.httpStatus === 404
              ? `check --api (${o.api} posts to ${spec.path}) and --model (${model})`
              : raw.errorKind === "http"
                ? `check --model (${model}), --api-key and --extra-body`
                : raw.errorKind === "protocol"
                  ? `check --api (${o.api}): the answer did not parse as its stream`
                  : "";
        throw new PreflightError(
          `test request to ${url} failed (${raw.errorKind}): ${raw.error}${hint ? `; ${hint}` : ""} (--no-preflight skips this check)`,
        );
      }
    } finally {
      await closeTargets(pools);
    }
  }
}
