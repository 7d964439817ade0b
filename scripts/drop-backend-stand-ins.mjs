// prepack: removes the empty stand-ins (scripts/no-gpu-backend) that package.json's overrides put
// at node-llama-cpp's GPU/ARM back-end names, so the bundled node-llama-cpp in the tarball has
// none: a user who installs a real back-end (`npm install @node-llama-cpp/linux-x64-cuda@3.22.1`)
// then gets it, where a bundled stand-in would shadow it. node-llama-cpp treats a missing back-end
// as not available and falls back to the CPU one; the next `npm install` in the clone puts the
// stand-ins back.
import { lstatSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const scope = join(import.meta.dirname, "..", "node_modules", "@node-llama-cpp");
const overrides = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf8")).overrides ?? {};
for (const name of Object.keys(overrides)) {
  if (!name.startsWith("@node-llama-cpp/")) continue;
  const dir = join(scope, name.slice("@node-llama-cpp/".length));
  let isStandIn = false;
  try {
    isStandIn = lstatSync(dir).isSymbolicLink() || JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === "no-gpu-backend";
  } catch {
    continue; // absent already
  }
  if (isStandIn) rmSync(dir, { recursive: true, force: true });
}
