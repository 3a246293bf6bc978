"""Units benchmark: time (forward+backward) and peak memory vs sequence length for every nas unit, side by
side in one process, with fitted log-log slopes (goal <= 1.1 for the linear units); on CUDA also the Triton
chunked-linear-attention kernel vs the PyTorch chunked form.

    python bench/units_bench.py [--lengths 256,512,1024,2048,4096] [--d_model 64] [--batch 1] [--device auto]

Peak memory: on CUDA `max_memory_allocated` over one train step; on CPU the bytes autograd saves for the
backward (activation memory, the part that grows with L)."""
import argparse
import time

import numpy as np
import torch

from cinder_lit.core import get_device
from cinder_lit.nas.units import UNIT_TYPES, make_unit, linear_attn_chunked
from cinder_lit.nas.cerebros import loglog_slope, saved_bytes


def _sync(dev):
    if dev.type == "cuda": torch.cuda.synchronize()


def time_step(unit, x, repeats):
    def step():
        y = unit(x); y.sum().backward()
    step(); _sync(x.device)
    ts = []
    for _ in range(repeats):
        x.grad = None
        _sync(x.device); t0 = time.perf_counter(); step(); _sync(x.device); ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def peak_mem(unit, x):
    if x.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
        unit(x).sum().backward(); _sync(x.device)
        return torch.cuda.max_memory_allocated() - base
    return saved_bytes(lambda: unit(x))[1]


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--lengths", default="256,512,1024,2048,4096")
    p.add_argument("--d_model", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--chunk", type=int, default=64)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="auto")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    if a.threads > 0: torch.set_num_threads(a.threads)
    dev = get_device(a.device)
    Ls = [int(s) for s in a.lengths.split(",")]
    res = {}
    for u in UNIT_TYPES:
        torch.manual_seed(0)
        unit = make_unit(u, a.d_model, a.heads, chunk=a.chunk).to(dev)
        for L in Ls:
            x = torch.randn(a.batch, L, a.d_model, device=dev, requires_grad=True)
            res[(u, L)] = (time_step(unit, x, a.repeats), peak_mem(unit, x))
    print(f"device={dev} B={a.batch} D={a.d_model} H={a.heads} chunk={a.chunk} threads={torch.get_num_threads()}")
    print("time per train step (ms) | peak memory (MiB)")
    print(f"{'L':>7s} " + " ".join(f"{u:>22s}" for u in UNIT_TYPES))
    for L in Ls:
        print(f"{L:7d} " + " ".join(f"{res[(u, L)][0] * 1e3:10.2f} | {res[(u, L)][1] / 2**20:8.2f}" for u in UNIT_TYPES))
    top = Ls[len(Ls) // 2:] if len(Ls) >= 4 else Ls
    print(f"fitted log-log slopes (time over all L | time over L >= {top[0]} | memory):")
    for u in UNIT_TYPES:
        st = loglog_slope(Ls, [res[(u, L)][0] for L in Ls]); sm = loglog_slope(Ls, [res[(u, L)][1] for L in Ls])
        sh = loglog_slope(top, [res[(u, L)][0] for L in top])
        print(f"  {u:12s} time {st:5.2f}  top {sh:5.2f}  memory {sm:5.2f}")
    Lmax = Ls[-1]
    print(f"ratios at L={Lmax} (softmax / unit): " + ", ".join(
        f"{u} {res[('softmax', Lmax)][0] / res[(u, Lmax)][0]:.2f}x time" for u in UNIT_TYPES if u != "softmax"))
    if dev.type == "cuda":
        from cinder_lit.nas.kernels import triton_linear_attn
        print("Triton kernel vs PyTorch chunked (fwd+bwd, [B,H,L,dh] fp32):")
        for L in Ls:
            q, k, v = (torch.randn(a.batch, a.heads, L, a.d_model // a.heads, device=dev, requires_grad=True) for _ in range(3))
            def run(fn):
                o = fn(q, k, v); o.sum().backward()
            ts = {}
            for name, fn in (("torch", lambda q, k, v: linear_attn_chunked(q, k, v, a.chunk)),
                             ("triton", lambda q, k, v: triton_linear_attn(q, k, v, chunk=a.chunk))):
                run(fn); _sync(dev); t0 = time.perf_counter()
                for _ in range(a.repeats): run(fn)
                _sync(dev); ts[name] = (time.perf_counter() - t0) / a.repeats
            print(f"  L={L:6d} torch {ts['torch'] * 1e3:8.3f} ms  triton {ts['triton'] * 1e3:8.3f} ms  speed-up {ts['torch'] / ts['triton']:.2f}x")


if __name__ == "__main__":
    main()
