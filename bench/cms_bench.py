"""Chunkwise-parallel vs per-token recurrent Delta / Titans memory (cinder_lit.cms), side by side in one process.

    PYTHONPATH=. python bench/cms_bench.py [--lengths 512,1024,2048,4096,8192] [--d 32] [--chunk 16] [--batch 1]
                                           [--backward] [--threads 1] [--reps 3] [--device cpu]

Prints, per sequence length, the wall time of the token-by-token reference (`MemoryRule.scan` with
chunk_size=0) and of the chunkwise WY form (`cms.chunkwise`), and their ratio.

Method: both forms run in this process on the same inputs and threads. Forward timings run under
`torch.no_grad()` for both (forward + backward with `--backward`). The chunkwise form is called once before
timing (TorchScript compiles it on first use and profiles it on the first calls); the best of `--reps` calls is
reported for it, one call for the recurrence (seconds long, and without warm-up effects; at L = 512 also the
best of `--reps`). On a CUDA device, if the `fla` package (flash-linear-attention) imports, its
`chunk_delta_rule` is timed too (alpha = 0 case, our per-row theta replaced by a per-head beta, so it is a speed
reference, not the same model).
"""
import argparse
import contextlib
import time

import torch

from cinder_lit.cms.rules import DeltaRule, TitansLMM


def inputs(B, L, d, device, dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    K = torch.nn.functional.normalize(torch.randn(B, L, d, generator=g), dim=-1)
    V, Q = torch.randn(B, L, d, generator=g), torch.randn(B, L, d, generator=g)
    A = 0.1 * torch.rand(B, L, d, generator=g); TH = torch.rand(B, L, d, generator=g); ET = torch.rand(B, L, d, generator=g)
    return [x.to(device, dtype) for x in (K, V, Q, A, TH, ET)]


def timed(fn, device, reps=1):
    best = float("inf")
    for _ in range(reps):
        if device.type == "cuda": torch.cuda.synchronize()
        t = time.perf_counter(); fn()
        if device.type == "cuda": torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="512,1024,2048,4096,8192")
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--backward", action="store_true", help="time forward + backward instead of forward only")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5, help="timed calls of the chunkwise form (best is reported)")
    ap.add_argument("--rules", default="delta,titans")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    try:
        from fla.ops.delta_rule import chunk_delta_rule  # noqa
        has_fla = dev.type == "cuda"
    except Exception:
        has_fla = False
    print(f"device={dev} threads={a.threads} B={a.batch} d={a.d} chunk={a.chunk} {'fwd+bwd' if a.backward else 'fwd'}"
          f" torch={torch.__version__} fla={'yes' if has_fla else 'no'}")
    print(f"{'rule':>7} {'L':>6} {'recurrent s':>12} {'chunkwise s':>12} {'ratio':>7}" + (f" {'fla s':>8}" if has_fla else ""))
    classes = [c for c in (DeltaRule, TitansLMM) if c.name in a.rules.split(",")]
    grad = contextlib.nullcontext() if a.backward else torch.no_grad()
    for L in [int(x) for x in a.lengths.split(",")]:
        for cls in classes:
            rule = cls(a.d, a.d)
            ins = inputs(a.batch, L, a.d, dev)
            if a.backward:
                for x in ins: x.requires_grad_(True)
            st = rule.init(a.batch, ins[0].dtype, dev)

            def run(cs):
                rule.chunk_size = cs
                with grad:
                    Y, _ = rule.scan(st, *ins)
                    if a.backward: Y.sum().backward()
            run(a.chunk); run(a.chunk)                              # compile + warm up the chunkwise form
            tr = timed(lambda: run(0), dev, a.reps if L <= 512 else 1)
            tc = timed(lambda: run(a.chunk), dev, a.reps)
            line = f"{cls.name:>7} {L:>6} {tr:>12.3f} {tc:>12.4f} {tr / tc:>6.1f}x"
            if has_fla and cls is DeltaRule:
                from fla.ops.delta_rule import chunk_delta_rule
                K, V, Q, _, TH, _ = ins
                q, k, v = (x[:, :, None].contiguous() for x in (Q, K, V))
                beta = TH.mean(-1)[:, :, None].contiguous().clamp(max=1.0)
                tf = timed(lambda: chunk_delta_rule(q, k, v, beta), dev, max(2, a.reps))
                line += f" {tf:>8.4f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
