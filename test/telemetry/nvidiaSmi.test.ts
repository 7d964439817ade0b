import { test } from "node:test";
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { parseNvidiaSmiLine, startNvidiaSmi } from "../../src/telemetry/nvidiaSmi.js";
import { startClientSampler } from "../../src/telemetry/client.js";

test("nvidia-smi CSV lines parse per GPU; [N/A] fields are skipped", () => {
  const a = parseNvidiaSmiLine("0, 87, 40321, 312.45, 1980", 5);
  assert.deepEqual(
    a.map((s) => [s.name, s.value, s.labels!.gpu, s.atMs]),
    [
      ["utilization_percent", 87, "0", 5],
      ["memory_used_mib", 40321, "0", 5],
      ["power_w", 312.45, "0", 5],
      ["sm_clock_mhz", 1980, "0", 5],
    ],
  );
  assert.deepEqual(parseNvidiaSmiLine("1, [N/A], 1024, [N/A], 1410", 0).map((s) => s.name), ["memory_used_mib", "sm_clock_mhz"]);
  assert.equal(parseNvidiaSmiLine("No devices were found", 0).length, 0);
});

test("sampler runs nvidia-smi in loop mode and stops it; a missing binary is a note", async () => {
  const s = startNvidiaSmi(100, resolve("test/fixtures/experiment/fake-nvidia-smi.mjs"));
  // 4 s: the fake nvidia-smi is a node script, slow to start on busy cores.
  await new Promise((r) => setTimeout(r, 4000));
  // Seen only by the one-off query at stop (the loop's process started with the old value).
  process.env.FAKE_SMI_POWER = "99.5";
  const { samples, notes } = await s.stop().finally(() => delete process.env.FAKE_SMI_POWER);
  assert.deepEqual(notes, []);
  assert.ok(samples.some((p) => p.source === "gpu" && p.name === "power_w" && p.value === 312.45 && p.labels?.gpu === "0"));
  assert.ok(!samples.some((p) => p.name === "utilization_percent" && p.labels?.gpu === "1"));
  // The one-off query at stop gives the last sample, so the series reach the run's end.
  const gpu0 = samples.filter((p) => p.name === "power_w" && p.labels?.gpu === "0");
  assert.equal(gpu0.at(-1)!.value, 99.5);
  assert.equal(gpu0.filter((p) => p.value === 99.5).length, 1);
  const missing = await startNvidiaSmi(100, "nvidia-smi-definitely-missing").stop();
  assert.deepEqual(missing.notes, ["nvidia-smi not found: GPU telemetry skipped"]);
});

test("client sampler reports a blocked event loop", async () => {
  const s = startClientSampler(100);
  await new Promise((r) => setTimeout(r, 150));
  const until = Date.now() + 300;
  while (Date.now() < until); // block the loop for 300 ms
  await new Promise((r) => setTimeout(r, 250));
  const { samples } = await s.stop();
  const lag = samples.filter((p) => p.name === "event_loop_lag_ms").map((p) => p.value);
  assert.ok(Math.max(...lag) >= 250, `lag ${lag}`);
  // CPU share depends on contention from other processes; only its presence and range are checked.
  assert.ok(samples.some((p) => p.name === "cpu_percent" && p.value > 0 && p.value < 400));
});
