#!/usr/bin/env python3
"""GEMM probe: a model's projection shapes x M tokens, default library kernels vs tuned (PyTorch TunableOp).

Each linear layer y = x W^T with x [M, K] and W [N, K]:
  qkv     N = (heads + 2 kv_heads) head_dim, K = hidden    (fused q, k, v)
  o       N = hidden,                         K = hidden
  gate_up N = 2 intermediate,                 K = hidden    (fused gate and up)
  down    N = hidden,                         K = intermediate
  lm_head N = vocab,                          K = hidden
FLOPs = 2 M N K; bytes = (M K + N K + M N) x element size (each operand once). The roofline time is
max(FLOPs / peak, bytes / HBM bandwidth); roofline_pct = roofline time / measured time x 100.
"tuned": TunableOp enabled with tuning on for one call per shape (it times its candidate kernels and keeps the
fastest), then timed with tuning off. On a CPU, or a build without TunableOp, only the default is timed.
End-to-end weighting per M: layers x (qkv + o + gate_up + down) + lm_head, default total / tuned total.

Usage: python3 probes/gemm.py [--model llama-2-7b] [--m 1,2,...,4096] [--tuned on|off] [--device auto] [--out f.json]
See common.py for the output contract; docs/gpu.md for figures.
"""
import argparse
import math
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

DEFAULT_M = "1,2,4,8,16,32,64,128,256,512,1024,2048,4096"
L2_ROTATE_BYTES = 256 * 1024 * 1024  # rotate weight copies so repeated calls do not run from L2 (60 MB on H200)


def shapes(s):
    hd = s["head_dim"]
    return [
        ("qkv", (s["heads"] + 2 * s["kv_heads"]) * hd, s["hidden"], s["layers"]),
        ("o", s["hidden"], s["hidden"], s["layers"]),
        ("gate_up", 2 * s["intermediate"], s["hidden"], s["layers"]),
        ("down", s["hidden"], s["intermediate"], s["layers"]),
        ("lm_head", s["vocab"], s["hidden"], 1),
    ]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_model_args(p)
    common.add_common_args(p)
    p.add_argument("--m", default=None, help=f"tokens per GEMM (default {DEFAULT_M}; on CPU 1,2,4,8)")
    p.add_argument("--tuned", default="on", choices=["on", "off"], help="also time TunableOp's pick")
    p.add_argument("--only", default=None, help="comma-separated shape names to keep (qkv,o,gate_up,down,lm_head)")
    args = p.parse_args()
    torch = common.import_torch()
    shape = common.model_shape(args)
    device = common.pick_device(torch, args.device)
    ms = common.int_list(args.m or (DEFAULT_M if device.type == "cuda" else "1,2,4,8"), "m")
    if args.iters <= 0 or args.warmup < 0:
        common.die("--iters must be positive and --warmup non-negative")
    dtype = common.dtype_of(torch, args.dtype)
    esize = torch.empty((), dtype=dtype).element_size()
    env = common.environment(torch, device)
    hbm, peak, source = common.ceilings(env, args)
    torch.manual_seed(args.seed)
    time_us = common.timer(torch, device)
    tunable = getattr(getattr(torch, "cuda", None), "tunable", None)
    can_tune = device.type == "cuda" and tunable is not None and args.tuned == "on"
    tuned_note = None if can_tune else ("TunableOp needs a CUDA/ROCm device" if args.tuned == "on" else "off by flag")
    only = set(args.only.split(",")) if args.only else None
    todo = [t for t in shapes(shape) if only is None or t[0] in only]
    if not todo:
        common.die("--only left no shapes")

    records = []
    for name, n, k, count in todo:
        wbytes = n * k * esize
        copies = max(1, min(16, math.ceil(L2_ROTATE_BYTES / wbytes))) if device.type == "cuda" else 1
        ws = [torch.randn(n, k, device=device, dtype=dtype) * (1 / math.sqrt(k)) for _ in range(copies)]
        for m in ms:
            xs = [torch.randn(m, k, device=device, dtype=dtype) for _ in range(copies)]
            fn = lambda i: torch.matmul(xs[i % copies], ws[i % copies].t())  # noqa: E731
            if can_tune:
                tunable.enable(False)
            default_us = time_us(fn, args.iters, args.warmup)
            tuned_us, solution = None, None
            if can_tune:
                tunable.enable(True)
                tunable.tuning_enable(True)
                fn(0)  # tunes this (M, N, K) once
                tunable.tuning_enable(False)
                tuned_us = time_us(fn, args.iters, args.warmup)
                solution = pick_of(tunable, m, n, k)
                tunable.enable(False)
            flops = 2.0 * m * n * k
            nbytes = float((m * k + n * k + m * n) * esize)
            t_mem = nbytes / (hbm * 1e12) * 1e6 if hbm else None
            t_fl = flops / (peak * 1e12) * 1e6 if peak else None
            roof = max(t_mem, t_fl) if t_mem is not None and t_fl is not None else None
            rec = dict(
                shape=name, m=m, n=n, k=k, count=count, flops=flops, bytes=nbytes,
                default_us=default_us, default_tflops=flops / default_us / 1e6, default_tbps=nbytes / default_us / 1e6,
                tuned_us=tuned_us, speedup=(default_us / tuned_us) if tuned_us else None, tuned_solution=solution,
                roofline_us=roof, bound=(None if roof is None else ("memory" if t_mem >= t_fl else "compute")),
                default_roofline_pct=(100 * roof / default_us) if roof else None,
                tuned_roofline_pct=(100 * roof / tuned_us) if roof and tuned_us else None,
            )
            records.append(rec)
            line = {f"{name}.m{m}.default_us": default_us, f"{name}.m{m}.default_tflops": rec["default_tflops"],
                    f"{name}.m{m}.default_tbps": rec["default_tbps"]}
            if rec["default_roofline_pct"] is not None:
                line[f"{name}.m{m}.roofline_pct"] = rec["default_roofline_pct"]
            if tuned_us:
                line[f"{name}.m{m}.tuned_us"] = tuned_us
                line[f"{name}.m{m}.speedup"] = rec["speedup"]
            common.emit(line)
            del xs
        del ws

    summary = {"e2e": []}
    for m in ms:
        rs = [r for r in records if r["m"] == m]
        d = sum(r["count"] * r["default_us"] for r in rs)
        t = sum(r["count"] * r["tuned_us"] for r in rs) if all(r["tuned_us"] for r in rs) else None
        roof = sum(r["count"] * r["roofline_us"] for r in rs) if all(r["roofline_us"] for r in rs) else None
        e = dict(m=m, default_us=d, tuned_us=t, speedup=(d / t) if t else None,
                 roofline_us=roof, default_roofline_pct=(100 * roof / d) if roof else None)
        summary["e2e"].append(e)
        line = {f"e2e.m{m}.default_us": d}
        if t:
            line[f"e2e.m{m}.speedup"] = e["speedup"]
        if roof:
            line[f"e2e.m{m}.roofline_pct"] = e["default_roofline_pct"]
        common.emit(line)
    tuned = [r for r in records if r["tuned_solution"] is not None]
    summary["tuned_shapes"] = len(tuned)
    summary["tuned_picked_default"] = sum(1 for r in tuned if str(r["tuned_solution"]).lower().startswith("default"))
    summary["tuned_note"] = tuned_note
    common.emit({"gemm.shapes_timed": len(records), "gemm.tuned_picked_default": summary["tuned_picked_default"]})
    common.write_doc(args.out, {
        "probe": "gemm", "env": env,
        "params": dict(model=args.model, shape=shape, m=ms, dtype=args.dtype, iters=args.iters, warmup=args.warmup,
                       tuned=args.tuned, hbm_tbps=hbm, peak_tflops=peak, ceilings_source=source),
        "records": records, "summary": summary,
    })


def pick_of(tunable, m, n, k):
    """TunableOp's chosen solution name for the GEMM of this (M, N, K), or 'unknown'."""
    try:
        results = tunable.get_results()
    except Exception:
        return "unknown"
    # Entries: (op signature, params signature, solution, time ms); params name m, n and k in the
    # layout the BLAS call uses (x W^T runs as a column-major GEMM with the operands swapped).
    sizes = {str(m), str(n), str(k)}
    for entry in results:
        sig = str(entry[1])
        nums = set(tok for tok in sig.replace("_", " ").replace("x", " ").replace("-", " ").split() if tok.isdigit())
        if sizes <= nums:
            return str(entry[2])
    return "unknown"


if __name__ == "__main__":
    main()
