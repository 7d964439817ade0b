import type { RunSummary } from "../aggregate/types.js";

/**
 * Why a finished run should not count as a success, in one line, or undefined when it can.
 * A run fails when every measured request failed, or, with `maxErrorRate`, when its failed
 * fraction is above that bound. The line names the commonest failure and the server's own
 * message, which otherwise only the per-request records hold. Interrupted runs are judged by
 * their interruption, not here.
 *
 * @param maxErrorRate fraction in [0, 1]; undefined: only an all-failed run fails
 */
export function runFailure(s: RunSummary, maxErrorRate?: number): string | undefined {
  const { sent, failed } = s.requests;
  if (s.status === "interrupted" || sent === 0) return undefined;
  const top = s.requests.commonest_error;
  const cause = top ? `commonest: ${top.kind} (${top.count} of ${failed}): ${top.message || "no message"}` : "";
  if (everyRequestFailed(s)) return `every request of run ${s.id} failed (${sent}); ${cause}`;
  if (maxErrorRate !== undefined && failed / sent > maxErrorRate) {
    return `run ${s.id}: ${failed} of ${sent} requests failed (${pct(failed / sent)}), above --max-error-rate ${maxErrorRate}; ${cause}`;
  }
  return undefined;
}

/** Whether a run that ended normally measured nothing: it sent requests and every one failed. */
export function everyRequestFailed(s: Pick<RunSummary, "requests">): boolean {
  return s.requests.sent > 0 && s.requests.failed === s.requests.sent;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
}
