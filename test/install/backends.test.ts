// A light install (issue #18): a CPU user gets node-llama-cpp's CPU back-end only. The clone's
// package.json overrides the GPU and ARM prebuilt back-ends with an empty package, and the
// packed tarball bundles node-llama-cpp with what the clone installed, so a user's
// `npm install tokenbench` cannot pull the 640 MB of CUDA/Vulkan/ARM binaries either.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const pkgDir = (name: string) => join(root, "node_modules", ...name.split("/"));
const GPU_BACKENDS = ["linux-x64-cuda", "linux-x64-cuda-ext", "linux-x64-vulkan", "linux-arm64", "linux-armv7l"].map((b) => `@node-llama-cpp/${b}`);

test("the clone has the CPU back-end with its binaries; every GPU/ARM back-end is the empty stand-in or absent", () => {
  const cpu = pkgDir("@node-llama-cpp/linux-x64");
  assert.equal(JSON.parse(readFileSync(join(cpu, "package.json"), "utf8")).name, "@node-llama-cpp/linux-x64");
  const files = readdirSync(cpu, { recursive: true }).map(String);
  assert.ok(files.some((f) => f.endsWith(".node")), "the CPU back-end carries its compiled addon");
  for (const b of GPU_BACKENDS) {
    if (!existsSync(pkgDir(b))) continue;
    assert.equal(JSON.parse(readFileSync(join(pkgDir(b), "package.json"), "utf8")).name, "no-gpu-backend", `${b} is a real back-end`);
  }
});

test("the packed tarball bundles node-llama-cpp with the CPU back-end only and no dev-only package", () => {
  // what prepack does (npm pack runs it; --ignore-scripts here skips prepare's rebuild)
  execFileSync(process.execPath, [join(root, "scripts", "drop-backend-stand-ins.mjs")]);
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20, env: { ...process.env, npm_config_loglevel: "silent" } });
  const [info] = JSON.parse(out.slice(out.indexOf("["))) as Array<{ files: Array<{ path: string }>; unpackedSize: number }>;
  const paths = info.files.map((f) => f.path);
  assert.ok(paths.includes("node_modules/node-llama-cpp/package.json"), "node-llama-cpp is bundled");
  assert.ok(paths.some((p) => p.startsWith("node_modules/@node-llama-cpp/linux-x64/")), "its CPU back-end is bundled");
  for (const b of GPU_BACKENDS) assert.ok(!paths.some((p) => p.startsWith(`node_modules/${b}/`)), `${b} is in the tarball`);
  for (const dev of ["typescript", "playwright-core", "kubernetes-models", "tsx"]) {
    assert.ok(!paths.some((p) => p.startsWith(`node_modules/${dev}/`)), `dev-only ${dev} is in the tarball`);
  }
  assert.ok(paths.includes("dist/index.js") || paths.includes("dist/cli/main.js"), "the built library is in the tarball");
  // node-llama-cpp 3.22.1 with its llama.cpp source bundle and the CPU binaries: ~150 MB unpacked
  assert.ok(info.unpackedSize < 250e6, `unpacked ${(info.unpackedSize / 1e6).toFixed(0)} MB`);
});
