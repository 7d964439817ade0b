// A real stored benchmark: runBenchmark against the scripted streaming server, into a real
// SQLite file. Model name, label and error bodies carry script-injection attempts, and an
// API key is passed, so the report tests can check escaping and redaction on real data.
import { runBenchmark } from "../../src/benchmark/run.js";
import { HOSTILE, startScriptedServer } from "./sseServer.js";
import { tempDbPath } from "./fixtures.js";

export const SECRET = "sk-tokenbenchtestsecret0123456789";

export interface RealRuns {
  dbPath: string;
  runIds: string[];
}

export async function createRealRuns(dbPath = tempDbPath()): Promise<RealRuns> {
  const server = await startScriptedServer({ ttftMs: 40, gapMs: 8, failEvery: 6, modelName: `model ${HOSTILE}` });
  try {
    const result = await runBenchmark({
      targets: [server.url],
      api: "openai-completions",
      apiKey: SECRET,
      loads: [{ mode: "concurrency", concurrency: 1 }, { mode: "concurrency", concurrency: 4 }],
      requests: 18,
      warmup: 1,
      db: dbPath,
      label: `scripted ${HOSTILE}`,
      workload: { kind: "synthetic", input: { kind: "fixed", value: 16 }, output: { kind: "fixed", value: 16 } },
    });
    return { dbPath, runIds: result.summaries.map((s) => s.id) };
  } finally {
    await server.close();
  }
}
