import { readFileSync } from "node:fs";

// Read at run time so the stored tool version always matches the installed package.
export const TOOL_VERSION: string = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
).version;
