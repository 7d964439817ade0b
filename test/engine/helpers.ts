// Shared by the engine tests: a private TOKENBENCH_HOME, HTTP helpers, SSE frame parsing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Points TOKENBENCH_HOME at a fresh temp dir for this test file; returns a cleanup function. */
export function useTempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "tokenbench-engine-test-"));
  const previous = process.env.TOKENBENCH_HOME;
  process.env.TOKENBENCH_HOME = home;
  return {
    home,
    cleanup: () => {
      if (previous === undefined) delete process.env.TOKENBENCH_HOME;
      else process.env.TOKENBENCH_HOME = previous;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

export interface StreamResult {
  status: number;
  contentType: string | null;
  /** Raw response text, for feeding protocol parsers. */
  raw: string;
  /** JSON payloads of the `data:` frames, [DONE] excluded. */
  frames: any[];
  done: boolean;
}

export async function postStream(url: string, body: unknown): Promise<StreamResult> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const raw = await res.text();
  const frames: any[] = [];
  let done = false;
  for (const block of raw.split("\n\n")) {
    const line = block.trim();
    if (!line) continue;
    if (!line.startsWith("data: ")) throw new Error(`not an SSE data frame: ${line.slice(0, 80)}`);
    const data = line.slice(6);
    if (data === "[DONE]") done = true;
    else frames.push(JSON.parse(data));
  }
  return { status: res.status, contentType: res.headers.get("content-type"), raw, frames, done };
}

/** Value of an unlabelled Prometheus sample. */
export function metricValue(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.slice(name.length + 1));
}

export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  return res.text();
}

export async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
