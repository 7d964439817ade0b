import { z } from "zod";
import { LATENCY_ORIGINS } from "../measure/requestMetrics.js";
import { MAX_CELLS, MAX_CONCURRENCY, MAX_REPEATS, MAX_REQUESTS, MAX_TIMER_S } from "../limits.js";
import { parseLoadJson } from "../schedule/shapes/index.js";
import { API_KINDS } from "../protocols/types.js";

// The experiment file format. Keys are snake_case (YAML convention); docs/experiments.md is the reference.

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "a name of letters, digits, '.', '_' or '-'");
const positiveInt = z.number().int().positive();

const length = z.union([
  positiveInt,
  z.strictObject({ min: positiveInt, max: positiveInt }),
  z.strictObject({ mean: z.number().positive(), stddev: z.number().nonnegative(), min: positiveInt.optional(), max: positiveInt.optional() }),
]);

const syntheticWorkload = z.strictObject({
  name,
  input: length,
  output: length,
  shared_prefix_tokens: z.number().int().nonnegative().optional(),
});

const datasetWorkload = z.strictObject({
  name,
  dataset: z.strictObject({
    format: z.enum(["jsonl", "sharegpt"]),
    path: z.string().min(1),
    default_output_tokens: positiveInt.optional(),
  }),
});

export const workloadSchema = z.union([syntheticWorkload, datasetWorkload]);

const signal = z.enum(["SIGTERM", "SIGINT", "SIGKILL", "SIGHUP", "SIGQUIT"]);

const launchedServer = z.strictObject({
  name,
  command: z.string().min(1),
  args: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
  env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  cwd: z.string().optional(),
  /** 0 or absent: a free port is picked; substituted for {port} in args, env and URLs. */
  port: z.number().int().min(0).max(65535).default(0),
  host: z.string().default("127.0.0.1"),
  api: z.enum(API_KINDS).default("openai-completions"),
  model: z.string().optional(),
  ready: z
    .strictObject({
      path: z.string().default("/health"),
      url: z.string().optional(),
      timeout_s: z.number().positive().max(MAX_TIMER_S).default(300),
      interval_s: z.number().positive().max(MAX_TIMER_S).default(0.5),
    })
    .default({ path: "/health", timeout_s: 300, interval_s: 0.5 }),
  stop: z
    .strictObject({ signal: signal.default("SIGTERM"), grace_s: z.number().nonnegative().max(MAX_TIMER_S).default(15) })
    .default({ signal: "SIGTERM", grace_s: 15 }),
  /** Prometheus endpoint path, or false when the server has none. */
  metrics: z.union([z.string(), z.literal(false)]).default("/metrics"),
  /** Identical processes launched side by side ({replica} = 0..N-1, each its own {port}); requests are spread over them. */
  replicas: positiveInt.default(1),
  balance: z.enum(["round-robin", "least-inflight"]).default("round-robin"),
});

const externalServer = z.strictObject({
  name,
  /** One base URL, or several (replicas) that requests are spread over. */
  target: z.union([z.string().url(), z.array(z.string().url()).min(1)]),
  balance: z.enum(["round-robin", "least-inflight"]).default("round-robin"),
  api: z.enum(API_KINDS).default("openai-completions"),
  model: z.string().optional(),
  metrics: z.union([z.string(), z.literal(false)]).default(false),
});

export const serverSchema = z.union([launchedServer, externalServer]);

const rateValue = z.union([z.number().positive(), z.literal("inf")]);

const loadsSchema = z
  .strictObject({
    concurrency: z.array(positiveInt.max(MAX_CONCURRENCY)).optional(),
    rate: z.array(rateValue).optional(),
    arrival: z.enum(["constant", "poisson", "gamma"]).default("poisson"),
    burstiness: z.number().positive().optional(),
    max_concurrency: positiveInt.max(MAX_CONCURRENCY).optional(),
    /** Any registered load shape in its JSON form, e.g. { mode: rate, rate: inf, arrival: constant, max_concurrency: 8 }. */
    shapes: z.array(z.unknown()).optional(),
  })
  .refine((l) => (l.concurrency?.length ?? 0) + (l.rate?.length ?? 0) + (l.shapes?.length ?? 0) > 0, "at least one concurrency, rate or shapes value")
  .superRefine((l, ctx) => {
    (l.shapes ?? []).forEach((raw, i) => {
      const r = parseLoadJson(raw);
      if (r.issue) ctx.addIssue({ ...r.issue, path: ["shapes", i, ...r.issue.path] } as Parameters<typeof ctx.addIssue>[0]);
    });
  });

export const commandSchema = z.strictObject({
  name,
  command: z.string().min(1),
  args: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
  env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
  cwd: z.string().optional(),
  timeout_s: z.number().positive().max(MAX_TIMER_S).default(3600),
  /** Every numeric field of every JSON-object line on stdout is a metric sample. */
  json_lines: z.boolean().default(true),
  /** metric name -> regular expression; the named group `value`, else the first group, is the number. */
  patterns: z.record(z.string(), z.string()).default({}),
  /** How the samples of one metric in one run become its value. */
  reduce: z.enum(["mean", "last", "max", "min", "sum"]).default("mean"),
  lower_is_better: z.array(z.string()).default([]),
  units: z.record(z.string(), z.string()).default({}),
});

const telemetrySchema = z
  .strictObject({
    gpu: z.boolean().default(true),
    server: z.boolean().default(true),
    client: z.boolean().default(true),
    interval_s: z.number().positive().max(MAX_TIMER_S).default(1),
  })
  .default({ gpu: true, server: true, client: true, interval_s: 1 });

export const experimentSchema = z
  .strictObject({
    name,
    description: z.string().optional(),
    servers: z.array(serverSchema).default([]),
    workloads: z.array(workloadSchema).default([]),
    loads: loadsSchema.optional(),
    commands: z.array(commandSchema).default([]),
    requests: positiveInt.max(MAX_REQUESTS).default(100),
    duration_s: z.number().positive().max(MAX_TIMER_S).optional(),
    repeats: positiveInt.max(MAX_REPEATS).default(1),
    warmup: z.number().int().nonnegative().max(MAX_REQUESTS).default(0),
    ramp_up_s: z.number().nonnegative().max(MAX_TIMER_S).optional(),
    timeout_s: z.number().positive().max(MAX_TIMER_S).optional(),
    exact_output: z.boolean().default(true),
    /** Where TTFT/E2E count from: "sent" (default, as vLLM) or "scheduled" (--latency-origin). Optional, not defaulted, so cell keys of files without it stay the same. */
    latency_origin: z.enum(LATENCY_ORIGINS).optional(),
    temperature: z.number().nonnegative().optional(),
    seed: z.number().int().optional(),
    /** HF tokenizer.json for prompt building and token counts, or a bundled name ("llama3", "mistral") or "bytes" (default: the bundled Llama 3 tokenizer). */
    tokenizer: z.string().optional(),
    goodput: z
      .strictObject({ ttft_ms: z.number().positive().optional(), tpot_ms: z.number().positive().optional(), e2e_ms: z.number().positive().optional() })
      .optional(),
    extra_body: z.record(z.string(), z.unknown()).optional(),
    telemetry: telemetrySchema,
  })
  .superRefine((e, ctx) => {
    if (e.servers.length === 0 && e.commands.length === 0) {
      ctx.addIssue({ code: "custom", path: ["servers"], message: "at least one server or command" });
    }
    if (e.servers.length > 0) {
      if (e.workloads.length === 0) ctx.addIssue({ code: "custom", path: ["workloads"], message: "at least one workload when servers are given" });
      if (!e.loads) ctx.addIssue({ code: "custom", path: ["loads"], message: "a loads section when servers are given" });
    }
    const loadCount = (e.loads?.concurrency?.length ?? 0) + (e.loads?.rate?.length ?? 0) + (e.loads?.shapes?.length ?? 0);
    const cells = e.repeats * (e.servers.length * e.workloads.length * loadCount + e.commands.length);
    if (cells > MAX_CELLS) ctx.addIssue({ code: "custom", path: ["repeats"], message: `at most ${MAX_CELLS} cells (this file expands to ${cells})` });
    for (const [key, list] of [["servers", e.servers], ["workloads", e.workloads], ["commands", e.commands]] as const) {
      const seen = new Set<string>();
      list.forEach((item, i) => {
        if (seen.has(item.name)) ctx.addIssue({ code: "custom", path: [key, i, "name"], message: `a unique name ("${item.name}" is used twice)` });
        seen.add(item.name);
      });
    }
  });

export type ExperimentSpec = z.output<typeof experimentSchema>;
export type ServerSpec = z.output<typeof serverSchema>;
export type LaunchedServerSpec = z.output<typeof launchedServer>;
export type ExternalServerSpec = z.output<typeof externalServer>;
export type WorkloadEntry = z.output<typeof workloadSchema>;
export type CommandSpec = z.output<typeof commandSchema>;
export type TelemetrySpec = z.output<typeof telemetrySchema>;

export function isLaunched(s: ServerSpec): s is LaunchedServerSpec {
  return "command" in s;
}
