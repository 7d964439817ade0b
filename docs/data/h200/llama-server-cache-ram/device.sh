#!/usr/bin/env bash
# Device-side driver for the --cache-ram 0 cells of examples/llama-server-gpu on one H200 (no Node.js, no network there).
# Carried in .gl/: node.xz + tb.tar.xz (tokenbench packed as ../shared/device/pack.sh does), llama-src.tar.xz
# (git archive of llama.cpp de3ff815 from node-llama-cpp's bundle, minus models/docs/tests), experiment.yaml.
# Reuses /tmp/tb-gpu (server build, model, results DB) when the machine is still warm from an earlier call.
# Usage: bash .gl/device.sh BUDGET_S "ONLY_GLOB" ["ONLY_GLOB" ...]   (each glob = one `experiment run --only` pass, in order)
set -u
t0=$(date +%s); G=$PWD/.gl; W=/tmp/tb-gpu; budget=$1; shift; mkdir -p $W
el() { echo $(( $(date +%s) - t0 )); }
echo "tree: $(pwd) $(git log -1 --oneline 2>/dev/null)"; ls -la $G
D=/tmp/tb-device; mkdir -p $D/bin $D/app
[ -x $D/bin/node ] || { xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; }
[ -f $D/app/dist/cli/main.js ] || tar -xJf $G/tb.tar.xz -C $D/app
printf '#!/bin/sh\nexec %s %s "$@"\n' $D/bin/node $D/app/dist/cli/main.js > $D/bin/tokenbench; chmod +x $D/bin/tokenbench
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
tokenbench --version || exit 3
if [ ! -x $W/build/bin/llama-server ]; then
  ( rm -rf $W/llama.cpp $W/build && tar -xJf $G/llama-src.tar.xz -C $W &&
    cmake -S $W/llama.cpp -B $W/build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON \
      -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DBUILD_SHARED_LIBS=OFF \
      -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 && cmake --build $W/build --target llama-server -j16 ) > $W/build.log 2>&1 &
  bpid=$!
else bpid=; fi
if [ ! -f $W/llama-2-7b.gguf ]; then
  (cd $W && tokenbench model generate --preset llama-2-7b --out gen.gguf && mv gen.gguf llama-2-7b.gguf) > $W/generate.log 2>&1
  echo "model generated after $(el) s" >> $W/info.txt
fi
if [ -n "$bpid" ]; then wait $bpid; echo "llama-server built (rc $?) after $(el) s" >> $W/info.txt; fi
tail -30 $W/build.log > $OUT/build-tail.log 2>/dev/null
[ -x $W/build/bin/llama-server ] || { cat $W/info.txt; tail -40 $W/build.log; exit 4; }
export PATH=$W/build/bin:$PATH
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >> $W/info.txt
llama-server --version >> $W/info.txt 2>&1
cp $G/experiment.yaml $W/experiment.yaml; cd $W
for only in "$@"; do
  rem=$(( budget - $(el) - 15 )); [ $rem -gt 30 ] || { echo "no time left for $only" | tee -a $W/info.txt; continue; }
  echo "pass --only $only at $(el) s, limit $rem s" | tee -a $W/info.txt
  timeout $rem tokenbench experiment run experiment.yaml --db $W/results.db --logs $W/logs --only "$only" 2>&1 | tee -a $W/experiment.log
done
echo "experiment passes done after $(el) s" >> $W/info.txt
tokenbench runs --db $W/results.db --experiment llama-server-gpu --json > $OUT/runs.json
tokenbench compare llama-server-gpu --db $W/results.db --metric output_tokens_per_s,requests_per_s,total_tokens_per_s,ttft_mean_ms,ttft_p50_ms,tpot_p50_ms,e2e_p50_ms > $OUT/table.txt 2>&1
cp $W/results.db $W/experiment.log $W/info.txt $OUT/; (cd $W && tar -cJf $OUT/logs.tar.xz logs generate.log)
cat $OUT/info.txt; cat $OUT/table.txt | cut -c1-400 | head -20
