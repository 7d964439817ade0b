// Child process for the concurrent-write test: a benchmark-like writer appending runs to the
// results database while the UI reads it. Usage: writer.ts DB_PATH RUNS
import { openDb } from "../../src/store/db.js";
import { appendRequests, createRun, finishRun } from "../../src/store/runs.js";
import { simulate, summarize } from "../report/fixtures.js";

const [path, count] = [process.argv[2], Number(process.argv[3])];
const db = openDb(path);
for (let i = 0; i < count; i++) {
  const id = `live-${String(i).padStart(4, "0")}`;
  createRun(db, { id, toolVersion: "0.1.0", label: `live c=${(i % 4) + 1}`, load: { mode: "concurrency", concurrency: (i % 4) + 1 } });
  const records = simulate({ concurrency: (i % 4) + 1, requests: 40, seed: i + 1, tpotMs: 20, prefillMs: 50, outputTokens: 64 });
  // Records arrive in batches as requests finish, like a running benchmark.
  for (let k = 0; k < records.length; k += 10) appendRequests(db, id, k, records.slice(k, k + 10));
  finishRun(db, id, "completed", summarize(id, records, (i % 4) + 1));
  process.stdout.write(`${id}\n`);
  // A benchmark stores a run every few seconds; 20 ms apart keeps the test short while the
  // reader still sees the database mid-way.
  await new Promise((r) => setTimeout(r, 20));
}
db.close();
