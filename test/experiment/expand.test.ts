import { test } from "node:test";
import assert from "node:assert/strict";
import { parseExperiment } from "../../src/experiment/load.js";
import { expandCells, filterCells, globToRegExp, groupKey } from "../../src/experiment/expand.js";

const spec = (over: Record<string, unknown> = {}) =>
  parseExperiment(
    {
      name: "e",
      servers: [
        { name: "a", command: "x" },
        { name: "b", target: "http://h:1" },
      ],
      workloads: [{ name: "short", input: 8, output: 8 }, { name: "long", input: { min: 100, max: 200 }, output: 16 }],
      loads: { concurrency: [1, 4], rate: [2.5, "inf"] },
      repeats: 2,
      commands: [{ name: "train", command: "python" }],
      ...over,
    },
    "e.yaml",
  );

test("matrix: servers x repeats x workloads x loads, then commands x repeats, with stable keys", () => {
  const cells = expandCells(spec());
  assert.equal(cells.length, 2 * 2 * 2 * 4 + 2);
  assert.deepEqual(cells.slice(0, 5).map((c) => c.key), [
    "server=a/workload=short/load=c1/rep=1",
    "server=a/workload=short/load=c4/rep=1",
    "server=a/workload=short/load=r2.5/rep=1",
    "server=a/workload=short/load=rinf/rep=1",
    "server=a/workload=long/load=c1/rep=1",
  ]);
  assert.equal(cells[8].key, "server=a/workload=short/load=c1/rep=2");
  assert.deepEqual(cells.slice(-2).map((c) => c.key), ["command=train/rep=1", "command=train/rep=2"]);
  const rate = cells.find((c) => c.key.includes("rinf"))!;
  assert.ok(rate.kind === "bench" && rate.load.mode === "rate" && rate.load.rate === Infinity && rate.load.arrival === "poisson");
  assert.equal(new Set(cells.map((c) => c.key)).size, cells.length);
  assert.equal(groupKey(cells[0].key), "server=a/workload=short/load=c1");
});

test("fingerprints: stable across parses, changed only for the cells a change affects", () => {
  const a = expandCells(spec());
  const b = expandCells(spec());
  assert.deepEqual(a.map((c) => c.fingerprint), b.map((c) => c.fingerprint));
  const c = expandCells(spec({ requests: 50 }));
  assert.ok(a.filter((x) => x.kind === "bench").every((x, i) => x.fingerprint !== c[i].fingerprint));
  assert.equal(a.at(-1)!.fingerprint, c.at(-1)!.fingerprint, "commands do not depend on request counts");
  const d = expandCells(spec({ servers: [{ name: "a", command: "x", env: { X: "1" } }, { name: "b", target: "http://h:1" }] }));
  const changed = a.filter((x, i) => x.fingerprint !== d[i].fingerprint).map((x) => x.key);
  assert.ok(changed.length === 16 && changed.every((k) => k.startsWith("server=a/")));
});

test("--only / --skip globs match whole key segments", () => {
  const cells = expandCells(spec());
  const keys = (only: string[], skip: string[] = []) => filterCells(cells, only, skip).map((c) => c.key);
  assert.equal(keys(["server=b"]).length, 16);
  assert.equal(keys(["server=b", "command=*"]).length, 18);
  assert.equal(keys(["load=c*"]).length, 16);
  assert.equal(keys(["server=a/workload=long/load=c4"]).length, 2);
  assert.equal(keys([], ["rep=2"]).length, 17);
  assert.equal(keys(["server=b,load=rinf"], ["rep=2"]).length, 10);
  assert.equal(keys(["server=a*"]).length, 16);
  assert.equal(keys(["server="]).length, 0, "no partial-segment match");
  assert.ok(globToRegExp("load=r2.5").test("x/load=r2.5/rep=1") && !globToRegExp("load=r2.5").test("load=r215"));
});
