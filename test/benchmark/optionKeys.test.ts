// A library caller has no type checker at run time: a misspelled option or a malformed workload
// must be refused in one line, not ignored (the run would silently use the defaults).
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveOptions } from "../../src/benchmark/resolve.js";
import { UsageError } from "../../src/errors.js";
import type { BenchmarkOptions } from "../../src/benchmark/options.js";

test("resolveOptions: unknown keys and a workload without a kind are named in one line", () => {
  const base: BenchmarkOptions = { targets: ["http://127.0.0.1:9"], db: null };
  assert.throws(
    () => resolveOptions({ ...base, inputTokens: 32, outputTokens: 16 } as unknown as BenchmarkOptions),
    (e: unknown) => e instanceof UsageError && /^unknown options inputTokens, outputTokens \(options: targets, /.test(e.message) && !e.message.includes("\n"),
  );
  assert.throws(
    () => resolveOptions({ ...base, workload: { input_tokens: 5 } } as unknown as BenchmarkOptions),
    (e: unknown) => e instanceof UsageError && /invalid workload: kind must be "synthetic"/.test(e.message),
  );
  // Every real option passes the key check.
  const o = resolveOptions({ ...base, requests: 3, warmup: 0, workload: { kind: "synthetic", input: { kind: "fixed", value: 8 }, output: { kind: "fixed", value: 4 } } });
  assert.equal(o.requests, 3);
});
