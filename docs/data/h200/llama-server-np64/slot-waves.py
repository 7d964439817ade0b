#!/usr/bin/env python3
"""Per-wave decode speed by slot placement, from llama-server's own per-request timings (server-7b.log in raw.tar.xz).

In a closed loop of equal requests the c requests of a level run in waves (they start and end together). For each
wave: the slots it ran in, their span (max - min + 1) and the server's "eval time ... ms per token" (its TPOT).
Usage: python3 slot-waves.py [server-7b.log]   (default: extracted from raw.tar.xz beside this script)
"""
import io, os, re, sys, tarfile, statistics
here = os.path.dirname(os.path.abspath(__file__))
if len(sys.argv) > 1:
    text = open(sys.argv[1]).read()
else:
    with tarfile.open(os.path.join(here, "raw.tar.xz")) as t:
        text = t.extractfile("./server-7b.log" if "./server-7b.log" in t.getnames() else "server-7b.log").read().decode()
rows = []
for l in text.splitlines():
    m = re.match(r"(\d+)\.(\d+)\.(\d+)\.\d+ I slot print_timing: id +(\d+) \| task (\d+) \| +eval time = +([\d.]+) ms / +(\d+) tokens \( +([\d.]+) ms per token", l)
    if m and int(m[7]) >= 200:  # measured requests (256 tokens), not the 8-token preflight
        rows.append((int(m[1]) * 60 + int(m[2]) + int(m[3]) / 1000, int(m[4]), float(m[8])))
# waves: requests that end within 0.3 s of each other
waves, cur = [], []
for r in rows:
    if cur and r[0] - cur[-1][0] > 0.3:
        waves.append(cur); cur = []
    cur.append(r)
waves.append(cur)
print("| wave end s | requests | slots | span | TPOT ms (server) |\n|---:|---:|---|---:|---:|")
for w in waves:
    slots = sorted(x[1] for x in w)
    print(f"| {w[-1][0]:.1f} | {len(w)} | {slots[0]}..{slots[-1]} | {slots[-1] - slots[0] + 1} | {statistics.mean(x[2] for x in w):.2f} |")
