#!/usr/bin/env bash
# Device call (issue 19 part 1): does llama-server's slot placement set TPOT? With -np 64 and per-slot KV streams
# (kv_unified = false, this build's default when -np is given) a wave of c requests spread over distant slots decoded
# 1.6-2.5x slower than one in adjacent slots (docs/gpu.md section 4, slot-waves.py). One call, one card: the default
# server at c = 8, 16 (the control, same machine), then the same server with one unified KV buffer (-kvu) over the
# full sweep c = 1..64, n = max(8, 5c), 256 in / 256 out. Files are written under $OUT as they come, so a call cut
# by its time limit still returns what it measured.
# Usage: bash scripts/device/pack-gl.sh here, then on the device: bash .gl/kv-unified.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; mkdir -p $W; R=$OUT/r; mkdir -p $R
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a $R/info.txt; }
GPUN=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | tr -c "A-Za-z0-9\n" -)
{ nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem,power.limit --format=csv; lscpu | head -20; } > $R/gpu.txt 2>&1
( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
  cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
    -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server -j16 ) > $W/build.log 2>&1 & bpid=$!
D=/tmp/tb-device; mkdir -p $D/bin $D/app
xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; tar -xJf $G/tb.tar.xz -C $D/app
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
log "$GPUN; tokenbench $(tokenbench --version)"
(cd $W && tokenbench model generate --preset llama-2-7b --out gen.gguf && mv gen.gguf llama-2-7b.gguf) > $W/generate.log 2>&1
log "model rc $?"
wait $bpid; log "build rc $?"; tail -5 $W/build.log > $R/build-tail.log
LS=$W/build/bin/llama-server
serve() { # $1 tag, rest: extra server args
  local tag=$1; shift
  $LS -m $W/llama-2-7b.gguf -ngl 99 -np 64 -c 36864 -fa on -ub 512 --cache-ram 0 "$@" --host 127.0.0.1 --port 8090 > $R/server-$tag.log 2>&1 & spid=$!
  for i in $(seq 1 240); do node -e "fetch('http://127.0.0.1:8090/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" && break; kill -0 $spid 2>/dev/null || break; sleep 0.5; done
  log "server $tag up: $(grep -m1 -o "kv_unified = '[a-z]*'" $R/server-$tag.log) $(grep -m1 -o "n_ctx_s[a-z]* *= *[0-9]*" $R/server-$tag.log)"
}
level() { # $1 tag, $2 c
  local tag=$1 c=$2 n=$(( $2 * 5 < 8 ? 8 : $2 * 5 )) wu=$(( $2 < 2 ? 2 : $2 ))
  timeout 100 tokenbench run -t http://127.0.0.1:8090 --tokenizer mistral --input-tokens 256 --output-tokens 256 -c $c -n $n --warmup $wu \
    --timeout 90 --db $R/results.db --label "$GPUN-7b-np64-$tag" --json $R/7b-$tag-c$c.json --no-progress > $R/7b-$tag-c$c.txt 2>&1
  log "$tag c=$c rc $? $(grep -m1 'TPOT' $R/7b-$tag-c$c.txt | tr -s ' ' | cut -c1-120)"
}
serve split
for c in 8 16; do level split $c; done
kill $spid; wait $spid 2>/dev/null
serve kvu -kvu
for c in 1 2 4 8 16 32 64; do level kvu $c; done
kill $spid; wait $spid 2>/dev/null; log done
