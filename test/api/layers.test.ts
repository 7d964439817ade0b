// The pipeline's stages import only downward: measure/ (per request) never reaches into the
// stages that consume its records (aggregate, store, output, report, benchmark).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ABOVE_MEASURE = ["aggregate", "store", "output", "report", "ui", "benchmark", "cli", "compare", "experiment", "sweep"];

test("src/measure imports no stage above it", () => {
  const dir = join("src", "measure");
  const bad: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/\bfrom\s+"(\.\.\/[^"]+)"/g)) {
      const stage = m[1].split("/")[1];
      if (ABOVE_MEASURE.includes(stage)) bad.push(`${f} imports ${m[1]}`);
    }
  }
  assert.deepEqual(bad, []);
});
