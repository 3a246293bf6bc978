"""Crawler benchmark: training step time of the crawler vs flat GPTs at equal unique parameters, at equal depth,
and at both (a narrowed MLP), measured as repeated interleaved timings (arm order rotated each repeat) reported
as median, IQR and range, with crawler/flat ratios paired by repeat; and GPTQ time per layer vs the
straightforward per-column reference used in nbs/22_crawler_quant.

    PYTHONPATH=. python bench/crawler_bench.py [--d 128] [--steps 20] [--repeats 7] [--threads 1] [--skip-gptq]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch

from cinder_lit.data import load_token_data
from cinder_lit.train import TrainConfig
from cinder_lit.crawler.model import CrawlerConfig, CrawlerGPT
from cinder_lit.crawler.train import train_crawler
from cinder_lit.crawler.quant import gptq_quantize, rtn_scales
from cinder_lit.crawler.experiments import match_mlp_mult


def gptq_reference(W, H, scale, bits, damp=0.01):
    "The test's reference: column by column, explicit inverse Hessian re-eliminated after each column."
    W = W.clone().double(); H = H.clone().double(); n = W.shape[1]; qm = 2 ** (bits - 1) - 1
    s = scale.double()
    dead = torch.diag(H) == 0; H[dead, dead] = 1.0; W[:, dead] = 0.0
    H = H + damp * torch.diag(H).mean() * torch.eye(n, dtype=torch.float64)
    Hinv = torch.linalg.inv(H)
    Q = torch.zeros_like(W); remaining = list(range(n))
    for j in range(n):
        q = torch.clamp(torch.round(W[:, j] / s), -qm, qm); Q[:, j] = q
        err = (W[:, j] - q * s) / Hinv[j, j]
        remaining.remove(j)
        for c in remaining: W[:, c] -= err * Hinv[j, c]
        Hinv = Hinv - torch.outer(Hinv[:, j], Hinv[j, :]) / Hinv[j, j]
    return Q


def _spread(v):
    v = sorted(v); n = len(v)
    q = lambda f: v[min(n - 1, max(0, round(f * (n - 1))))]
    return statistics.median(v), q(0.25), q(0.75), v[0], v[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    ap.add_argument("--repeats", type=int, default=7, help="interleaved measurements per arm (arm order rotates each repeat)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--loops", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--skip-gptq", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    td = load_token_data("default", "bytes", max_train_tokens=500_000, max_val_tokens=10_000)
    common = dict(vocab_size=256, d_model=a.d, n_heads=4, n_kv_heads=2, mlp_mult=4.0)
    depth = 4 + a.loops
    base = dict(common, n_flat=4, crawler_loops=a.loops)
    narrow = match_mlp_mult(base, {"n_flat": depth, "crawler_loops": 0}, CrawlerGPT(CrawlerConfig(**base)).unique_params())
    arms = {
        f"crawler 4F+1Cx{a.loops}": CrawlerConfig(**base),
        "flat 5F (equal unique params)": CrawlerConfig(**common, n_flat=5, crawler_loops=0),
        f"flat {depth}F (equal depth)": CrawlerConfig(**common, n_flat=depth, crawler_loops=0),
        f"flat {depth}F mlp x{narrow:.3g} (equal depth AND params)": CrawlerConfig(**{**common, "mlp_mult": narrow}, n_flat=depth, crawler_loops=0),
    }
    print(f"== training throughput: d={a.d}, batch {a.batch}x{a.seq}, {a.repeats} interleaved repeats x {a.steps} steps "
          f"(AdamW), threads={a.threads}")
    models, times = {}, {n: [] for n in arms}
    tc = TrainConfig(steps=a.steps, lr=1e-3, device=a.device, precision="bf16" if torch.cuda.is_available() else "fp32")
    for name, cfg in arms.items():
        torch.manual_seed(0); models[name] = CrawlerGPT(cfg)
        train_crawler(models[name], td, tc.replace(steps=2), a.batch, a.seq)       # warm-up
    names = list(arms)
    for r in range(a.repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:             # rotate the order: no arm is always first
            times[name].append(train_crawler(models[name], td, tc, a.batch, a.seq).step_ms)
    c = names[0]
    for name in names:
        med, q1, q3, lo, hi = _spread(times[name])
        print(f"{name:48s} params {models[name].unique_params():>9,d} depth {arms[name].depth:2d}  ms/step median {med:7.1f} "
              f"IQR [{q1:.1f}, {q3:.1f}] range [{lo:.1f}, {hi:.1f}]")
    for name in names[1:]:
        ratios = [tc_ / tn for tc_, tn in zip(times[c], times[name])]            # paired by repeat (adjacent in time)
        med, q1, q3, lo, hi = _spread(ratios)
        print(f"  step time crawler / {name}: median {med:.3f}  IQR [{q1:.3f}, {q3:.3f}]  range [{lo:.3f}, {hi:.3f}]  (n={len(ratios)})")
    if a.skip_gptq: return

    print("\n== GPTQ time per layer (blocked Cholesky, float32 and float64) vs the per-column reference (float64)")
    g = torch.Generator().manual_seed(0)
    for n_out, n_in in [(64, 64), (128, 128), (256, 256)]:
        X = torch.randn(4 * n_in, n_in, generator=g, dtype=torch.float64)
        H = 2 * X.T @ X / X.shape[0]
        W = torch.randn(n_out, n_in, generator=g, dtype=torch.float64) * 0.05
        s = rtn_scales(W, 6)
        t0 = time.perf_counter(); gptq_quantize(W.float(), H.float(), 6, scale=s); t32 = time.perf_counter() - t0
        t0 = time.perf_counter(); q64, _ = gptq_quantize(W, H, 6, scale=s); t64 = time.perf_counter() - t0
        t0 = time.perf_counter(); qr = gptq_reference(W, H, s, 6); tr = time.perf_counter() - t0
        same = (q64.double() != qr).sum().item()
        print(f"layer {n_out}x{n_in}: gptq fp32 {1e3 * t32:8.1f} ms  fp64 {1e3 * t64:8.1f} ms  reference {1e3 * tr:9.1f} ms  "
              f"speedup {tr / t64:6.1f}x (fp64)  {tr / t32:6.1f}x (fp32)  codes differing: {same}")
    for n_out, n_in in [(512, 512), (512, 2048), (2048, 512)]:
        X = torch.randn(2 * n_in, n_in, generator=g); H = 2 * X.T @ X / X.shape[0]
        W = torch.randn(n_out, n_in, generator=g) * 0.05
        t0 = time.perf_counter(); gptq_quantize(W, H, 6); t = time.perf_counter() - t0
        print(f"layer {n_out}x{n_in}: gptq fp32 {1e3 * t:8.1f} ms (reference not run: O(n^2) Python steps)")


if __name__ == "__main__":
    main()
