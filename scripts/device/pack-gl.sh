#!/usr/bin/env bash
# Packs .gl/ (git-ignored) for a device call that carries [".gl"] (64 MiB at most; this is ~55 MiB): node.xz
# (this machine's node), tb.tar.xz (dist + node_modules without llama.cpp binaries, compilers, browsers, charts,
# k8s models), llama-src.tar.xz (the llama.cpp source node-llama-cpp ships, de3ff815), gpuprobe.py, the
# bundled client-capacity and http-readers benches, bench/native-reader.c built static, and the device scripts of this folder. Run after `npm run build`, from the root.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"; G=.gl; mkdir -p $G/bench
[ -f dist/cli/main.js ] || { echo "pack-gl.sh: build first (npm run build)" >&2; exit 2; }
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" > $G/node.xz
tar -cf - --exclude='node_modules/@node-llama-cpp' --exclude='node_modules/node-llama-cpp/llama/gitRelease.bundle' \
  --exclude='node_modules/typescript' --exclude='node_modules/@esbuild' --exclude='node_modules/esbuild' \
  --exclude='node_modules/playwright-core' --exclude='node_modules/tsx' --exclude='node_modules/echarts' --exclude='node_modules/zrender' \
  --exclude='node_modules/kubernetes-models' --exclude='node_modules/@kubernetes-models' --exclude='node_modules/@resvg' --exclude='node_modules/@types' \
  --exclude='node_modules/@swc' --exclude='node_modules/better-sqlite3/deps' --exclude='node_modules/better-sqlite3/src' dist node_modules package.json | xz -T0 -6 > $G/tb.tar.xz
t=$(mktemp -d); git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle $t/llama.cpp 2>/dev/null
rm -rf $t/llama.cpp/.git $t/llama.cpp/docs $t/llama.cpp/models/*.gguf; tar -C $t -cf - llama.cpp | xz -T0 -6 > $G/llama-src.tar.xz; rm -rf $t
for b in client-capacity scriptedServerProcess http-readers; do
  npx esbuild bench/$b.ts --bundle --platform=node --format=esm --outfile=$G/bench/$b.mjs --packages=external --log-level=warning
done
cc -O2 -static -o $G/bench/native-reader bench/native-reader.c
cp docs/data/h100/llama-server-repeat/gpuprobe.py scripts/device/*.sh $G/
du -sh $G
