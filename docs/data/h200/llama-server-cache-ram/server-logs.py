# Usage: mkdir l && tar -xJf logs.tar.xz -C l && python3 server-logs.py l/logs > server-logs.txt
# Summarises llama-server logs of the --cache-ram study per cell (a cell starts at tokenbench's 8-token probe request).
import re, glob, statistics as st, sys
def ts(l):
    a, b, c, d = map(int, re.match(r'(\d+)\.(\d+)\.(\d+)\.(\d+)', l).groups()); return a * 60 + b + c / 1e3 + d / 1e6
print("per cell (c1, c2, c4), requests after the probe: prompt eval ms (server, median [min-max]), prompt tokens evaluated")
print("(256/257 = full prefill, 1 = whole prompt found in a cache), select->launch ms (median [max]),")
print("launch->done minus the server's own total time ms (median [max]): time the slot spends neither in prefill nor decode")
for f in sorted(glob.glob(sys.argv[1] + '/*.log')):
    sel = None; launch = {}; gap = {}; cur = {}; cells = []
    for l in open(f):
        if 'selected slot' in l: sel = ts(l)
        m = re.search(r'launch_slot_: id +\d+ \| task (\d+)', l)
        if m: launch[m.group(1)] = ts(l); gap[m.group(1)] = (ts(l) - sel) * 1000 if sel else 0; sel = None
        m = re.search(r'task (\d+) \| prompt eval time = +([\d.]+) ms / +(\d+) tokens', l)
        if m: cur[m.group(1)] = [float(m.group(2)), int(m.group(3))]
        m = re.search(r'task (\d+) \|        eval time = +[\d.]+ ms / +(\d+) tokens', l)
        if m: cur[m.group(1)].append(int(m.group(2)))
        m = re.search(r'task (\d+) \| +total time = +([\d.]+) ms', l)
        if m:
            t = m.group(1); pe, nt, no = cur[t]
            if no == 8: cells.append([]); continue
            cells[-1].append((pe, nt, gap[t], (ts(l) - launch[t]) * 1000 - float(m.group(2))))
    name = re.sub(r'-\d{8}T\d{6}\.log$', '', f.split('/')[-1])
    for c, rows in zip(("c1", "c2", "c4"), cells):
        pe = [r[0] for r in rows if r[1] > 1]; toks = [r[1] for r in rows]; g = [r[2] for r in rows]; ov = [r[3] for r in rows]
        pes = "%.1f [%.1f-%.1f]" % (st.median(pe), min(pe), max(pe)) if pe else "-"
        print("%-17s %s n=%2d prompt ms %-18s full prefills %2d, cache hits %2d | select->launch %6.1f [%6.1f] | after launch %6.1f [%6.1f]" % (
            name, c, len(rows), pes, sum(t > 1 for t in toks), sum(t == 1 for t in toks), st.median(g), max(g), st.median(ov), max(ov)))
