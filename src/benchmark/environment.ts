import os from "node:os";
import { request } from "undici";
import type { ProtocolAdapter } from "../protocols/types.js";

export interface ServerInfo {
  url: string;
  path?: string;
  status?: number;
  body?: unknown;
  error?: string;
  /** First model id the server lists, when it lists any. */
  firstModel?: string;
}

/** Asks the server what it serves (/v1/models, /info, /api/tags); failures are recorded, not fatal. */
export async function fetchServerInfo(url: string, adapter: ProtocolAdapter, headers: Record<string, string>): Promise<ServerInfo> {
  if (!adapter.modelsPath) return { url };
  try {
    // `url` may carry a path prefix (a proxy's): the API path goes after it, not in its place.
    const res = await request(new URL(url + adapter.modelsPath), { headers, headersTimeout: 5000, bodyTimeout: 5000 });
    const text = (await res.body.text()).slice(0, 65536);
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep raw text */
    }
    return { url, path: adapter.modelsPath, status: res.statusCode, body, firstModel: res.statusCode < 300 ? adapter.parseModels?.(body)[0] : undefined };
  } catch (e) {
    return { url, path: adapter.modelsPath, error: (e as Error).message };
  }
}

export function hostInfo() {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: os.platform(),
    arch: os.arch(),
    cpu_model: cpus[0]?.model,
    cpu_count: cpus.length,
    total_memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
  };
}
