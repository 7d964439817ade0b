// The statistics live in src/compare (another module's responsibility); the report only
// needs its `compare()` and degrades to "no comparison" with a note when it is unavailable.
import type { CompareFn } from "./data.js";

export async function loadCompare(): Promise<CompareFn | undefined> {
  // Resolved at run time so the report builds and runs before src/compare lands.
  const path = "../compare/index.js";
  try {
    const mod = (await import(path)) as { compare?: CompareFn };
    return typeof mod.compare === "function" ? mod.compare : undefined;
  } catch {
    return undefined;
  }
}
