// Parser cost per API: how many stream chunks (token events) and MB per second one core can
// parse, so the client's parsing never limits what it can measure. Each API gets a synthetic
// stream in its own wire format (N chunks with short multi-byte text and the API's usual
// metadata), fed in two ways: one network read per chunk (the usual case at moderate load) and
// 16 KiB reads (many chunks per read, high load). Decoding is included (TextDecoder), as in the client.
//
// Then one very long line per framing (SSE, NDJSON) of 1 to 40 MiB.
//
//   node --import tsx bench/protocol-parse.ts [--chunks 20000] [--rounds 5]
import { getAdapter } from "../src/protocols/index.js";
import { API_KINDS, type ApiKind } from "../src/protocols/types.js";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const N = Number(arg("chunks", "20000"));
const ROUNDS = Number(arg("rounds", "5"));

const WORDS = [" the", " naïve", " café", " 🚀", " token", " stream", ",", " of", " 42", "."];

function chunk(api: ApiKind, i: number, acc: { text: string }): string {
  const w = WORDS[i % WORDS.length];
  acc.text += w;
  const ct = i + 1;
  switch (api) {
    case "openai-completions":
      return `data: ${JSON.stringify({ id: "cmpl-1", object: "text_completion", created: 1, model: "m", choices: [{ index: 0, text: w, logprobs: null, finish_reason: null }], usage: { prompt_tokens: 128, completion_tokens: ct, total_tokens: 128 + ct } })}\n\n`;
    case "openai-chat":
      return `data: ${JSON.stringify({ id: "c-1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: w }, logprobs: null, finish_reason: null }], usage: { prompt_tokens: 128, completion_tokens: ct, total_tokens: 128 + ct } })}\n\n`;
    case "tgi":
      return `data:${JSON.stringify({ index: ct, token: { id: 100 + (i % 50), text: w, logprob: -0.3, special: false }, generated_text: null, details: null })}\n\n`;
    case "llamacpp":
      return `data: ${JSON.stringify({ index: 0, content: w, tokens: [100 + (i % 50)], stop: false, id_slot: 0, tokens_predicted: ct, tokens_evaluated: 128 })}\n\n`;
    case "ollama":
      return `${JSON.stringify({ model: "m", created_at: "2026-11-21T12:00:00Z", response: w, done: false })}\n`;
    case "sglang":
      // Cumulative text: the wire cost grows with the output, as on a real SGLang server.
      return `data: ${JSON.stringify({ text: acc.text.slice(-2000), meta_info: { id: "x", finish_reason: null, prompt_tokens: 128, completion_tokens: ct, cached_tokens: 0 }, index: 0 })}\n\n`;
    case "lightllm":
      return `data:${JSON.stringify({ token: { id: 1, text: w, logprob: -0.1, special: false, count_output_tokens: ct, prompt_tokens: 128 }, generated_text: null, finished: false, finish_reason: null, details: null })}\n\n`;
    case "triton":
      return `data: ${JSON.stringify({ model_name: "ensemble", model_version: "1", text_output: w })}\n\n`;
  }
}

function run(api: ApiKind, reads: Uint8Array[]): number {
  const parser = getAdapter(api).createParser();
  const dec = new TextDecoder();
  let events = 0;
  for (const r of reads) events += parser.feed(dec.decode(r, { stream: true })).length;
  events += parser.end().length;
  return events;
}

function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

console.log(`${N} chunks per stream, best of ${ROUNDS} rounds, Node ${process.version}`);
console.log("api                | stream MiB | per-chunk reads: chunks/s  µs/chunk | 16 KiB reads: chunks/s  MiB/s");
const enc = new TextEncoder();
for (const api of API_KINDS) {
  const acc = { text: "" };
  const pieces = Array.from({ length: N }, (_, i) => enc.encode(chunk(api, i, acc)));
  const whole = enc.encode(pieces.map((p) => new TextDecoder().decode(p)).join(""));
  const big = split(whole, 16384);
  let bestPer = Infinity;
  let bestBig = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    const e1 = run(api, pieces);
    bestPer = Math.min(bestPer, performance.now() - t);
    t = performance.now();
    const e2 = run(api, big);
    bestBig = Math.min(bestBig, performance.now() - t);
    if (e1 < N || e1 !== e2) throw new Error(`${api}: ${e1} / ${e2} events for ${N} chunks`);
  }
  const mib = whole.length / 1048576;
  console.log(
    `${api.padEnd(18)} | ${mib.toFixed(2).padStart(10)} | ${Math.round((N / bestPer) * 1000).toLocaleString("en").padStart(25)} ${((bestPer * 1000) / N).toFixed(2).padStart(9)} | ${Math.round((N / bestBig) * 1000).toLocaleString("en").padStart(21)} ${(mib / (bestBig / 1000)).toFixed(1).padStart(6)}`,
  );
}

// One very long line (a huge JSON event, e.g. a server that sends a whole long answer at once),
// arriving in 64 KiB reads: the framing must cost time linear in the line's length (before the
// fix, growing one string made it quadratic: 10 MiB took 1.7 s on an idle core).
console.log("\none long line in 64 KiB reads, best of rounds: whole parse (decode, framing, JSON) time and MiB/s");
console.log("framing | line MiB |      ms |  MiB/s");
for (const [name, api] of [["SSE", "openai-completions"], ["NDJSON", "ollama"]] as const) {
  for (const mib of [1, 10, 20, 40]) {
    const payload = "x".repeat(mib * 1048576);
    const text = api === "ollama" ? `{"response":"${payload}","done":false}\n` : `data: {"choices":[{"text":"${payload}"}]}\n\n`;
    const reads = split(enc.encode(text), 65536);
    let best = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      const events = run(api, reads);
      best = Math.min(best, performance.now() - t);
      if (events < 1) throw new Error(`${name} ${mib} MiB: no event`);
    }
    console.log(`${name.padEnd(7)} | ${String(mib).padStart(8)} | ${best.toFixed(0).padStart(7)} | ${(mib / (best / 1000)).toFixed(0).padStart(6)}`);
  }
}
