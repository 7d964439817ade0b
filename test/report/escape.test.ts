import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeHtml, jsonForScript } from "../../src/report/escape.js";

const HOSTILE = `</script><script>alert(1)</script><!-- "x" 'y' & \u2028`;

test("escapeHtml leaves no markup characters", () => {
  const e = escapeHtml(HOSTILE);
  assert.doesNotMatch(e, /[<>"']/);
  assert.equal(e.slice(0, 24), "&lt;/script&gt;&lt;scrip");
  assert.equal(escapeHtml(null), "");
});

test("jsonForScript cannot close or comment out its script block and parses back to the same value", () => {
  const value = { label: HOSTILE, nested: [HOSTILE, 1.5, null] };
  const s = jsonForScript(value);
  assert.doesNotMatch(s, /<|>|\u2028/);
  assert.deepEqual(JSON.parse(s), value);
});
