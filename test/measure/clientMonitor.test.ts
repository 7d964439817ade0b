import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { performance } from "node:perf_hooks";
import { startClientMonitor } from "../../src/measure/clientMonitor.js";
import {
  assessClientHealth,
  CPU_PERCENT_LIMIT,
  EVENT_LOOP_LAG_P99_LIMIT_MS,
  SEND_LAG_P99_LIMIT_MS,
  saturationWarning,
} from "../../src/measure/clientHealth.js";

/** Blocks the event loop until this process has burnt `ms` of CPU (so >= ms of wall time too, even when descheduled). */
function busyWait(ms: number) {
  const start = process.cpuUsage();
  for (;;) {
    const u = process.cpuUsage(start);
    if (u.user + u.system >= ms * 1000) return;
  }
}

test("a deliberately blocked event loop is detected as saturation", async () => {
  const origin = performance.now();
  const mon = startClientMonitor({ sampleIntervalMs: 100, originMs: origin });
  for (let i = 0; i < 4; i++) {
    await sleep(60);
    busyWait(100);
  }
  await sleep(60);
  const { health, samples } = mon.stop();
  assert.equal(health.saturated, true);
  // Each block delays the loop by ~100 ms; 80 ms is a generous floor under CPU contention.
  assert.ok(health.event_loop_lag_ms.max >= 80, `max ${health.event_loop_lag_ms.max}`);
  assert.ok(health.event_loop_lag_ms.p99 > EVENT_LOOP_LAG_P99_LIMIT_MS);
  assert.ok(health.reasons.some((r) => r.startsWith("event-loop lag")), health.reasons.join());
  // 4 x >= 100 ms of callbacks against 5 x 60 ms of waiting for a timer.
  assert.ok((health.event_loop_utilization ?? 0) >= 0.4, `utilization ${health.event_loop_utilization}`);
  const lag = samples.filter((s) => s.name === "event_loop_lag_ms");
  const cpu = samples.filter((s) => s.name === "cpu_percent");
  assert.ok(lag.length >= 3 && cpu.length >= 3, `samples ${samples.length}`);
  assert.ok(lag.some((s) => s.value >= 80));
  // Sample times are on the caller's clock and increase.
  for (let i = 1; i < lag.length; i++) assert.ok(lag[i].tMs >= lag[i - 1].tMs);
  assert.ok(lag[0].tMs > 0 && lag[lag.length - 1].tMs < performance.now() - origin + 1);
  // 400 ms of CPU burnt in ~700 ms (longer when other processes compete): a good share of a core.
  assert.ok(health.cpu_percent > 10 && health.cpu_percent < 150, `cpu ${health.cpu_percent}`);
});

test("recorded send lag beyond the limit flags saturation", () => {
  const mon = startClientMonitor();
  for (let i = 0; i < 100; i++) mon.recordSendLag(i < 95 ? 1 : 50);
  const { health } = mon.stop();
  assert.equal(health.send_lag_ms.max, 50);
  assert.ok(health.send_lag_ms.p99 > SEND_LAG_P99_LIMIT_MS);
  assert.ok(health.reasons.some((r) => r.startsWith("send lag")));
  assert.equal(health.saturated, true);
});

test("thresholds: each limit is its own reason, none when healthy", () => {
  const ok = assessClientHealth({ eventLoopLagMs: { p99: EVENT_LOOP_LAG_P99_LIMIT_MS, max: 50 }, sendLagMs: [SEND_LAG_P99_LIMIT_MS], cpuPercent: CPU_PERCENT_LIMIT });
  assert.equal(ok.saturated, false);
  assert.deepEqual(ok.reasons, []);
  assert.equal(saturationWarning(ok), null);
  const bad = assessClientHealth({ eventLoopLagMs: { p99: 25, max: 60 }, sendLagMs: [0, 0, 30], cpuPercent: 95 });
  assert.equal(bad.saturated, true);
  assert.equal(bad.reasons.length, 3);
  assert.match(saturationWarning(bad) ?? "", /^warning: the client could not keep up/);
  assert.ok(!(saturationWarning(bad) ?? "").includes("\n"));
});
