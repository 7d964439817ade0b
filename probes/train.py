#!/usr/bin/env python3
"""Training / fine-tuning probe: a Llama-architecture model in plain PyTorch, random weights and tokens, timed steps.

Model: token embedding, `layers` x [RMSNorm, attention (q/k/v/o projections, RoPE, GQA by repeating K/V heads,
causal softmax(QK^T/sqrt(d))V), RMSNorm, SwiGLU MLP (down(silu(gate(x)) * up(x)))], final RMSNorm, lm_head,
cross-entropy on next-token labels. Shapes from a preset (common.MODELS), an HF config.json (--hf-config) and
--layers/--hidden/... overrides. One step = forward + backward + AdamW step (+ zero_grad); batch B sequences of
--seq tokens (default 350).

Per batch size (`--batch 1,2,4` or `--batch max`: 1, 2, 4, ... until out of memory):
  step_ms     median wall time of the timed steps after --warmup steps; CUDA-synchronised before and after each
  tokens_per_s  B x seq / step time
  peak_mib    torch.cuda.max_memory_allocated over the configuration (model, optimizer, steps) / 2^20; null on CPU
  mfu_pct     model FLOPs per step / step time / peak x 100. Model FLOPs per token (PaLM, appendix B):
              6 N + 12 layers x hidden x seq, N = parameters of the linear layers (embedding and norms excluded);
              with LoRA the frozen base does no weight-gradient GEMM: 4 N_frozen + 6 N_trainable + attention.
              Recomputation is not counted (that would be hardware FLOPs utilisation). Peak: --peak-tflops, else
              the datasheet dense figure for the GPU and precision (bf16 tensor cores; fp32 without TF32: CUDA
              cores); null on a CPU without --peak-tflops.
  breakdown   one extra profiled step (torch.profiler): share of forward and of backward time per module label
              (record_function ranges). Forward: each op's time goes to its innermost label. Backward: each
              autograd node's time goes to the label of the forward op that created it, matched by (sequence
              number, forward thread) as PyTorch's own profiler links backward to forward; exact for every node
              created inside a label. Times: CUDA kernel time on a GPU, CPU time on a CPU.
Toggles: --recompute (torch.utils.checkpoint per decoder layer), --attention sdpa|sdpa-flash|sdpa-math|eager,
--dtype bf16 (autocast: fp32 weights and AdamW states, bf16 matmuls) | bf16-pure (bf16 weights and states) | fp32,
--lora R (adapters on q,v or all linear layers, base frozen; peft if importable, else this file's LoRALinear),
--offload-optimizer (fp32 master weights + AdamW states on the host; gradients copied down, step on the CPU,
weights copied up), --fsdp (FullyShardedDataParallel per decoder layer when launched by torchrun with
WORLD_SIZE > 1).

Usage: python3 probes/train.py [--model llama-2-7b] [--layers 8] [--seq 350] [--batch 1,2,4|max] [--recompute]
       [--attention sdpa-flash] [--dtype bf16] [--lora 16] [--offload-optimizer] [--out f.json]
See common.py for the output contract; docs/gpu.md section 4 for figures.
"""
import argparse
import contextlib
import gc
import json
import math
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

# Dense peaks other than bf16 (bf16 comes from common.GPU_LEADS): fp32 on CUDA cores (PyTorch's default, TF32 off),
# TFLOP/s, by substring of the device name, datasheet figures.
FP32_PEAKS = [("H200", 67.0), ("H100 PCIe", 51.0), ("H100", 67.0), ("A100", 19.5), ("A800", 19.5), ("MI300X", 163.4),
              ("L40S", 91.6), ("RTX A6000", 38.7), ("RTX 4090", 82.6), ("RTX 3090", 35.6)]

FWD_LABELS = ["embedding", "rmsnorm", "attention_linear", "rope", "attention_core", "mlp_linear", "silu", "lm_head", "loss"]
# Ops directly inside a container label (not in one of its sub-labels) are reported under these names.
EXCLUSIVE = {"decoder_layer": "residual_add", "attention": "attention_other", "mlp": "mlp_other"}
# record_function costs an op dispatch per range (~10 us of CPU in torch 2.x): the labels are entered only in the
# profiled steps, so the timed steps carry no instrumentation.
PROFILING = {"on": False}
LABELS = set(FWD_LABELS) | {"decoder_layer", "attention", "mlp", "forward", "backward", "optimizer"}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.add_model_args(p)
    p.add_argument("--hf-config", default=None, help="HF config.json of a Llama-architecture model (overrides --model)")
    p.add_argument("--device", default="auto", help="auto (cuda if available), cuda, cpu")
    p.add_argument("--dtype", default=None, choices=["bf16", "bf16-pure", "fp32"],
                   help="bf16 = autocast over fp32 weights (default on CUDA); bf16-pure = bf16 weights and optimizer states; fp32 (default on CPU)")
    p.add_argument("--seq", type=int, default=350, help="tokens per sequence")
    p.add_argument("--batch", default=None, help="batch sizes, e.g. 1,2,4, or max (double until out of memory); default 1,2,4,8 (CPU 1,2)")
    p.add_argument("--max-batch", type=int, default=None, help="cap for --batch max (default 1024 on CUDA, 8 on CPU)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per batch size (default 10; CPU 3)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3; CPU 1)")
    p.add_argument("--recompute", action="store_true", help="activation recomputation: torch.utils.checkpoint per decoder layer")
    p.add_argument("--attention", default="auto", choices=["auto", "sdpa", "sdpa-flash", "sdpa-math", "eager"],
                   help="auto = sdpa-flash on CUDA with bf16, else sdpa (PyTorch's pick); eager = plain matmul + softmax")
    p.add_argument("--lora", type=int, default=None, metavar="R", help="LoRA fine-tuning with rank R (base frozen)")
    p.add_argument("--lora-targets", default="qv", choices=["qv", "all"], help="adapters on q_proj,v_proj or on all linear layers of the decoder")
    p.add_argument("--no-peft", action="store_true", help="use this file's LoRALinear even if peft is importable")
    p.add_argument("--offload-optimizer", action="store_true", help="AdamW states and fp32 master weights on the host")
    p.add_argument("--fsdp", action="store_true", help="shard with FSDP per decoder layer (needs torchrun, WORLD_SIZE > 1)")
    p.add_argument("--lr", type=float, default=1e-5)
    p.add_argument("--peak-tflops", type=float, default=None, help="dense matrix ceiling for MFU, TFLOP/s (default: datasheet)")
    p.add_argument("--no-breakdown", action="store_true", help="skip the profiled steps")
    p.add_argument("--profile-steps", type=int, default=None, help="profiled steps per batch size for the breakdown (default 3; CPU 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="write the full result document (JSON) here")
    args = p.parse_args()

    torch = common.import_torch()
    shape = load_shape(args)
    device = common.pick_device(torch, args.device)
    gpu = device.type == "cuda"
    dtype = args.dtype or ("bf16" if gpu else "fp32")
    if args.seq <= 1:
        common.die("--seq must be at least 2 (next-token labels)")
    steps = args.steps if args.steps is not None else (10 if gpu else 3)
    warmup = args.warmup if args.warmup is not None else (3 if gpu else 1)
    if steps <= 0 or warmup < 0:
        common.die("--steps must be positive and --warmup non-negative")
    profile_steps = args.profile_steps if args.profile_steps is not None else (3 if gpu else 1)
    if profile_steps <= 0:
        common.die("--profile-steps must be positive")
    if args.lora is not None and args.lora <= 0:
        common.die("--lora must be a positive rank")
    if args.peak_tflops is not None and not args.peak_tflops > 0:
        common.die("--peak-tflops must be positive")
    max_batch = args.max_batch or (1024 if gpu else 8)
    if max_batch <= 0:
        common.die("--max-batch must be positive")
    doubling = args.batch == "max"
    batches = [] if doubling else common.int_list(args.batch or ("1,2,4,8" if gpu else "1,2"), "batch")

    notes = []
    has_sdpa = hasattr(torch.nn.functional, "scaled_dot_product_attention")
    attention = args.attention
    if attention == "auto":
        attention = "sdpa-flash" if gpu and dtype != "fp32" else "sdpa"
    if attention.startswith("sdpa") and not has_sdpa:
        notes.append(f"--attention {attention}: torch {torch.__version__} has no scaled_dot_product_attention; ran eager (matmul + softmax)")
        attention = "eager"
    if attention == "sdpa-flash" and dtype == "fp32":
        common.die("--attention sdpa-flash needs 16-bit inputs: use --dtype bf16 or --attention sdpa-math")

    world = int(os.environ.get("WORLD_SIZE", "1"))
    fsdp = False
    if args.fsdp:
        if world > 1:
            if not gpu:
                common.die("--fsdp needs CUDA devices (NCCL)")
            if args.offload_optimizer:
                common.die("--fsdp with --offload-optimizer is not supported (FSDP's own CPUOffload is not wired)")
            fsdp = True
        else:
            msg = "--fsdp: WORLD_SIZE is 1 (not launched by torchrun with several processes): one GPU runs unsharded today"
            print(f"train.py: {msg}", file=sys.stderr)
            notes.append(msg)
    rank = 0
    if fsdp:
        import torch.distributed as dist
        dist.init_process_group("nccl")
        rank = dist.get_rank()
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)

    env = common.environment(torch, device)
    env["world_size"] = world if fsdp else 1
    peak, peak_source = peak_tflops(torch, env, args, dtype)
    if gpu:
        env["allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
    lora_impl = None
    if args.lora:
        lora_impl = "own LoRALinear (--no-peft)" if args.no_peft else peft_version()

    cfg = dict(shape=shape, seq=args.seq, dtype=dtype, attention=attention, recompute=args.recompute, lora=args.lora,
               lora_targets=args.lora_targets, lora_impl=lora_impl, offload=args.offload_optimizer, fsdp=fsdp,
               lr=args.lr, seed=args.seed, steps=steps, warmup=warmup, breakdown=not args.no_breakdown,
               profile_steps=profile_steps, peak=peak)
    records = []
    todo = list(batches) if not doubling else [1]
    oom_at = None
    while todo:
        B = todo.pop(0)
        if oom_at is not None and B >= oom_at:
            records.append(dict(batch=B, skipped=f"batch {oom_at} did not fit"))
            continue
        rec = run_config(torch, device, cfg, B, rank)
        records.append(rec)
        if rec.get("oom"):
            oom_at = B
        elif rec.get("error"):
            pass
        elif doubling and B * 2 <= max_batch:
            todo.append(B * 2)
        if rank == 0 and rec.get("step_ms"):
            emit_record(rec)
        if rec.get("lora_impl"):
            cfg["lora_impl"] = rec["lora_impl"]
    if fsdp:
        import torch.distributed as dist
        dist.destroy_process_group()
    if rank != 0:
        return
    timed = [r for r in records if r.get("step_ms")]
    best = max(timed, key=lambda r: r["tokens_per_s"]) if timed else None
    summary = dict(timed=len(timed), max_batch_fit=max((r["batch"] for r in timed), default=None),
                   first_oom_batch=oom_at, best_tokens_per_s=best["tokens_per_s"] if best else None,
                   best_batch=best["batch"] if best else None,
                   breakdown_batch=max((r["batch"] for r in timed if r.get("breakdown")), default=None))
    line = {"train.timed": summary["timed"]}
    if best:
        line["train.max_batch_fit"] = summary["max_batch_fit"]
        line["train.best_tokens_per_s"] = summary["best_tokens_per_s"]
    common.emit(line)
    params = {k: v for k, v in cfg.items() if k not in ("peak",)}
    params.update(model=os.path.basename(args.hf_config) if args.hf_config else args.model, batch=batches or "max",
                  max_batch=max_batch if doubling else None, peak_tflops=peak, ceilings_source=peak_source,
                  precision=PRECISION[dtype], recompute_impl="torch.utils.checkpoint(use_reentrant=False) per decoder layer" if args.recompute else None,
                  offload_impl=OFFLOAD_IMPL if args.offload_optimizer else None, notes=notes,
                  flops_formula="6 N_trainable + 4 N_frozen (linear layers) + 12 layers hidden seq, per token")
    common.write_doc(args.out, {"probe": "train", "env": env, "params": params, "records": records, "summary": summary})
    if not timed:
        first = next((r.get("error") or r.get("oom") for r in records if r.get("error") or r.get("oom")), "nothing ran")
        common.die(f"no batch size could be timed: {first}")


PRECISION = {
    "bf16": "bf16 autocast (torch.autocast): fp32 weights, gradients and AdamW states; matmuls and attention in bf16",
    "bf16-pure": "pure bf16: weights, gradients and AdamW states in bf16 (RMSNorm and softmax computed in fp32)",
    "fp32": "fp32 throughout (TF32 as torch.backends.cuda.matmul.allow_tf32 says: off by default)",
}
OFFLOAD_IMPL = ("fp32 master copy of the trainable weights and AdamW(foreach=False) states in host memory (pinned on CUDA); "
                "each step copies gradients device->host, steps on the CPU, copies weights host->device")


def load_shape(args):
    if args.hf_config:
        try:
            with open(args.hf_config) as f:
                c = json.load(f)
        except (OSError, ValueError) as e:
            common.die(f"cannot read --hf-config {args.hf_config}: {e}")
        try:
            base = dict(hidden=int(c["hidden_size"]), intermediate=int(c["intermediate_size"]),
                        heads=int(c["num_attention_heads"]), kv_heads=int(c.get("num_key_value_heads") or c["num_attention_heads"]),
                        layers=int(c["num_hidden_layers"]), vocab=int(c["vocab_size"]))
        except (KeyError, TypeError, ValueError) as e:
            common.die(f"--hf-config {args.hf_config}: not a Llama-style config (missing or bad {e})")
        common.MODELS["_hf"] = base
        args.model, model = "_hf", args.model
        shape = common.model_shape(args)
        args.model = model
        shape["rope_theta"] = float(c.get("rope_theta", 10000.0))
        shape["norm_eps"] = float(c.get("rms_norm_eps", 1e-5))
        return shape
    shape = common.model_shape(args)
    shape.update(rope_theta=500000.0 if args.model == "llama-3-8b" else 10000.0, norm_eps=1e-5)
    return shape


def peak_tflops(torch, env, args, dtype):
    if args.peak_tflops is not None:
        return args.peak_tflops, "flag"
    gpu = env.get("gpu")
    if not gpu:
        return None, "none (CPU: give --peak-tflops for MFU)"
    if dtype == "fp32":
        for key, fl in FP32_PEAKS:
            if key in gpu:
                if torch.backends.cuda.matmul.allow_tf32:  # TF32 tensor cores: half the dense bf16 rate
                    bf = next((f for k, _, f in common.GPU_LEADS if k == key), None)
                    return (bf / 2 if bf else None), f"datasheet ({key}, TF32 = bf16 / 2)"
                return fl, f"datasheet ({key}, fp32 CUDA cores)"
        return None, f"unknown GPU {gpu!r}: give --peak-tflops"
    for key, _bw, fl in common.GPU_LEADS:
        if key in gpu:
            return fl, f"datasheet ({key}, dense bf16)"
    return None, f"unknown GPU {gpu!r}: give --peak-tflops"


def peft_version():
    try:
        import peft
        return f"peft {peft.__version__}"
    except Exception:
        return "own LoRALinear (peft not importable)"


def build_model(torch, shape, cfg):
    """The Llama model as an nn.Module; layer and projection names follow HF's LlamaForCausalLM (for peft targets)."""
    nn, F = torch.nn, torch.nn.functional
    H, KVH, D = shape["heads"], shape["kv_heads"], shape["head_dim"]
    hidden, inter, eps = shape["hidden"], shape["intermediate"], shape["norm_eps"]
    attention = cfg["attention"]
    rf = labeller(torch)
    import torch.utils.checkpoint  # noqa: F401  (not imported by `import torch` in 1.13)

    class RMSNorm(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.ones(hidden))

        def forward(self, x):
            with rf("rmsnorm"):
                xf = x.float()  # in fp32 like HF's LlamaRMSNorm, whatever the weights are
                y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + eps)
                return (self.weight * y.to(self.weight.dtype)).to(x.dtype) if x.dtype != torch.float32 else self.weight * y

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(hidden, H * D, bias=False)
            self.k_proj = nn.Linear(hidden, KVH * D, bias=False)
            self.v_proj = nn.Linear(hidden, KVH * D, bias=False)
            self.o_proj = nn.Linear(H * D, hidden, bias=False)

        def forward(self, x, cos, sin):
            with rf("attention"):
                B, S, _ = x.shape
                with rf("attention_linear"):
                    q = self.q_proj(x).view(B, S, H, D).transpose(1, 2)
                    k = self.k_proj(x).view(B, S, KVH, D).transpose(1, 2)
                    v = self.v_proj(x).view(B, S, KVH, D).transpose(1, 2)
                with rf("rope"):
                    c, s = cos.to(q.dtype), sin.to(q.dtype)  # keep q/k in the compute dtype (flash needs 16-bit)
                    q = q * c + rotate_half(torch, q) * s
                    k = k * c + rotate_half(torch, k) * s
                with rf("attention_core"):
                    if KVH != H:  # GQA: repeat K/V heads as HF's repeat_kv does (SDPA's enable_gqa needs torch >= 2.5)
                        k = k[:, :, None].expand(B, KVH, H // KVH, S, D).reshape(B, H, S, D)
                        v = v[:, :, None].expand(B, KVH, H // KVH, S, D).reshape(B, H, S, D)
                    if attention == "eager":
                        sc = (q @ k.transpose(-1, -2)) * (D ** -0.5)
                        mask = torch.ones(S, S, dtype=torch.bool, device=x.device).triu(1)
                        sc = sc.masked_fill(mask, float("-inf"))
                        o = torch.softmax(sc.float(), dim=-1).to(q.dtype) @ v
                    else:
                        o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                with rf("attention_linear"):
                    return self.o_proj(o.transpose(1, 2).reshape(B, S, H * D))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(hidden, inter, bias=False)
            self.up_proj = nn.Linear(hidden, inter, bias=False)
            self.down_proj = nn.Linear(inter, hidden, bias=False)

        def forward(self, x):
            with rf("mlp"):
                with rf("mlp_linear"):
                    g, u = self.gate_proj(x), self.up_proj(x)
                with rf("silu"):  # SiLU and the gate x up product
                    h = F.silu(g) * u
                with rf("mlp_linear"):
                    return self.down_proj(h)

    class DecoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_layernorm = RMSNorm()
            self.self_attn = Attention()
            self.post_attention_layernorm = RMSNorm()
            self.mlp = MLP()

        def forward(self, x, cos, sin):
            with rf("decoder_layer"):
                x = x + self.self_attn(self.input_layernorm(x), cos, sin)
                return x + self.mlp(self.post_attention_layernorm(x))

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(shape["vocab"], hidden)
            self.layers = nn.ModuleList([DecoderLayer() for _ in range(shape["layers"])])
            self.norm = RMSNorm()
            self.lm_head = nn.Linear(hidden, shape["vocab"], bias=False)
            inv = 1.0 / (shape["rope_theta"] ** (torch.arange(0, D, 2).float() / D))
            t = torch.arange(cfg["seq"]).float()
            freqs = torch.outer(t, inv)
            emb = torch.cat([freqs, freqs], dim=-1)
            self.register_buffer("cos", emb.cos()[None, None], persistent=False)
            self.register_buffer("sin", emb.sin()[None, None], persistent=False)

        def forward(self, tokens, labels):
            with rf("embedding"):
                x = self.embed_tokens(tokens)
            for layer in self.layers:
                if cfg["recompute"] and torch.is_grad_enabled():
                    x = torch.utils.checkpoint.checkpoint(layer, x, self.cos, self.sin, use_reentrant=False)
                else:
                    x = layer(x, self.cos, self.sin)
            x = self.norm(x)
            with rf("lm_head"):
                logits = self.lm_head(x)
            with rf("loss"):
                return F.cross_entropy(logits.float().view(-1, logits.shape[-1]), labels.reshape(-1))

    return Llama()


def labeller(torch):
    """record_function(name) while profiling, else a no-op context."""
    def rf(name):
        return torch.autograd.profiler.record_function(name) if PROFILING["on"] else contextlib.nullcontext()
    return rf


def rotate_half(torch, x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def lora_linear_class(torch):
    nn = torch.nn

    class LoRALinear(nn.Module):
        """y = base(x) + (alpha / r) B A x with A [r, in] (Kaiming-uniform), B [out, r] zeros: a no-op at step 0."""

        def __init__(self, base, r, alpha):
            super().__init__()
            self.base = base
            self.lora_A = nn.Parameter(torch.empty(r, base.in_features, device=base.weight.device, dtype=base.weight.dtype))
            self.lora_B = nn.Parameter(torch.zeros(base.out_features, r, device=base.weight.device, dtype=base.weight.dtype))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.scale = alpha / r

        def forward(self, x):
            return self.base(x) + (x @ self.lora_A.t() @ self.lora_B.t()) * self.scale

    return LoRALinear


def apply_lora(torch, model, cfg):
    """Freezes the base and adds rank-r adapters; returns the implementation's name (peft's version or 'own')."""
    r = cfg["lora"]
    targets = ["q_proj", "v_proj"] if cfg["lora_targets"] == "qv" else ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    impl = cfg["lora_impl"] or "own LoRALinear"
    if impl.startswith("peft"):
        import peft
        if not hasattr(peft, "inject_adapter_in_model"):  # peft < 0.6: plain modules are not supported
            common.die(f"peft {peft.__version__} has no inject_adapter_in_model (needs >= 0.6): upgrade it or pass --no-peft")
        conf = peft.LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules=targets, bias="none")
        try:
            model = peft.inject_adapter_in_model(conf, model)
        except Exception as e:  # a half-injected model cannot be trusted: stop rather than measure it
            common.die(f"peft {peft.__version__} could not add LoRA adapters ({str(e).splitlines()[0][:150]}); pass --no-peft")
        impl = f"peft {peft.__version__} (inject_adapter_in_model)"
    else:
        LoRALinear = lora_linear_class(torch)
        for layer in model.layers:
            for parent in (layer.self_attn, layer.mlp):
                for name in targets:
                    if hasattr(parent, name):
                        setattr(parent, name, LoRALinear(getattr(parent, name), r, 2 * r))
    for n, prm in model.named_parameters():  # whatever the library did: only adapters train
        prm.requires_grad_("lora_" in n)
    return model, impl


class OffloadAdamW:
    """AdamW whose fp32 master weights and states live in host memory (ZeRO-Offload style, one process)."""

    def __init__(self, torch, params, lr, pin):
        self.torch = torch
        self.params = list(params)
        self.master = []
        for prm in self.params:
            m = prm.detach().to("cpu", torch.float32, copy=True)
            m = m.pin_memory() if pin else m
            m.grad = torch.zeros_like(m).pin_memory() if pin else torch.zeros_like(m)
            self.master.append(m)
        self.opt = torch.optim.AdamW(self.master, lr=lr, foreach=False)
        self.cuda = pin

    def step(self):
        for prm, m in zip(self.params, self.master):
            m.grad.copy_(prm.grad, non_blocking=True)
        if self.cuda:
            self.torch.cuda.synchronize()
        self.opt.step()
        with self.torch.no_grad():
            for prm, m in zip(self.params, self.master):
                prm.copy_(m, non_blocking=True)

    def zero_grad(self, set_to_none=True):
        for prm in self.params:
            prm.grad = None

    @property
    def state(self):
        return self.opt.state


def is_oom(torch, e):
    oom = getattr(torch.cuda, "OutOfMemoryError", None)
    return (oom is not None and isinstance(e, oom)) or "out of memory" in str(e).lower()


def run_config(torch, device, cfg, B, rank):
    """One batch size: build, warm up, time, profile. Returns the record (with 'oom' or 'error' when it failed)."""
    rec = dict(batch=B, seq=cfg["seq"], tokens=B * cfg["seq"])
    gpu = device.type == "cuda"
    if gpu:
        gc.collect()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)  # again in measure() once the model is built (see there)
    failure = None
    try:
        rec.update(measure(torch, device, cfg, B))
    except RuntimeError as e:  # torch.cuda.OutOfMemoryError is a RuntimeError
        failure = ("oom" if is_oom(torch, e) else "error", str(e).strip().split("\n")[0][:200])
    if failure:  # outside the except block: the traceback (and the tensors its frames hold) is gone
        rec[failure[0]] = failure[1]
    if gpu:
        rec["peak_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
        rec["peak_reserved_mib"] = torch.cuda.max_memory_reserved(device) / 2**20
        gc.collect()
        torch.cuda.empty_cache()
    else:
        rec["peak_mib"] = None
    return rec


def measure(torch, device, cfg, B):
    shape, seq = cfg["shape"], cfg["seq"]
    gpu = device.type == "cuda"
    torch.manual_seed(cfg["seed"])
    pure = cfg["dtype"] == "bf16-pure"
    # Built on the device where torch >= 2.0 allows it (a 7B model built on the host takes 27 GB and minutes).
    where = device if gpu and hasattr(torch.device, "__enter__") else contextlib.nullcontext()
    with where:
        model = build_model(torch, shape, cfg)
    init_weights(torch, model, shape)
    model = model.to(device=device, dtype=torch.bfloat16 if pure else torch.float32)
    impl = None
    if cfg["lora"]:
        model, impl = apply_lora(torch, model, cfg)
        model = model.to(device)
    n_total = sum(p.numel() for p in model.parameters())
    trainable = [p for p in model.parameters() if p.requires_grad]
    n_train = sum(p.numel() for p in trainable)
    n_linear_frozen, n_linear_train = linear_params(torch, model)
    if cfg["fsdp"]:
        model = wrap_fsdp(torch, model)
        trainable = [p for p in model.parameters() if p.requires_grad]
    if cfg["offload"]:
        opt = OffloadAdamW(torch, trainable, cfg["lr"], pin=gpu)
    else:
        opt = torch.optim.AdamW(trainable, lr=cfg["lr"])
    world = torch.distributed.get_world_size() if cfg["fsdp"] else 1
    if gpu:  # peak over the steps, not the fp32 -> bf16 conversion transient of the build; the weights are counted
        torch.cuda.reset_peak_memory_stats(device)
    g = torch.Generator().manual_seed(cfg["seed"] + 1)
    data = torch.randint(0, shape["vocab"], (B, seq + 1), generator=g).to(device)
    tokens, labels = data[:, :-1].contiguous(), data[:, 1:].contiguous()
    autocast = (lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)) if cfg["dtype"] == "bf16" else contextlib.nullcontext
    rf = labeller(torch)

    def step():
        with attention_context(torch, cfg["attention"]):
            with rf("forward"), autocast():
                loss = model(tokens, labels)
            with rf("backward"):
                loss.backward()
        with rf("optimizer"):
            opt.step()
            opt.zero_grad(set_to_none=True)
        return loss

    losses, times = [], []
    for i in range(cfg["warmup"] + cfg["steps"]):
        if gpu:
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        loss = step()
        if gpu:
            torch.cuda.synchronize(device)
        dt = time.perf_counter() - t0
        losses.append(float(loss.detach().float().item()))
        if i >= cfg["warmup"]:
            times.append(dt)
    step_s = statistics.median(times)
    # Model FLOPs per token: forward 2N, activation gradients 2N, weight gradients 2N of the trainable weights only;
    # attention scores and weighted sum 4 x hidden x seq per layer forward (full square, PaLM's convention), x 3.
    per_token = 4 * n_linear_frozen + 6 * n_linear_train + 12 * shape["layers"] * shape["hidden"] * seq
    flops = per_token * B * seq * world
    state_bytes = sum(t.numel() * t.element_size() for st in opt.state.values() for t in st.values() if torch.is_tensor(t))
    state_dev = next((str(t.device) for st in opt.state.values() for t in st.values() if torch.is_tensor(t) and t.dim() > 0), None)
    out = dict(step_ms=step_s * 1e3, step_ms_min=min(times) * 1e3, step_ms_max=max(times) * 1e3,
               tokens_per_s=B * seq * world / step_s, world_size=world,
               loss_step0=losses[0], loss_last=losses[-1], params=n_total, params_trainable=n_train,
               linear_params_frozen=n_linear_frozen, linear_params_trainable=n_linear_train,
               model_flops_per_step=flops, achieved_tflops=flops / step_s / 1e12,
               mfu_pct=(100 * flops / step_s / (cfg["peak"] * 1e12 * world)) if cfg["peak"] else None,
               optimizer_state_bytes=state_bytes, optimizer_state_device=state_dev, lora_impl=impl)
    if cfg["breakdown"]:
        try:
            out["breakdown"] = profile_step(torch, device, step, cfg["profile_steps"])
        except Exception as e:  # a profiler that cannot attribute on this build: say so, keep the timings
            out["breakdown_error"] = str(e).strip().split("\n")[0][:200]
    return out


def init_weights(torch, model, shape):
    """Random weights as HF Llama initialises them: normal(0, 0.02) for linear and embedding, ones for norms."""
    with torch.no_grad():
        for n, prm in model.named_parameters():
            if n.endswith("norm.weight"):
                prm.fill_(1.0)
            else:
                prm.normal_(0.0, 0.02)


def linear_params(torch, model):
    """(frozen, trainable) parameter counts of the Linear layers (LoRA adapters counted as trainable linear work)."""
    frozen = train = 0
    for n, prm in model.named_parameters():
        if "embed_tokens" in n or n.endswith("norm.weight") or prm.dim() != 2:
            continue
        if prm.requires_grad:
            train += prm.numel()
        else:
            frozen += prm.numel()
    return frozen, train


def wrap_fsdp(torch, model):
    import functools
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    from torch.distributed.fsdp.wrap import lambda_auto_wrap_policy
    layer_cls = type(model.layers[0])
    policy = functools.partial(lambda_auto_wrap_policy, lambda_fn=lambda m: isinstance(m, layer_cls))
    return FSDP(model, auto_wrap_policy=policy, use_orig_params=True, device_id=torch.cuda.current_device())


def attention_context(torch, mode):
    """Forces the SDPA backend for the whole step (the recomputed forward of --recompute runs in backward)."""
    if mode not in ("sdpa-flash", "sdpa-math"):
        return contextlib.nullcontext()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel  # torch >= 2.3
        return sdpa_kernel(SDPBackend.FLASH_ATTENTION if mode == "sdpa-flash" else SDPBackend.MATH)
    except ImportError:  # torch 2.0-2.2
        return torch.backends.cuda.sdp_kernel(enable_flash=mode == "sdpa-flash", enable_math=mode == "sdpa-math", enable_mem_efficient=False)


def profile_step(torch, device, step, n):
    """n profiled steps (times summed); shares of forward and backward time per module label (see the module docstring)."""
    from torch.profiler import ProfilerActivity, profile
    gpu = device.type == "cuda"
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if gpu else [])
    PROFILING["on"] = True
    try:
        with profile(activities=acts) as prof:
            for _ in range(n):
                step()
            if gpu:
                torch.cuda.synchronize(device)
    finally:
        PROFILING["on"] = False
    return attribute(prof.events(), gpu)


def event_self_time(evt, gpu):
    if gpu:
        for attr in ("self_device_time_total", "self_cuda_time_total"):
            if hasattr(type(evt), attr):
                return float(getattr(evt, attr))
        return 0.0
    return float(evt.cpu_time_total - sum(c.cpu_time_total for c in evt.cpu_children))


def attribute(events, gpu):
    """Exclusive attribution of profiler events to labels. Pure function of the event tree (FunctionEvent-like)."""
    cpu = [e for e in events if str(getattr(e, "device_type", "CPU")).endswith("CPU")]

    def ancestors(e):
        p = e.cpu_parent
        while p is not None:
            yield p
            p = p.cpu_parent

    def bw_node(e):  # the autograd node (RecordScope BACKWARD_FUNCTION = 1) this event runs in, if any
        for a in [e, *ancestors(e)]:
            if getattr(a, "scope", 0) == 1:
                return a
        return None

    def label_of(e):
        for a in [e, *ancestors(e)]:
            if a.name in LABELS and a.name not in ("forward", "backward", "optimizer"):
                return a.name
        return None

    def phase_of(e):
        for a in [e, *ancestors(e)]:
            if a.name in ("forward", "backward", "optimizer"):
                return a.name
        return None

    # Forward ops (not under a backward node) -> label, keyed as PyTorch links backward to forward.
    fwd_label = {}
    for e in cpu:
        if bw_node(e) is None and getattr(e, "sequence_nr", -1) >= 0:
            lab = label_of(e)
            if lab is not None:
                fwd_label.setdefault((e.sequence_nr, e.thread), lab)
    fwd, bwd, rec_t = {}, {}, 0.0
    fwd_total = bwd_total = opt_total = 0.0
    layer_incl = 0.0
    for e in cpu:
        t = event_self_time(e, gpu)
        if t <= 0:
            continue
        node = bw_node(e)
        if node is not None or (phase_of(e) == "backward"):
            bwd_total += t
            lab = label_of(e)
            if node is not None and lab is not None and any(a is node for a in ancestors_until_label(e)):
                rec_t += t  # a labelled forward op re-run inside a backward node: --recompute
                continue
            if node is None:  # the engine's own work between nodes (CPU time; no kernels, so 0 on a GPU)
                key = "autograd_engine"
            elif "AccumulateGrad" in node.name:
                key = "accumulate_grad"
            else:
                key = fwd_label.get((node.sequence_nr, getattr(node, "fwd_thread", None)), "backward_unmatched")
                key = EXCLUSIVE.get(key, key)
            bwd[key] = bwd.get(key, 0.0) + t
            continue
        ph = phase_of(e)
        if ph == "forward":
            fwd_total += t
            lab = EXCLUSIVE.get(label_of(e), label_of(e)) or "forward_other"
            fwd[lab] = fwd.get(lab, 0.0) + t
            if any(a.name == "decoder_layer" for a in [e, *ancestors(e)]):
                layer_incl += t
        elif ph == "optimizer":
            opt_total += t
    if fwd_total <= 0 or bwd_total <= 0:
        raise RuntimeError(f"profiler attributed no {'device' if gpu else 'CPU'} time to the forward or backward pass")
    unit = "CUDA kernel time" if gpu else "CPU time"
    return dict(
        time_basis=unit,
        forward_us=fwd_total, backward_us=bwd_total, optimizer_us=opt_total,
        forward_share={k: v / fwd_total for k, v in sorted(fwd.items(), key=lambda kv: -kv[1])},
        backward_share={k: v / bwd_total for k, v in sorted(bwd.items(), key=lambda kv: -kv[1])},
        decoder_layer_forward_share=layer_incl / fwd_total,
        recompute_share_of_backward=rec_t / bwd_total,
    )


def ancestors_until_label(e):
    """Ancestors of e from its innermost label outward (the backward node above a label means re-run forward)."""
    seen_label = False
    p = e
    while p is not None:
        if p.name in LABELS:
            seen_label = True
        elif seen_label:
            yield p
        p = p.cpu_parent


def emit_record(rec):
    B = rec["batch"]
    line = {f"b{B}.step_ms": rec["step_ms"], f"b{B}.tokens_per_s": rec["tokens_per_s"], f"b{B}.loss_step0": rec["loss_step0"],
            f"b{B}.params_trainable": rec["params_trainable"], f"b{B}.achieved_tflops": rec["achieved_tflops"]}
    if rec.get("peak_mib") is not None:
        line[f"b{B}.peak_mib"] = rec["peak_mib"]
    if rec.get("mfu_pct") is not None:
        line[f"b{B}.mfu_pct"] = rec["mfu_pct"]
    bd = rec.get("breakdown")
    if bd:
        for k, v in bd["forward_share"].items():
            line[f"b{B}.fwd_pct.{k}"] = 100 * v
        for k, v in bd["backward_share"].items():
            line[f"b{B}.bwd_pct.{k}"] = 100 * v
    common.emit(line)


if __name__ == "__main__":
    main()
