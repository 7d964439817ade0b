#!/usr/bin/env bash
# Device call (issue 19 part 2), after the send-time fix (sentAt = the socket write): bench/client-capacity.ts (bundled, no tsx there)
# with the client processes pinned to cores 0,1 (then 0-3, 0-7 for --workers 4, 8) and the scripted server on
# the other cores; the scripted server as cluster processes (--server-procs); on 2 cores tokenbench's own HTTP/1.1
# reader and undici side by side (CLIENTS=tokenbench,undici). Usage: bash scripts/device/pack-gl.sh here, then on the device: LEVELS=256,1024,4096 bash .gl/client-capacity.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; R=$OUT/r; mkdir -p $R
el() { echo $(( $(date +%s) - t0 )); }
log() { echo "[$(el) s] $*" | tee -a $R/info.txt; }
D=/tmp/tb-device; mkdir -p $D/bin $D/app
[ -x $D/bin/node ] || { xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node; }
[ -f $D/app/dist/cli/main.js ] || tar -xJf $G/tb.tar.xz -C $D/app
mkdir -p $D/app/bench && cp $G/bench/*.mjs $D/app/bench/
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
log "node $(node --version); nproc $(nproc); ulimit -n $(ulimit -n); $(uptime)"
B="node $D/app/bench/client-capacity.mjs --cli $D/app/dist/cli/main.js --itl 20 --ttft 20 --tokens 40 --rounds 2 --start-delay 4000 --per-stream-delay 1.5"
cd $D/app
# the bench's own process (merge, /proc sampling) stays off the client's cores
log "2 client cores"; timeout 380 taskset -c 14,15 $B --levels ${LEVELS:-256,1024,4096,10000} --workers 1,2 --http-client ${CLIENTS:-tokenbench,undici} --client-cpus 0,1 --server-cpus 2-13 --server-procs 10 2>&1 | tee $R/cap-2cores.md
log "4 and 8 client cores"; timeout 150 taskset -c 14,15 $B --levels 4096 --workers 4 --client-cpus 0-3 --server-cpus 4-13 --server-procs 8 2>&1 | tee $R/cap-4cores.md
timeout 120 taskset -c 14,15 $B --levels 4096,10000 --workers 8 --client-cpus 0-7 --server-cpus 8-13 --server-procs 6 2>&1 | tee $R/cap-8cores.md


log done; cp $R/info.txt $OUT/; (cd $OUT && tar -cJf cap.tar.xz r) && rm -rf $R
cat $OUT/info.txt
