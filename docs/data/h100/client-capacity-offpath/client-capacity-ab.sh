#!/usr/bin/env bash
# Device call (issue 19 part 2): the client before and after moving record work off the read path (one timestamp
# per socket read, same-read self-check), A/B on the same 16-core host: bench/client-capacity.ts (bundled) with the
# client pinned to cores 0,1 and the scripted server as 10 cluster processes on cores 2-13, the two builds
# alternating per level. Then the new build alone: 4,096 streams at a 40 ms ITL and 10,000 at 100 ms on 2 cores,
# and 4,096 / 10,000 streams on 4 and 8 cores. One tarball comes back ($OUT/run.tar.xz, rewritten as it goes).
# Usage: npm run build && bash scripts/device/pack-gl.sh, the old build as .gl/dist-old.tar.xz (a tar of dist-old/),
# then on the device: bash .gl/client-capacity-ab.sh (carry [".gl"])
set -u
t0=$(date +%s); G=$PWD/.gl; R=/tmp/tb-out; rm -rf $R; mkdir -p $R
log() { echo "[$(( $(date +%s) - t0 )) s] $*" | tee -a $R/info.txt; }
save() { tar -cJf $OUT/run.tar.xz.tmp -C $R . && mv $OUT/run.tar.xz.tmp $OUT/run.tar.xz; }
D=/tmp/tb-device; mkdir -p $D/bin $D/app
xz -dc $G/node.xz > $D/bin/node && chmod +x $D/bin/node
tar -xJf $G/tb.tar.xz -C $D/app; tar -xJf $G/dist-old.tar.xz -C $D/app
mkdir -p $D/app/bench && cp $G/bench/*.mjs $D/app/bench/
export PATH=$D/bin:$PATH TOKENBENCH_HOME=$D/home
ulimit -n 1048576 2>/dev/null || ulimit -n 65536
log "node $(node --version); nproc $(nproc); ulimit -n $(ulimit -n); $(lscpu | grep -m1 'Model name')"
cd $D/app
B="node bench/client-capacity.mjs --ttft 20 --tokens 40 --rounds 2 --start-delay 4000 --per-stream-delay 1.5"
for lv in 256 1024 4096; do
  for v in old new; do
    cli=dist/cli/main.js; [ $v = old ] && cli=dist-old/cli/main.js
    timeout 120 taskset -c 14,15 $B --cli $cli --itl 20 --levels $lv --workers 1,2 --client-cpus 0,1 --server-cpus 2-13 --server-procs 10 >> $R/ab-2cores-$v.md 2>&1
    log "$v $lv rc $?"
  done
  save
done
timeout 60 taskset -c 14,15 $B --cli dist/cli/main.js --itl 40 --levels 4096 --workers 2 --client-cpus 0,1 --server-cpus 2-13 --server-procs 10 > $R/itl40-2cores.md 2>&1; log "itl40 rc $?"
timeout 80 taskset -c 14,15 $B --cli dist/cli/main.js --itl 100 --levels 10000 --workers 2 --client-cpus 0,1 --server-cpus 2-13 --server-procs 10 > $R/itl100-2cores.md 2>&1; log "itl100 rc $?"
save
timeout 60 taskset -c 14,15 $B --cli dist/cli/main.js --itl 20 --levels 4096 --workers 4 --client-cpus 0-3 --server-cpus 4-13 --server-procs 10 > $R/cap-4cores.md 2>&1; log "4 cores rc $?"
timeout 90 taskset -c 14,15 $B --cli dist/cli/main.js --itl 20 --levels 4096,10000 --workers 8 --client-cpus 0-7 --server-cpus 8-13 --server-procs 6 > $R/cap-8cores.md 2>&1; log "8 cores rc $?"
log done; save
grep -h "^| [0-9]" $R/*.md | cut -d'|' -f2-10,15-19
