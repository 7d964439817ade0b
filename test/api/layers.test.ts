// The pipeline's stages import only downward: workload -> schedule -> protocols -> client ->
// measure -> aggregate -> store. A stage never reaches into one that consumes its output, and
// each stage owns its contracts (src/<stage>/types.ts), so there is no shared types module to
// lean on either.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, sep } from "node:path";

const PIPELINE = ["workload", "schedule", "protocols", "client", "measure", "aggregate", "store"];
// Stages that consume the pipeline's results: nothing in the pipeline may import them.
const CONSUMERS = ["output", "report", "ui", "benchmark", "cli", "compare", "experiment", "sweep", "predict", "k8s"];

function* tsFiles(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

/** Every relative import of the files under src/<stage>, as [file, imported stage (or file at src/)]. */
function importsOf(stage: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const file of tsFiles(join("src", stage))) {
    for (const m of readFileSync(file, "utf8").matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"|import\("(\.{1,2}\/[^"]+)"\)/g)) {
      const target = normalize(join(dirname(file), m[1] ?? m[2])).split(sep);
      if (target[0] === "src" && target.length > 2) out.push([file, target[1]]);
    }
  }
  return out;
}

test("each pipeline stage imports only the stages before it", () => {
  const bad: string[] = [];
  PIPELINE.forEach((stage, i) => {
    for (const [file, imported] of importsOf(stage)) {
      const j = PIPELINE.indexOf(imported);
      if (j > i || CONSUMERS.includes(imported)) bad.push(`${file} imports src/${imported}`);
    }
  });
  assert.deepEqual(bad, []);
});

test("no shared types module: each stage owns its contracts", () => {
  assert.equal(existsSync(join("src", "types.ts")), false);
  for (const stage of ["workload", "schedule", "protocols", "measure", "aggregate"]) assert.ok(existsSync(join("src", stage, "types.ts")), stage);
});
