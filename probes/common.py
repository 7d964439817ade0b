"""Shared helpers for tokenbench's operator probes (gemm.py, attention.py).

Output contract (what `tokenbench probe` and experiment command cells read):
  * stdout: JSON object lines. Every numeric field is a metric sample; keys are namespaced
    ("qkv.m1.default_us") so that one line's numbers never mix with another's.
  * --out FILE: one JSON document {"probe", "env", "params", "records": [...], "summary": {...}} with
    plain fields per record, for reports and for humans.
Units: times in microseconds (us), rates in TFLOP/s and TB/s (1e12), sizes in bytes, percentages 0..100.
"""
import json
import math
import os
import platform
import statistics
import sys
import time

# Model shapes the probes know by name (HF config names in comments). The vocabulary is the real model's.
MODELS = {
    # name: hidden, intermediate, heads, kv_heads, layers, vocab
    "tiny": dict(hidden=256, intermediate=768, heads=4, kv_heads=2, layers=4, vocab=260),
    "llama-2-7b": dict(hidden=4096, intermediate=11008, heads=32, kv_heads=32, layers=32, vocab=32000),
    "llama-2-13b": dict(hidden=5120, intermediate=13824, heads=40, kv_heads=40, layers=40, vocab=32000),
    "llama-3-8b": dict(hidden=4096, intermediate=14336, heads=32, kv_heads=8, layers=32, vocab=128256),
    "mistral-7b": dict(hidden=4096, intermediate=14336, heads=32, kv_heads=8, layers=32, vocab=32000),
    "falcon-7b": dict(hidden=4544, intermediate=18176, heads=71, kv_heads=1, layers=32, vocab=65024),
}

# Datasheet leads (dense, no sparsity) by substring of the device name; --hbm-tbps/--peak-tflops override.
# Same figures as src/predict/gpus.ts (its table cites the sources).
GPU_LEADS = [
    ("H200", 4.8, 989.0),
    ("H100 PCIe", 2.0, 756.0),
    ("H100", 3.35, 989.0),
    ("A100", 2.039, 312.0),
    ("A800", 2.039, 312.0),
    ("MI300X", 5.3, 1307.0),
    ("L40S", 0.864, 362.0),
    ("RTX A6000", 0.768, 154.8),
    ("RTX 4090", 1.008, 165.2),
    ("RTX 3090", 0.936, 71.0),
]


def die(msg):
    print(f"{os.path.basename(sys.argv[0])}: {msg}", file=sys.stderr)
    sys.exit(2)


def import_torch():
    try:
        import torch  # noqa: F401
    except Exception as e:  # ImportError, or a broken install
        die(f"PyTorch is required ({e}); install it (pip install torch, or apt-get install python3-torch)")
    return torch


def int_list(text, name):
    try:
        vals = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        die(f"--{name} must be a comma-separated list of integers, got {text!r}")
    if not vals or any(v <= 0 for v in vals):
        die(f"--{name} must list positive integers, got {text!r}")
    return vals


def model_shape(args):
    if args.model not in MODELS:
        die(f"unknown --model {args.model!r} (known: {', '.join(MODELS)})")
    shape = dict(MODELS[args.model])
    for k in ("hidden", "intermediate", "heads", "kv_heads", "layers", "vocab"):
        v = getattr(args, k, None)
        if v is not None:
            if v <= 0:
                die(f"--{k.replace('_', '-')} must be positive")
            shape[k] = v
    if shape["hidden"] % shape["heads"] or shape["heads"] % shape["kv_heads"]:
        die("hidden must be a multiple of heads, and heads a multiple of kv-heads")
    shape["head_dim"] = shape["hidden"] // shape["heads"]
    return shape


def add_model_args(p):
    p.add_argument("--model", default="llama-2-7b", help="shape preset: " + ", ".join(MODELS))
    for k in ("hidden", "intermediate", "heads", "kv-heads", "layers", "vocab"):
        p.add_argument(f"--{k}", type=int, default=None, help=f"override the preset's {k}")


def add_common_args(p):
    p.add_argument("--device", default="auto", help="auto (cuda if available), cuda, cpu")
    p.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    p.add_argument("--iters", type=int, default=50, help="timed launches per measurement (median of 5 blocks)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--hbm-tbps", type=float, default=None, help="memory bandwidth ceiling, TB/s (default: datasheet lead)")
    p.add_argument("--peak-tflops", type=float, default=None, help="dense matrix ceiling, TFLOP/s (default: datasheet lead)")
    p.add_argument("--out", default=None, help="write the full result document (JSON) here")
    p.add_argument("--seed", type=int, default=0)


def pick_device(torch, name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        die("--device cuda but no CUDA/ROCm device is visible to PyTorch")
    if name not in ("cuda", "cpu"):
        die(f"--device must be auto, cuda or cpu, got {name!r}")
    return torch.device(name)


def dtype_of(torch, name):
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[name]


def environment(torch, device):
    env = {
        "torch": torch.__version__,
        "python": platform.python_version(),
        "device": device.type,
        "host": platform.node(),
    }
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        env.update(
            gpu=p.name,
            gpu_memory_bytes=p.total_memory,
            sm_count=p.multi_processor_count,
            cuda=torch.version.cuda,
            hip=getattr(torch.version, "hip", None),
            cudnn=torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        )
    else:
        env.update(gpu=None, cpu=platform.processor() or platform.machine(), threads=torch.get_num_threads())
    return env


def ceilings(env, args):
    """(hbm TB/s, peak TFLOP/s, source) for the device; None where unknown (CPU without overrides)."""
    hbm, peak, src = args.hbm_tbps, args.peak_tflops, "flags"
    if env.get("gpu"):
        for key, bw, fl in GPU_LEADS:
            if key in env["gpu"]:
                hbm = hbm if hbm is not None else bw
                peak = peak if peak is not None else fl
                src = f"datasheet ({key})" if src == "flags" and (args.hbm_tbps is None or args.peak_tflops is None) else src
                break
    return hbm, peak, src


def timer(torch, device):
    """Returns time_us(fn, iters, warmup): median over 5 blocks of the per-call time of fn(i)."""

    def time_us(fn, iters, warmup):
        for i in range(warmup):
            fn(i)
        blocks = []
        per_block = max(1, iters // 5)
        for b in range(5):
            if device.type == "cuda":
                torch.cuda.synchronize()
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                for i in range(per_block):
                    fn(b * per_block + i)
                end.record()
                end.synchronize()
                blocks.append(start.elapsed_time(end) * 1000.0 / per_block)
            else:
                t0 = time.perf_counter()
                for i in range(per_block):
                    fn(b * per_block + i)
                blocks.append((time.perf_counter() - t0) * 1e6 / per_block)
        return statistics.median(blocks)

    return time_us


def emit(obj):
    print(json.dumps(obj, separators=(",", ":")), flush=True)


def finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def write_doc(path, doc):
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, path)
