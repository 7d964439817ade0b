// Flags of vLLM's, GuideLLM's and AIPerf's clients: each alias, translation and hint with its
// exact result, then whole command lines of each peer through the real CLI against the scripted
// server, and `--json -` (stdout is one JSON document) for run, merge and sweep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { AIPERF_FLAGS, GUIDELLM_FLAGS, PEERS, translatePeerFlags, VLLM_FLAGS } from "../../src/cli/peerFlags.js";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { lengthSpec } from "../../src/cli/parse.js";
import { lengthText } from "../../src/output/workloadText.js";
import { looksLikeHubId } from "../../src/workload/tokenizer.js";
import { UsageError } from "../../src/errors.js";
import { openDb } from "../../src/store/db.js";
import { listRuns } from "../../src/store/runs.js";
import { runCli as cli } from "../support/cli.js";
import { startScriptedServer } from "../support/scriptedServer.js";

const t = (...args: string[]) => translatePeerFlags(["run", ...args]);
/** The UsageError message translating `args` throws (fails when it does not throw one). */
function thrown(args: string[]): string {
  try {
    translatePeerFlags(args);
  } catch (e) {
    assert.ok(e instanceof UsageError, String(e));
    assert.ok(!e.message.includes("\n"), "one line");
    return e.message;
  }
  assert.fail(`no error for ${args.join(" ")}`);
}

test("every alias of every peer is renamed, in both --flag value and --flag=value forms", () => {
  let n = 0;
  for (const { flags } of PEERS) {
    for (const [name, f] of Object.entries(flags)) {
      if (!("alias" in f)) continue;
      n++;
      assert.deepEqual(t(name, "7", "--no-store").args, ["run", f.alias, "7", "--no-store"], name);
      assert.deepEqual(t(`${name}=7`).args, ["run", `${f.alias}=7`], name);
      assert.deepEqual(t(name, "7").notes, [], `an alias has the same meaning: no note (${name})`);
    }
  }
  assert.ok(n >= 20, `aliases checked: ${n}`);
  // The ones the issue names, spelled out.
  assert.deepEqual(t("--max-requests", "50", "--max-seconds", "30", "--request-count", "9", "--processor", "tok.json").args, ["run", "--requests", "50", "--duration", "30", "--requests", "9", "--tokenizer", "tok.json"]);
});

test("every hint stops with its exact one-line message naming the peer", () => {
  let n = 0;
  for (const { peer, flags } of PEERS) {
    for (const [name, f] of Object.entries(flags)) {
      if (!("hint" in f)) continue;
      n++;
      const article = peer === "AIPerf" ? "an" : "a";
      assert.equal(thrown(["run", name, "x"]), `${name} is ${article} ${peer}${peer === "vLLM" ? " client" : ""} flag: ${f.hint}`);
    }
  }
  assert.ok(n >= 15, `hints checked: ${n}`);
  assert.equal(thrown(["run", "--save-detailed"]), "--save-detailed is a vLLM client flag: tokenbench stores every request in the results DB; write them to a file with --records FILE.jsonl");
});

test("no peer flag is one of ours with another meaning: the only shared name is --profile (ours is GuideLLM's sweep)", () => {
  const program = new Command();
  for (const register of COMMANDS) register(program);
  const ours = new Set<string>();
  for (const c of program.commands) for (const o of c.options) for (const n of [o.long, o.short]) if (n) ours.add(n);
  const peerNames = PEERS.flatMap(({ flags }) => Object.keys(flags));
  assert.equal(new Set(peerNames).size, peerNames.length, "a flag sits in one peer's table only");
  assert.deepEqual(peerNames.filter((n) => ours.has(n)), ["--profile"]);
  // --concurrency, --rate, --target, -m/--model, --tokenizer are ours and pass through untouched.
  assert.deepEqual(t("--concurrency", "4", "--rate", "2", "--target", "http://h:1", "-m", "x", "--model", "y", "--tokenizer", "meta-llama/Llama-2-7b-hf").args, ["run", "--concurrency", "4", "--rate", "2", "--target", "http://h:1", "-m", "x", "--model", "y", "--tokenizer", "meta-llama/Llama-2-7b-hf"]);
  assert.deepEqual(t("--", "--max-requests").args, ["run", "--", "--max-requests"], "nothing after -- is touched");
});

test("GuideLLM profiles with their --rate become run's loads, with a note saying what they became", () => {
  const cases: Array<[string[], string[]]> = [
    [["--rate-type", "sweep", "--rate", "10"], ["--profile", "sweep", "--profile-rates", "8"]],
    [["--profile", "sweep", "--rate", "5"], ["--profile", "sweep", "--profile-rates", "3"]],
    [["--rate-type", "sweep"], ["--profile", "sweep"]],
    [["--rate", "5", "--rate-type", "constant"], ["--rate", "5", "--arrival", "constant"]],
    [["--profile=async", "--rate=2,4"], ["--rate", "2,4", "--arrival", "constant"]],
    [["--rate-type", "poisson", "--rate", "3.5"], ["--rate", "3.5", "--arrival", "poisson"]],
    [["--rate-type", "throughput"], ["--rate", "inf"]],
    [["--rate-type", "throughput", "--rate", "64"], ["--rate", "inf", "--max-concurrency", "64"]],
    [["--rate-type", "synchronous"], ["--concurrency", "1"]],
    [["--rate-type", "concurrent", "--rate", "16,32"], ["--concurrency", "16,32"]],
  ];
  for (const [line, want] of cases) assert.deepEqual(t(...line).args, ["run", ...want], line.join(" "));
  assert.deepEqual(t("--rate-type", "constant", "--rate", "5").notes, ["note: GuideLLM --rate-type constant --rate 5 read as --rate 5 --arrival constant"]);
  assert.deepEqual(t("--profile", "sweep").notes, [], "our own --profile sweep: nothing to say");
  assert.deepEqual(t("--profile", "nope").args, ["run", "--profile", "nope"], "not a GuideLLM profile: commander names the choices");
  assert.equal(thrown(["run", "--rate-type", "constant"]), "--rate-type constant is a GuideLLM flag: it needs --rate (GuideLLM's value for this profile)");
  assert.equal(thrown(["run", "--rate-type", "synchronous", "--rate", "2"]), "--rate-type synchronous is a GuideLLM flag: it takes no --rate (one request at a time: --concurrency 1)");
  assert.equal(thrown(["run", "--rate-type", "sweep", "--rate", "2"]), `--rate-type sweep --rate 2 is a GuideLLM flag: GuideLLM's --rate counts every run of the sweep, the synchronous and throughput ones too: give an integer >= 3, got "2"`);
  assert.equal(thrown(["sweep", "--rate-type", "sweep"]), "--rate-type sweep is a GuideLLM flag: GuideLLM's profiles are loads of `tokenbench run` (sweep: run --profile sweep); `tokenbench sweep` searches for the best load under an SLO");
});

test("GuideLLM --data: synthetic pairs or JSON as length specs sampled as GuideLLM does, a JSONL file as --dataset", () => {
  const dir = mkdtempSync(join(tmpdir(), "tb-peer-"));
  const cases: Array<[string, string[]]> = [
    ["prompt_tokens=256,output_tokens=128", ["--input-tokens", "256", "--output-tokens", "128"]],
    ["prompt_tokens=256", ["--input-tokens", "256"]],
    // a stdev: a normal clipped to _min/_max, which default to mean -/+ 5 stdev (at least 1)
    ["prompt_tokens=512,prompt_tokens_stdev=128,prompt_tokens_min=256,prompt_tokens_max=1024,output_tokens=64", ["--input-tokens", "normal:512:128:256:1024", "--output-tokens", "64"]],
    ["prompt_tokens=100,prompt_tokens_stdev=10", ["--input-tokens", "normal:100:10:50:150"]],
    ["prompt_tokens=100,prompt_tokens_stdev=40", ["--input-tokens", "normal:100:40:1:300"]],
    // no stdev, _min and _max differing: uniform between them
    ["prompt_tokens=100,prompt_tokens_min=50,prompt_tokens_max=150,output_tokens=8,samples=1000", ["--input-tokens", "50:150", "--output-tokens", "8"]],
    ['{"prompt_tokens": 64, "output_tokens": 32}', ["--input-tokens", "64", "--output-tokens", "32"]],
  ];
  for (const [data, want] of cases) assert.deepEqual(t("--data", data).args, ["run", ...want], data);
  for (const [, want] of cases) for (let i = 1; i < want.length; i += 2) assert.doesNotThrow(() => lengthSpec(want[i]), want[i]);
  const jsonl = join(dir, "prompts.jsonl");
  writeFileSync(jsonl, '{"prompt": "hi"}\n');
  assert.deepEqual(t("--data", jsonl).args, ["run", "--dataset", jsonl]);
  const csv = join(dir, "prompts.csv");
  writeFileSync(csv, "prompt\nhi\n");
  assert.equal(thrown(["run", "--data", csv]), `--data ${csv} is a GuideLLM flag: tokenbench reads JSONL files (one {"prompt": ..., "output_tokens": N} per line) and ShareGPT JSON: --dataset FILE [--dataset-format jsonl|sharegpt]`);
  assert.equal(thrown(["run", "--data", "garage-bAInd/Open-Platypus"]), "--data garage-bAInd/Open-Platypus is a GuideLLM flag: this looks like a Hugging Face dataset id, and tokenbench downloads nothing: fetch the file elsewhere and pass --dataset FILE");
  assert.equal(thrown(["run", "--data", "prompt_tokens=8,prefix_tokens=4"]), "--data prefix_tokens= is a GuideLLM flag: tokenbench reads prompt_tokens and output_tokens here (with _stdev, _min, _max); shared prefixes are --shared-prefix N / --prefix-groups");
  assert.equal(thrown(["run", "--data", "prompt_tokens_stdev=8"]), "--data prompt_tokens is a GuideLLM flag: prompt_tokens_stdev/_min/_max need prompt_tokens (the mean)");
  // GuideLLM's default backend is what tokenbench talks to; others are not.
  assert.deepEqual(t("--backend-type", "openai_http").args, ["run"]);
  assert.deepEqual(t("--backend-type", "openai_http").notes, ["note: GuideLLM --backend-type openai_http read as nothing (tokenbench's default)"]);
  assert.equal(thrown(["run", "--backend-type", "vllm_python"]), "--backend-type vllm_python is a GuideLLM flag: tokenbench talks to HTTP servers: --target URL with --api (openai-completions, openai-chat, tgi, llamacpp, ...)");
});

test("AIPerf: mean/stddev lengths, --streaming, --url without scheme, --endpoint-type, --model-names", () => {
  assert.deepEqual(
    t("--synthetic-input-tokens-mean", "128", "--synthetic-input-tokens-stddev", "0", "--output-tokens-mean", "64", "--output-tokens-stddev", "8", "--streaming").args,
    ["run", "--input-tokens", "128", "--output-tokens", "normal:64:8"],
  );
  assert.deepEqual(t("--isl", "100", "--isl-stddev=5", "--osl=20").args, ["run", "--input-tokens", "normal:100:5", "--output-tokens", "20"]);
  assert.deepEqual(t("--url", "localhost:8000", "-u", "https://h:1/v1").args, ["run", "--target", "http://localhost:8000", "--target", "https://h:1/v1"]);
  assert.deepEqual(t("--endpoint-type", "chat").args, ["run", "--api", "openai-chat"]);
  assert.deepEqual(t("--endpoint-type", "completions").args, ["run", "--api", "openai-completions"]);
  assert.deepEqual(t("--model-names", "m1").args, ["run", "--model", "m1"]);
  assert.deepEqual(t("--streaming").notes, [], "--streaming is what tokenbench always does: dropped silently");
  assert.equal(thrown(["run", "--synthetic-input-tokens-stddev", "3"]), "--synthetic-input-tokens-stddev is an AIPerf flag: it goes with --synthetic-input-tokens-mean (the mean), which is missing");
  assert.equal(thrown(["run", "--endpoint-type", "embeddings"]), "--endpoint-type embeddings is an AIPerf flag: tokenbench benchmarks text generation: --api openai-completions, openai-chat, tgi, llamacpp, ...");
  assert.equal(thrown(["run", "--model-names", "a,b"]), "--model-names is an AIPerf flag: tokenbench sends one model per run: --model NAME (compare models with tokenbench experiment)");
  assert.equal(thrown(["run", "--url"]), "--url is an AIPerf flag: it needs a value");
  for (const k of ["--synthetic-input-tokens-mean", "--output-tokens-mean", "--streaming", "--request-count", "--url", "--endpoint-type"]) assert.ok(k in AIPERF_FLAGS, k);
  for (const k of ["--rate-type", "--max-requests", "--max-seconds", "--data", "--backend-type"]) assert.ok(k in GUIDELLM_FLAGS, k);
});

test("vLLM --dataset-name: sharegpt reads --dataset-path as ShareGPT, random is the default, others hint", () => {
  assert.deepEqual(t("--dataset-name", "sharegpt", "--dataset-path", "sg.json").args, ["run", "--dataset-format", "sharegpt", "--dataset", "sg.json"]);
  assert.deepEqual(t("--dataset-name=random", "--random-input-len", "32").args, ["run", "--input-tokens", "32"]);
  assert.equal(thrown(["run", "--dataset-name", "sharegpt"]), "--dataset-name sharegpt is a vLLM client flag: it needs --dataset-path FILE (ShareGPT JSON; tokenbench downloads nothing)");
  assert.equal(
    thrown(["run", "--dataset-name", "sonnet", "--dataset-path", "x"]),
    "--dataset-name sonnet is a vLLM client flag: synthetic prompts are the default (--input-tokens / --output-tokens; vLLM's random); files are --dataset FILE with --dataset-format jsonl|sharegpt; traces --trace FILE",
  );
  assert.ok("--dataset-name" in VLLM_FLAGS && !("hint" in VLLM_FLAGS["--dataset-name"]), "no blanket hint any more");
});

test("length specs: normal with bounds parses and reads back", () => {
  assert.deepEqual(lengthSpec("normal:512:128:256:1024"), { kind: "normal", mean: 512, stddev: 128, min: 256, max: 1024 });
  assert.throws(() => lengthSpec("normal:512:128:900:100"), /min > max/);
  assert.equal(lengthText({ kind: "normal", mean: 512, stddev: 128, min: 256, max: 1024 }), "normal(512, sd 128, 256-1024)");
  assert.equal(lengthText({ kind: "normal", mean: 512, stddev: 128 }), "normal(512, sd 128)");
});

test("a Hugging Face tokenizer id: one line saying there is no hub here and how to get the file", async () => {
  for (const s of ["meta-llama/Llama-2-7b-hf", "Qwen/Qwen3-0.6B"]) assert.ok(looksLikeHubId(s), s);
  for (const s of ["./meta-llama/x", "/abs/tok", "dir/tokenizer.json", "llama3", "a/b/c"]) assert.ok(!looksLikeHubId(s), s);
  const r = await cli(["run", "--target", "http://127.0.0.1:9", "--tokenizer", "meta-llama/Llama-2-7b-hf", "--no-store", "--no-progress"]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.equal(
    r.stderr.trim(),
    'tokenbench: error: tokenizer "meta-llama/Llama-2-7b-hf" is not a file here and looks like a Hugging Face model id: tokenbench has no model hub access; ' +
      "download its tokenizer.json (and tokenizer_config.json) elsewhere, e.g. https://huggingface.co/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json, " +
      "and pass --tokenizer with that file or its folder (bundled: llama3, mistral, bytes)",
  );
  // A path that is missing keeps the plain message.
  const p = await cli(["run", "--target", "http://127.0.0.1:9", "--tokenizer", "./nope/tokenizer.json", "--no-store"]);
  assert.equal(p.code, 2);
  assert.match(p.stderr, /tokenizer file not found: .*nope\/tokenizer\.json/);
});

test("AIPerf's --concurrency with --request-rate: our exclusive error says it is a cap here", async () => {
  const r = await cli(["run", "--target", "http://127.0.0.1:9", "--concurrency", "8", "--request-rate", "5", "--no-store"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim(), "tokenbench: error: --concurrency and --rate are exclusive: pick closed loop or open loop (AIPerf's --concurrency with --request-rate is a cap: here --rate 5 --max-concurrency 8)");
});

test("a GuideLLM line and an AIPerf line run as typed; --json - puts one JSON document on stdout", { timeout: 120_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 4, itlMs: 1 } });
  try {
    const g = await cli(["run", "--target", srv.url, "--rate-type", "constant", "--rate", "40", "--max-requests", "4", "--data", "prompt_tokens=16,output_tokens=4", "--warmup", "0", "--json", "-", "--no-store", "--no-progress"]);
    assert.equal(g.code, 0, g.stderr);
    const gd = JSON.parse(g.stdout);
    assert.equal(gd.runs.length, 1);
    assert.deepEqual(gd.runs[0].load, { mode: "rate", rate: 40, arrival: "constant" });
    assert.equal(gd.runs[0].requests.completed, 4);
    assert.deepEqual(gd.runs[0].workload.input_tokens, { kind: "fixed", value: 16 });
    assert.deepEqual(gd.runs[0].workload.output_tokens, { kind: "fixed", value: 4 });
    assert.match(g.stderr, /^note: GuideLLM --rate-type constant --rate 40 read as --rate 40 --arrival constant$/m);
    assert.match(g.stderr, /Latency \(ms\)/, "the table went to stderr");

    const a = await cli([
      "run", "--url", srv.url.replace(/^http:\/\//, ""), "--endpoint-type", "completions", "--streaming", "--concurrency", "2", "--request-count", "3",
      "--synthetic-input-tokens-mean", "12", "--output-tokens-mean", "3", "--warmup-request-count", "1", "--random-seed", "9", "--json", "-", "--no-store", "--no-progress",
    ]);
    assert.equal(a.code, 0, a.stderr);
    const ad = JSON.parse(a.stdout);
    assert.deepEqual(ad.runs[0].load, { mode: "concurrency", concurrency: 2 });
    assert.equal(ad.runs[0].requests.completed, 3);
    assert.equal(ad.runs[0].workload.warmup, 1);
    assert.equal(ad.runs[0].workload.seed, 9);
    assert.equal(ad.runs[0].api, "openai-completions");
  } finally {
    await srv.close();
  }
});

test("vLLM --dataset-name sharegpt --dataset-path F runs the ShareGPT file", { timeout: 60_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 3, itlMs: 1 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-peer-"));
  const file = join(dir, "sg.json");
  const conv = (q: string, a: string) => ({ conversations: [{ from: "human", value: q }, { from: "gpt", value: a }] });
  writeFileSync(file, JSON.stringify([conv("What is two plus two?", "Four, of course."), conv("Name a colour.", "Blue is one.")]));
  try {
    const r = await cli(["run", "--base-url", srv.url, "--dataset-name", "sharegpt", "--dataset-path", file, "--num-prompts", "2", "--warmup", "0", "--concurrency", "1", "--json", "-", "--no-store", "--no-progress"]);
    assert.equal(r.code, 0, r.stderr);
    const run = JSON.parse(r.stdout).runs[0];
    assert.equal(run.workload.kind, "dataset");
    assert.deepEqual(run.workload.dataset.format, "sharegpt");
    assert.equal(run.workload.dataset.path, file);
    assert.equal(run.requests.completed, 2);
  } finally {
    await srv.close();
  }
});

test("merge --json - and sweep --json - write JSON to stdout; sweep --label labels every stored run", { timeout: 180_000 }, async () => {
  const srv = await startScriptedServer({ script: { ttftMs: 3, itlMs: 1 } });
  const dir = mkdtempSync(join(tmpdir(), "tb-peer-"));
  try {
    // Two shards: shard 0's summary comes from `run --json -` (its stdout is the file merge reads).
    const startAt = Date.now() + 8000;
    const shard = (i: number, json: string) =>
      cli(["run", "--target", srv.url, "--concurrency", "2", "--requests", "4", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "3", "--shard", `${i}/2`, "--start-at", String(startAt), "--json", json, "--records", join(dir, `s${i}.jsonl`), "--no-store", "--no-progress"]);
    const [s0, s1] = await Promise.all([shard(0, "-"), shard(1, join(dir, "s1.json"))]);
    assert.equal(s0.code, 0, s0.stderr);
    assert.equal(s1.code, 0, s1.stderr);
    writeFileSync(join(dir, "s0.json"), s0.stdout);
    const m = await cli(["merge", join(dir, "s0.json"), join(dir, "s0.jsonl"), join(dir, "s1.json"), join(dir, "s1.jsonl"), "--json", "-", "--no-store"]);
    assert.equal(m.code, 0, m.stderr);
    const merged = JSON.parse(m.stdout);
    assert.equal(merged.runs.length, 1);
    assert.equal(merged.runs[0].requests.completed, 4);
    assert.equal(merged.runs[0].merged.shards, 2);
    assert.match(m.stderr, /Latency \(ms\)/, "the table went to stderr");

    const db = join(dir, "db.sqlite");
    const s = await cli(["sweep", "--target", srv.url, "--start", "1", "--max", "2", "--refine", "0", "--requests", "3", "--warmup", "0", "--input-tokens", "8", "--output-tokens", "3", "--label", "peer-sweep", "--db", db, "--json", "-", "--no-progress"]);
    assert.equal(s.code, 0, s.stderr);
    const doc = JSON.parse(s.stdout);
    assert.ok(doc.points.length >= 2, s.stdout);
    assert.match(s.stderr, /chosen: /, "the verdict went to stderr");
    const store = openDb(db, { readonly: true });
    try {
      const runs = listRuns(store);
      assert.equal(runs.length, doc.points.length);
      for (const r of runs) assert.equal(r.label, "peer-sweep", r.id);
    } finally {
      store.close();
    }
  } finally {
    await srv.close();
  }
});
