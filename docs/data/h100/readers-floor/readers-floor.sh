#!/usr/bin/env bash
# Device call (issue 19 part 2): what one socket read costs on the 16-core host, for Node's readers and in C:
# bench/http-readers.ts (bundled) with undici, tokenbench's HTTP/1.1 reader, a bare net socket with onread, and
# bench/native-reader.c (epoll, one recv() per readiness), client pinned to core 0, the scripted server as 10
# cluster processes on cores 2-13, at 1,024 and 4,096 streams (20 ms ITL: 51,200 and 204,800 events/s offered).
# Usage: npm run build && bash scripts/device/pack-gl.sh here, then on the device: bash .gl/readers-floor.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; R=/tmp/tb-out; rm -rf $R; mkdir -p $R
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a $R/info.txt; }
D=/tmp/tb-device; mkdir -p $D/bin $D/app
xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; tar -xJf $G/tb.tar.xz -C $D/app
mkdir -p $D/app/bench && cp $G/bench/*.mjs $G/bench/native-reader $D/app/bench/
export PATH=$D/bin:$PATH
ulimit -n 65536 2>/dev/null; log "node $(node --version); nproc $(nproc); ulimit -n $(ulimit -n); $(lscpu | grep -m1 'Model name'); $(uname -r)"
cd $D/app
for s in 1024 4096; do
  timeout 200 taskset -c 14,15 node bench/http-readers.mjs --streams $s --seconds 6 --repeats 2 --client-cpus 0 --server-cpus 2-13 --server-procs 10 --native bench/native-reader > $R/readers-$s.md 2>&1
  log "streams $s rc $?"; cat $R/readers-$s.md
done
log done; tar -cJf $OUT/run.tar.xz -C $R .
