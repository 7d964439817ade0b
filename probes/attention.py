#!/usr/bin/env python3
"""Decode-attention probe: one query token (q_len 1) against a KV cache of `context` tokens, batch B.

q [B, heads, 1, head_dim]; k, v [B, kv_heads, context, head_dim]; torch SDPA with one backend forced:
  cudnn      cuDNN fused attention        (splits the KV sequence across thread blocks: split-KV)
  flash      FlashAttention-2             (split-KV for decode)
  efficient  memory-efficient (CUTLASS)   (one block per (batch, head) query tile: no split over KV)
  math       plain matmul + softmax       (reference; reads K and V, writes scores)
Bytes = K + V read once = 2 B kv_heads context head_dim x element size (q and the output are negligible).
Achieved TB/s = bytes / time; hbm_pct = achieved / HBM bandwidth x 100. split_speedup = best non-split time /
best split time for the same (context, batch). Configurations whose K + V exceed --max-kv-gb are skipped.

Usage: python3 probes/attention.py [--model llama-2-7b] [--context 1024,...,131072] [--batch 1,4,16,64]
       [--backends cudnn,flash,efficient] [--device auto] [--out f.json]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

SPLIT = {"cudnn": True, "flash": True, "efficient": False, "math": False}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_model_args(p)
    common.add_common_args(p)
    p.add_argument("--context", default=None, help="KV lengths (default 1024..131072; CPU 64,256)")
    p.add_argument("--batch", default=None, help="batch sizes (default 1,4,16,64; CPU 1,2)")
    p.add_argument("--backends", default=None, help="cudnn,flash,efficient,math (default: all but math on GPU; math on CPU)")
    p.add_argument("--max-kv-gb", type=float, default=40.0, help="skip configurations whose K+V exceed this (GB)")
    args = p.parse_args()
    torch = common.import_torch()
    shape = common.model_shape(args)
    device = common.pick_device(torch, args.device)
    gpu = device.type == "cuda"
    contexts = common.int_list(args.context or ("1024,4096,16384,32768,65536,131072" if gpu else "64,256"), "context")
    batches = common.int_list(args.batch or ("1,4,16,64" if gpu else "1,2"), "batch")
    backends = (args.backends or ("cudnn,flash,efficient" if gpu else "math")).split(",")
    for b in backends:
        if b not in SPLIT:
            common.die(f"unknown backend {b!r} (known: {', '.join(SPLIT)})")
    if args.iters <= 0 or args.warmup < 0:
        common.die("--iters must be positive and --warmup non-negative")
    dtype = common.dtype_of(torch, args.dtype)
    esize = torch.empty((), dtype=dtype).element_size()
    env = common.environment(torch, device)
    hbm, _, source = common.ceilings(env, args)
    time_us = common.timer(torch, device)
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel
    except ImportError:  # torch < 2.3: only the math path through the public API
        SDPBackend = sdpa_kernel = None
        if backends != ["math"]:
            common.die("this PyTorch has no torch.nn.attention; use --backends math")
    F = torch.nn.functional
    H, KVH, D = shape["heads"], shape["kv_heads"], shape["head_dim"]
    torch.manual_seed(args.seed)
    records = []
    for ctx in contexts:
        for B in batches:
            kv_bytes = 2.0 * B * KVH * ctx * D * esize
            if kv_bytes > args.max_kv_gb * 1e9:
                records.append(dict(context=ctx, batch=B, backend=None, skipped=f"K+V {kv_bytes / 1e9:.1f} GB > --max-kv-gb"))
                continue
            q = torch.randn(B, H, 1, D, device=device, dtype=dtype)
            k = torch.randn(B, KVH, ctx, D, device=device, dtype=dtype)
            v = torch.randn(B, KVH, ctx, D, device=device, dtype=dtype)
            if KVH != H:  # GQA: the kernels read each KV head once; expanded copies would double-count bytes
                k_, v_ = k, v
                gqa = {"enable_gqa": True}
            else:
                k_, v_, gqa = k, v, {}
            ref = reference(torch, q[:1], k[:1], v[:1], H // KVH)  # batch element 0 only: bounded memory
            line = {}
            for be in backends:
                rec = dict(context=ctx, batch=B, backend=be, split_kv=SPLIT[be], bytes=kv_bytes)
                try:
                    def fn(_i, be=be):
                        if sdpa_kernel is None:  # torch < 2.3 (Debian's 1.13 has no SDPA at all)
                            return manual_attention(torch, q, k_, v_, H // KVH)
                        with sdpa_kernel(backend_enum(SDPBackend, be)):
                            return F.scaled_dot_product_attention(q, k_, v_, **gqa)
                    out = fn(0)
                    err = float(((out[:1].float() - ref).norm() / ref.norm()).item())
                    if not err < 2e-2:
                        raise RuntimeError(f"wrong result: relative error {err:.3g}")
                    us = time_us(fn, args.iters, args.warmup)
                    rec.update(us=us, tbps=kv_bytes / us / 1e6, rel_error=err)
                    rec["hbm_pct"] = 100 * rec["tbps"] / hbm if hbm else None
                    key = f"ctx{ctx}.b{B}.{be}"
                    line[f"{key}.us"] = us
                    line[f"{key}.tbps"] = rec["tbps"]
                    if rec["hbm_pct"] is not None:
                        line[f"{key}.hbm_pct"] = rec["hbm_pct"]
                except Exception as e:  # a backend that does not support this shape/dtype/device
                    rec["error"] = str(e).strip().split("\n")[0][:200]
                records.append(rec)
            split = [r["us"] for r in records if r.get("context") == ctx and r.get("batch") == B and r.get("us") and r["split_kv"]]
            nonsplit = [r["us"] for r in records if r.get("context") == ctx and r.get("batch") == B and r.get("us") and not r["split_kv"]]
            if split and nonsplit:
                line[f"ctx{ctx}.b{B}.split_speedup"] = min(nonsplit) / min(split)
            if line:
                common.emit(line)
            del q, k, v, k_, v_, ref
            if gpu:
                torch.cuda.empty_cache()
    timed = [r for r in records if r.get("us")]
    best = max(timed, key=lambda r: r["tbps"]) if timed else None
    summary = dict(timed=len(timed), failed=sum(1 for r in records if r.get("error")),
                   skipped=sum(1 for r in records if r.get("skipped")),
                   best_tbps=best["tbps"] if best else None, best=best and {k: best[k] for k in ("context", "batch", "backend")})
    common.emit({"attention.timed": summary["timed"], "attention.failed": summary["failed"],
                 **({"attention.best_tbps": summary["best_tbps"]} if best else {})})
    common.write_doc(args.out, {
        "probe": "attention", "env": env,
        "params": dict(model=args.model, shape=shape, context=contexts, batch=batches, backends=backends, dtype=args.dtype,
                       iters=args.iters, warmup=args.warmup, hbm_tbps=hbm, ceilings_source=source, max_kv_gb=args.max_kv_gb),
        "records": records, "summary": summary,
    })
    if not timed:
        errors = sorted({r["error"] for r in records if r.get("error")})
        common.die("no configuration could be timed" + (f": {errors[0]}" if errors else ""))


def backend_enum(SDPBackend, name):
    return {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
            "efficient": SDPBackend.EFFICIENT_ATTENTION, "math": SDPBackend.MATH}[name]


def manual_attention(torch, q, k, v, group):
    """Plain attention in the input dtype (the math path, for PyTorch builds without SDPA)."""
    if group > 1:
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
    s = (q @ k.transpose(-1, -2)) * (q.shape[-1] ** -0.5)
    return torch.softmax(s.float(), dim=-1).to(q.dtype) @ v


def reference(torch, q, k, v, group):
    """float32 attention of q over k, v (GQA heads repeated), for the correctness check."""
    qf, kf, vf = q.float(), k.float(), v.float()
    if group > 1:
        kf = kf.repeat_interleave(group, dim=1)
        vf = vf.repeat_interleave(group, dim=1)
    s = (qf @ kf.transpose(-1, -2)) / (q.shape[-1] ** 0.5)
    return torch.softmax(s, dim=-1) @ vf


if __name__ == "__main__":
    main()
