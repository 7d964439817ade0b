import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { parsePrometheusText, toServerSamples, startPrometheusScraper } from "../../src/telemetry/prometheus.js";

// Excerpts in the exact exposition format each server emits (names and label sets as they ship).
const VLLM = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 3.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 12.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 0.4375
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 123456.0
# HELP vllm:generation_tokens_created Number of generation tokens processed.
# TYPE vllm:generation_tokens_created gauge
vllm:generation_tokens_created{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 1.7e+09
# HELP vllm:time_to_first_token_seconds Histogram of time to first token in seconds.
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.001",model_name="meta-llama/Llama-2-7b-hf"} 0.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="meta-llama/Llama-2-7b-hf"} 42.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 42.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="meta-llama/Llama-2-7b-hf"} 3.25
`;

const TGI = `# TYPE tgi_queue_size gauge
tgi_queue_size 7
# TYPE tgi_batch_current_size gauge
tgi_batch_current_size 32
# TYPE tgi_request_duration histogram
tgi_request_duration_bucket{le="0.5"} 3
tgi_request_duration_sum 41.5
`;

const SGLANG = `# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="Qwen/Qwen2-7B",tp_rank="0"} 5.0
# HELP sglang:token_usage The token usage.
# TYPE sglang:token_usage gauge
sglang:token_usage{model_name="Qwen/Qwen2-7B",tp_rank="0"} 0.21
sglang:num_queue_reqs{model_name="Qwen/Qwen2-7B",tp_rank="0"} 0.0
`;

const LLAMACPP = `# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 2048
# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 2
# HELP llamacpp:requests_deferred Number of requests deferred.
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 1
`;

const byName = (text: string) => {
  const out = new Map<string, { value: number; labels?: Record<string, string> }>();
  for (const s of toServerSamples(parsePrometheusText(text), 0)) out.set(`${s.name}|${s.labels?.metric ?? ""}`, s);
  return out;
};

test("vLLM: known names mapped with labels kept, buckets and _created dropped, _sum/_count kept raw", () => {
  const raw = parsePrometheusText(VLLM);
  assert.equal(raw.length, 9);
  assert.deepEqual(raw[0], { name: "vllm:num_requests_running", labels: { engine: "0", model_name: "meta-llama/Llama-2-7b-hf" }, value: 3 });
  assert.equal(raw.find((s) => s.labels.le === "+Inf")!.value, 42);
  const m = byName(VLLM);
  assert.equal(m.get("requests_running|vllm:num_requests_running")!.value, 3);
  assert.equal(m.get("requests_running|vllm:num_requests_running")!.labels!.model_name, "meta-llama/Llama-2-7b-hf");
  assert.equal(m.get("requests_waiting|vllm:num_requests_waiting")!.value, 12);
  assert.equal(m.get("kv_cache_usage|vllm:kv_cache_usage_perc")!.value, 0.4375);
  assert.equal(m.get("generation_tokens_total|vllm:generation_tokens_total")!.value, 123456);
  assert.equal(m.get("vllm:time_to_first_token_seconds_sum|")!.value, 3.25);
  assert.ok(![...m.keys()].some((k) => k.includes("_bucket") || k.includes("_created")));
});

test("TGI, SGLang and llama.cpp names map to the same engine-neutral series", () => {
  const tgi = byName(TGI);
  assert.equal(tgi.get("requests_waiting|tgi_queue_size")!.value, 7);
  assert.equal(tgi.get("requests_running|tgi_batch_current_size")!.value, 32);
  assert.equal(tgi.get("tgi_request_duration_sum|")!.value, 41.5);
  const sg = byName(SGLANG);
  assert.equal(sg.get("requests_running|sglang:num_running_reqs")!.value, 5);
  assert.equal(sg.get("kv_cache_usage|sglang:token_usage")!.value, 0.21);
  assert.equal(sg.get("requests_waiting|sglang:num_queue_reqs")!.value, 0);
  const lc = byName(LLAMACPP);
  assert.equal(lc.get("requests_running|llamacpp:requests_processing")!.value, 2);
  assert.equal(lc.get("requests_waiting|llamacpp:requests_deferred")!.value, 1);
  assert.equal(lc.get("prompt_tokens_total|llamacpp:prompt_tokens_total")!.value, 2048);
});

test("parser handles escapes, timestamps, special values and skips junk", () => {
  const s = parsePrometheusText(
    [
      'x{path="/a,b",msg="say \\"hi\\"\\nnow",back="c:\\\\d"} 1.5 1700000000000',
      "y NaN",
      "z +Inf",
      "not a metric line {",
      'broken{a="unterminated} 3',
      "w -2e-3",
    ].join("\n"),
  );
  assert.deepEqual(s[0], { name: "x", labels: { path: "/a,b", msg: 'say "hi"\nnow', back: "c:\\d" }, value: 1.5 });
  assert.ok(Number.isNaN(s[1].value));
  assert.equal(s[2].value, Infinity);
  assert.deepEqual(s[3], { name: "w", labels: {}, value: -0.002 });
  assert.equal(s.length, 4);
  // Non-finite values are not stored.
  assert.equal(toServerSamples(s, 0).length, 2);
});

test("scraper samples a live endpoint and turns failures into notes", async () => {
  let n = 0;
  const srv = http.createServer((_req, res) => {
    n++;
    if (n === 2) return void ((res.statusCode = 500), res.end("oops"));
    res.end(`vllm:num_requests_running{model_name="m"} ${n}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/metrics`;
  const scraper = startPrometheusScraper(url, 50);
  // Generous: up to 20 s for 4 scrapes under CPU contention.
  for (let i = 0; i < 400 && n < 4; i++) await new Promise((r) => setTimeout(r, 50));
  const { samples, notes } = await scraper.stop();
  srv.close();
  assert.ok(samples.length >= 2);
  assert.ok(samples.every((s) => s.source === "server" && s.name === "requests_running"));
  assert.ok(notes.some((x) => /failed 1x: HTTP 500/.test(x)), notes.join(";"));
  const gone = await startPrometheusScraper(url, 50).stop();
  assert.equal(gone.samples.length, 0);
});

test("stopping takes one last scrape, so counters include the run's last requests", async () => {
  let served = 0;
  let requestsDone = 19;
  const srv = http.createServer((_req, res) => {
    served++;
    res.end(`llamacpp:requests_processing 0\nllamacpp:n_decode_total ${requestsDone}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}/metrics`;
  try {
    // A long interval: only the first scrape happens during the "run".
    const scraper = startPrometheusScraper(url, 60_000);
    for (let i = 0; i < 200 && served < 1; i++) await new Promise((r) => setTimeout(r, 25));
    requestsDone = 22;
    const { samples } = await scraper.stop();
    const decoded = samples.filter((s) => s.name === "llamacpp:n_decode_total").map((s) => s.value);
    assert.deepEqual(decoded, [19, 22]);
  } finally {
    srv.close();
  }
});
