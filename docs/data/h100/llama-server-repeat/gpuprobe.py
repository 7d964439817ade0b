# What the card reaches (not its data sheet): HBM read bandwidth (a sum over a 4 GiB f16 tensor), copy bandwidth
# (read + write of 2 GiB), f16 tensor GEMM at 8192^3 and a llama-2-7b-shaped f16 GEMV (4096 x 11008 weights, the
# decode step's kind of read). Medians of 20 CUDA-event-timed repeats after 5 warm-ups. JSON on stdout.
import json, torch
def t(fn, n=20, w=5):
    for _ in range(w): fn()
    torch.cuda.synchronize(); xs = []
    for _ in range(n):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); torch.cuda.synchronize(); xs.append(a.elapsed_time(b) / 1e3)
    xs.sort(); return xs[len(xs) // 2]
d = torch.device("cuda"); out = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__}
x = torch.ones(2 * 1024**3, dtype=torch.float16, device=d)  # 4 GiB
s = t(lambda: x.sum(dtype=torch.float32)); out["read_bytes_per_s"] = x.numel() * 2 / s
y = torch.empty(1024**3, dtype=torch.float16, device=d); z = torch.empty_like(y)
s = t(lambda: z.copy_(y)); out["copy_bytes_per_s"] = 2 * y.numel() * 2 / s
del x, y, z
# 7B weights in f16 as many GEMVs as one decode step reads (13.5 GB): 32 layers x (4 x 4096^2 + 3 x 4096 x 11008)
ws = [torch.randn(4096, 4096, dtype=torch.float16, device=d) for _ in range(4)] + [torch.randn(11008, 4096, dtype=torch.float16, device=d) for _ in range(3)]
v = torch.randn(4096, 1, dtype=torch.float16, device=d)
def layer():
    for w in ws: torch.mm(w, v)
s = t(lambda: layer()); nb = sum(w.numel() for w in ws) * 2; out["gemv_bytes_per_s"] = nb / s
a = torch.randn(8192, 8192, dtype=torch.float16, device=d); b = torch.randn(8192, 8192, dtype=torch.float16, device=d)
s = t(lambda: torch.mm(a, b)); out["gemm_f16_flops_per_s"] = 2 * 8192**3 / s
print(json.dumps(out, indent=1))
