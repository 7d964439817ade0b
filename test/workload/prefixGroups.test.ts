import { test } from "node:test";
import assert from "node:assert/strict";
import { syntheticPrompts } from "../../src/workload/synthetic.js";
import { byteTokenizer } from "../../src/workload/tokenizer.js";
import { toOptions } from "../../src/cli/commands/run.js";
import { Command } from "commander";
import { register } from "../../src/cli/commands/run.js";

const input = { kind: "uniform" as const, min: 30, max: 60 };

test("prefix groups: N distinct prefixes, each on its share of the requests; one group = the single shared prefix", () => {
  const k = 20;
  const ps = syntheticPrompts({ count: 600, input, sharedPrefixTokens: k, prefixGroups: [0.5, 0.3, 0.2], seed: 7, tokenizer: byteTokenizer });
  const heads = new Map<string, number[]>();
  for (const p of ps) {
    assert.equal(byteTokenizer.count(p.prompt), p.inputTokens);
    const h = p.prompt.slice(0, k); // one byte per token
    heads.set(h, [...(heads.get(h) ?? []), p.prefixGroup!]);
  }
  assert.equal(heads.size, 3);
  // every prefix text belongs to exactly one group, and groups get their shares (+-5 points)
  const counts = [0, 0, 0];
  for (const groups of heads.values()) {
    assert.equal(new Set(groups).size, 1);
    counts[groups[0]] += groups.length;
  }
  [0.5, 0.3, 0.2].forEach((share, g) => assert.ok(Math.abs(counts[g] / 600 - share) < 0.05, `group ${g}: ${counts[g]} of 600`));
  // group 0's prefix and every prompt's tail do not depend on the groups: the single-prefix workload
  const single = syntheticPrompts({ count: 600, input, sharedPrefixTokens: k, seed: 7, tokenizer: byteTokenizer });
  const g0 = ps.findIndex((p) => p.prefixGroup === 0);
  assert.equal(ps[g0].prompt, single[g0].prompt);
  assert.equal(single[0].prefixGroup, undefined);
  ps.forEach((p, i) => assert.equal(p.prompt.slice(k), single[i].prompt.slice(k)));
  assert.throws(() => syntheticPrompts({ count: 1, input, sharedPrefixTokens: k, prefixGroups: [0.5, 0.4], seed: 1, tokenizer: byteTokenizer }), /shares must sum to 1/);
  assert.throws(() => syntheticPrompts({ count: 1, input, prefixGroups: [0.5, 0.5], seed: 1, tokenizer: byteTokenizer }), /need a shared prefix length/);
});

test("--prefix-groups: N equal groups or a list of shares, with --shared-prefix", async () => {
  const parse = async (args: string[]) => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    let flags: unknown;
    register(program);
    program.commands[0].action((f) => void (flags = f));
    await program.parseAsync(["node", "tokenbench", "run", "-t", "http://127.0.0.1:1", ...args]);
    return toOptions(flags as never);
  };
  const w = (await parse(["--shared-prefix", "16", "--prefix-groups", "4"])).workload;
  assert.deepEqual(w?.kind === "synthetic" && w.prefixGroups, [0.25, 0.25, 0.25, 0.25]);
  const w2 = (await parse(["--shared-prefix", "16", "--prefix-groups", "0.7,0.3"])).workload;
  assert.deepEqual(w2?.kind === "synthetic" && w2.prefixGroups, [0.7, 0.3]);
  await assert.rejects(parse(["--shared-prefix", "16", "--prefix-groups", "0.7,0.2"]), /shares must sum to 1/);
  await assert.rejects(parse(["--prefix-groups", "3"]), /--prefix-groups needs --shared-prefix/);
});
