#!/usr/bin/env bash
# Builds llama.cpp's own llama-server (CPU) from the llama.cpp source that node-llama-cpp's npm
# package carries (a git bundle), for the integration tests against a real engine.
# Reuses a build whose commit (and extra cmake flags) match. Prints the binary's path on stdout.
# Usage: bash scripts/build-llama-server.sh [CACHE_DIR]   (default ${TOKENBENCH_HOME:-~/.tokenbench}/llama-server)
# GPU build: LLAMA_SERVER_CMAKE_ARGS="-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90" (examples/llama-server-gpu).
# LLAMA_BUNDLE overrides where the bundle is read from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bundle=${LLAMA_BUNDLE:-$root/node_modules/node-llama-cpp/llama/gitRelease.bundle}
[ -f "$bundle" ] || { echo "build-llama-server: $bundle not found (run npm install first)" >&2; exit 2; }
commit=$(git bundle list-heads "$bundle" | awk 'NR==1{print $1}')
cache=${1:-${TOKENBENCH_HOME:-$HOME/.tokenbench}/llama-server}
extra=${LLAMA_SERVER_CMAKE_ARGS:-}
[ -n "$extra" ] && commit="$commit-$(printf %s "$extra" | sha1sum | cut -c1-8)"
bin="$cache/$commit/bin/llama-server"
if [ -x "$bin" ]; then echo "$bin"; exit 0; fi
src="$cache/src-$commit"
rm -rf "$src" "$cache/$commit.tmp"; mkdir -p "$cache"
git clone -q "$bundle" "$src" >&2
git -C "$src" checkout -q "${commit%%-*}" >&2
jobs=$(nproc)
cmake -S "$src" -B "$src/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF $extra >&2
cmake --build "$src/build" --target llama-server -j "$jobs" >&2
mkdir -p "$cache/$commit.tmp/bin"
cp "$src/build/bin/llama-server" "$cache/$commit.tmp/bin/"
mv "$cache/$commit.tmp" "$cache/$commit"
rm -rf "$src"
echo "$bin"
