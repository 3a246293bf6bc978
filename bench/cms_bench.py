"""CMS speed, side by side in one process: (1) the chunkwise WY form of the Delta / Titans memory against the
*same recurrence compiled* with TorchScript, with the chunkwise form's achieved GFLOP/s beside a plain
`torch.matmul`'s on this machine; (2) milliseconds per training step of a CMS model at the seed's scale;
(3) milliseconds per run-step when the runs of a grid train together as one vmapped ensemble.

    PYTHONPATH=. python bench/cms_bench.py [--lengths 512,1024,2048,4096,8192] [--batches 1,8] [--d 32] [--chunk 16]
                                           [--threads 1] [--reps 3] [--steps 40] [--rounds 3] [--ks 1,2,4] [--profile]
                                           [--skip-scan] [--skip-train] [--skip-ensemble]
                                           [--members 6,24] [--ens-chunk 4] [--ens-steps 30]

Part 1. Per (rule, B, L): wall time of the token-by-token recurrence compiled with `torch.jit.script` (the loop
below, checked equal to `MemoryRule.scan` first), of `cms.chunkwise` (also TorchScript-compiled), their ratio, the
chunkwise form's matmul FLOPs (counted with `torch.utils.flop_counter.FlopCounterMode`: bmm/mm only, so the
triangular inverse's few FLOPs are left out) divided by its time, and that GFLOP/s as a fraction of the GFLOP/s of
one 1024 x 1024 fp32 `torch.matmul` on the same threads (how close the chunkwise form gets to the CPU's
dense-matmul rate). Forward only, under `torch.no_grad()`; every timed call is warmed up twice, then the best of
`--reps` is reported.

Part 2. ms per optimizer step (forward + backward + error-buffer routing + plain SGD step, through the
foundation `Trainer`) of the boundary experiment's model (MAG) at d = 32, seq 32, batch 4, for each k and rule
(Delta, Titans), before and after the change of 2026-12-03 (side by side, interleaved rounds, median of
`--rounds`): *before* = the chunkwise form (chunk 16) with its triangular inverse always by forward substitution
(`cms.chunkwise.TRSM_MAX_SYSTEMS = 0`); *after* = the default dispatch (one batched `solve_triangular` when a call
has at most `TRSM_MAX_SYSTEMS` small systems, as at this shape). The per-token loop (`chunk_size = 0`) is shown
for reference. Mean over `--steps` steps after 5 warm-up steps. `--profile` prints where a k = 2 step spends its
time (torch.profiler, top ops by self CPU time).

Part 3. ms per *run*-step when a grid's runs train together as one `cms.ensemble` (`--members` runs of one k under
`torch.func.vmap`, b_theta and seed differing as in the boundary grid) against the same runs trained one by one
through `train_signal` (the solo path: TorchScript chunkwise form, chunk 16, the fastest solo setting), side by
side in interleaved rounds; the ensemble runs the chunkwise form at `--ens-chunk` (4: fastest under vmap).
Ensemble time / members = the cost of one run's step inside it.

All times are CPU time of this process (`time.process_time`), not wall time: on a shared, oversubscribed machine
the wall clock measures the other tenants; CPU time measures the work (caches and frequency still vary with the
load, which is printed with the results).
"""
import argparse
import os
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from cinder_lit.cms.chunkwise import delta_chunkwise, titans_chunkwise
from cinder_lit.cms.rules import DeltaRule, TitansLMM


@torch.jit.script
def delta_recurrence(M, K, V, Q, A, TH):
    "Token-by-token gated Delta rule (the same equations as DeltaRule.write/read), for TorchScript."
    ys = []
    for t in range(K.shape[1]):
        k = K[:, t]
        e = torch.bmm(M, k.unsqueeze(-1)).squeeze(-1) - V[:, t]
        M = (1 - A[:, t]).unsqueeze(-1) * M - (TH[:, t] * e).unsqueeze(-1) * k.unsqueeze(1)
        ys.append(torch.bmm(M, Q[:, t].unsqueeze(-1)).squeeze(-1))
    return torch.stack(ys, 1), M


@torch.jit.script
def titans_recurrence(M, S, K, V, Q, A, TH, ET):
    "Token-by-token Titans LMM (the same equations as TitansLMM.write/read), for TorchScript."
    ys = []
    for t in range(K.shape[1]):
        k = K[:, t]
        e = torch.bmm(M, k.unsqueeze(-1)).squeeze(-1) - V[:, t]
        S = ET[:, t].unsqueeze(-1) * S - (TH[:, t] * e).unsqueeze(-1) * k.unsqueeze(1)
        M = (1 - A[:, t]).unsqueeze(-1) * M + S
        ys.append(torch.bmm(M, Q[:, t].unsqueeze(-1)).squeeze(-1))
    return torch.stack(ys, 1), M


def inputs(B, L, d, seed=0):
    g = torch.Generator().manual_seed(seed)
    K = torch.nn.functional.normalize(torch.randn(B, L, d, generator=g), dim=-1)
    V, Q = torch.randn(B, L, d, generator=g), torch.randn(B, L, d, generator=g)
    A = 0.1 * torch.rand(B, L, d, generator=g); TH = torch.rand(B, L, d, generator=g); ET = torch.rand(B, L, d, generator=g)
    return K, V, Q, A, TH, ET


def best(fn, reps):
    fn(); fn()
    out = float("inf")
    for _ in range(reps):
        t = time.process_time(); fn(); out = min(out, time.process_time() - t)
    return out


def matmul_gflops(reps, n=1024):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return 2 * n ** 3 / best(lambda: torch.matmul(a, b), reps) / 1e9


def check_equal(d):
    "The compiled recurrences reproduce MemoryRule.scan (token by token) before anything is timed."
    K, V, Q, A, TH, ET = inputs(2, 40, d, seed=1)
    with torch.no_grad():
        r = DeltaRule(d, d); Y0, st = r.scan(r.init(2), K, V, Q, A, TH)
        Y1, M1 = delta_recurrence(torch.zeros(2, d, d), K, V, Q, A, TH)
        assert torch.allclose(Y0, Y1, atol=1e-5) and torch.allclose(st["M"], M1, atol=1e-5)
        r = TitansLMM(d, d); Y0, st = r.scan(r.init(2), K, V, Q, A, TH, ET)
        Y1, M1 = titans_recurrence(torch.zeros(2, d, d), torch.zeros(2, d, d), K, V, Q, A, TH, ET)
        assert torch.allclose(Y0, Y1, atol=1e-5) and torch.allclose(st["M"], M1, atol=1e-5)


def part_scan(a):
    check_equal(a.d)
    mm = matmul_gflops(a.reps)
    print(f"\n[1] chunkwise (chunk {a.chunk}) vs TorchScript-compiled recurrence, forward, d={a.d}, threads={a.threads}; "
          f"torch.matmul 1024^2 fp32: {mm:.1f} GFLOP/s")
    print(f"{'rule':>7} {'B':>3} {'L':>6} {'compiled rec s':>15} {'chunkwise s':>12} {'speed-up':>9} {'chunk GFLOP/s':>14} {'/ matmul':>9}")
    for B in [int(x) for x in a.batches.split(",")]:
        for L in [int(x) for x in a.lengths.split(",")]:
            K, V, Q, A, TH, ET = inputs(B, L, a.d)
            Z = torch.zeros(B, a.d, a.d)
            for name in a.rules.split(","):
                if name == "delta":
                    rec = lambda: delta_recurrence(Z, K, V, Q, A, TH)
                    chk = lambda: delta_chunkwise(Z, K, V, Q, A, TH, a.chunk)
                else:
                    rec = lambda: titans_recurrence(Z, Z, K, V, Q, A, TH, ET)
                    chk = lambda: titans_chunkwise(Z, Z, K, V, Q, A, TH, ET, a.chunk)
                with torch.no_grad():
                    tr, tc = best(rec, a.reps), best(chk, a.reps)
                    fc = FlopCounterMode(display=False)
                    with fc: chk()
                gf = fc.get_total_flops() / tc / 1e9
                print(f"{name:>7} {B:>3} {L:>6} {tr:>15.4f} {tc:>12.4f} {tr / tc:>8.1f}x {gf:>14.2f} {gf / mm:>8.1%}", flush=True)


def part_train(a):
    import statistics
    from cinder_lit.cms import chunkwise as cw
    from cinder_lit.cms.experiments import BoundaryConfig, _cms_cfg, train_signal
    print(f"\n[2] ms per training step, MAG, d=32, seq 32, batch 4, plain SGD, threads={a.threads} "
          f"(mean of {a.steps} steps after 5 warm-up steps; median of {a.rounds} interleaved rounds)")
    cfg = BoundaryConfig(d_model=32, seq_len=32, batch=4)
    default_max = cw.TRSM_MAX_SYSTEMS
    variants = {"token loop": (0, default_max), "before": (16, 0), "after": (16, default_max)}

    def step_ms(rule, k, chunk, trsm_max):
        cfg.chunk_size, cw.TRSM_MAX_SYSTEMS = chunk, trsm_max
        try:
            mc = _cms_cfg(cfg, k=k, b_theta=0.0, b_theta_step=0.0).replace(rule=rule)
            train_signal(mc, steps=5, seq_len=32, batch=4, optimizer="sgd", log_every=1000)
            t = time.process_time()
            train_signal(mc, steps=a.steps, seq_len=32, batch=4, optimizer="sgd", log_every=1000)
            return 1000 * (time.process_time() - t) / a.steps
        finally:
            cw.TRSM_MAX_SYSTEMS = default_max

    print(f"{'rule':>7} {'k':>3} {'token loop':>11} {'before':>9} {'after':>9} {'before/after':>13}")
    for rule in ("delta", "titans"):
        for k in [int(x) for x in a.ks.split(",")]:
            res = {v: [] for v in variants}
            for _ in range(a.rounds):
                for v, (chunk, tmax) in variants.items(): res[v].append(step_ms(rule, k, chunk, tmax))
            m = {v: statistics.median(x) for v, x in res.items()}
            print(f"{rule:>7} {k:>3} {m['token loop']:>8.1f} ms {m['before']:>6.1f} ms {m['after']:>6.1f} ms "
                  f"{m['before'] / m['after']:>12.2f}x", flush=True)
    if a.profile:
        from torch.profiler import ProfilerActivity, profile
        cfg.chunk_size = 16
        mc = _cms_cfg(cfg, k=2, b_theta=0.0, b_theta_step=0.0)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train_signal(mc, steps=10, seq_len=32, batch=4, optimizer="sgd", log_every=1000)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def part_ensemble(a):
    import statistics
    from cinder_lit.cms.ensemble import train_signal_ensemble
    from cinder_lit.cms.experiments import BoundaryConfig, _cms_cfg, train_signal
    members = [int(x) for x in a.members.split(",")]
    print(f"\n[3] ms per run-step, MAG, d=32, seq 32, batch 4, plain SGD, threads={a.threads}: solo train_signal (chunk 16) "
          f"vs one vmapped ensemble of M runs (chunk {a.ens_chunk}); mean of {a.ens_steps} steps after 5 warm-up steps, "
          f"median of {a.rounds} interleaved rounds")
    cfg = BoundaryConfig(d_model=32, seq_len=32, batch=4)
    bths = [0.0, 1.0, 1.2, 1.5]

    def solo_ms(k):
        mc = _cms_cfg(cfg, k=k, b_theta=0.0, b_theta_step=0.0, chunk_size=16)
        train_signal(mc, steps=5, seq_len=32, batch=4, optimizer="sgd", log_every=1000)
        t = time.process_time()
        train_signal(mc, steps=a.ens_steps, seq_len=32, batch=4, optimizer="sgd", log_every=1000)
        return 1000 * (time.process_time() - t) / a.ens_steps

    def ens_ms(k, M):
        cfgs = [_cms_cfg(cfg, k=k, b_theta=bths[i % 4], b_theta_step=0.0, chunk_size=a.ens_chunk) for i in range(M)]
        seeds = [i // 4 for i in range(M)]
        train_signal_ensemble(cfgs, seeds, steps=5, seq_len=32, batch=4, log_every=1000)
        t = time.process_time()
        train_signal_ensemble(cfgs, seeds, steps=a.ens_steps, seq_len=32, batch=4, log_every=1000)
        return 1000 * (time.process_time() - t) / a.ens_steps / M

    print(f"{'k':>3} {'solo':>9} " + " ".join(f"{'M=' + str(M):>9} {'ratio':>6}" for M in members))
    for k in [int(x) for x in a.ks.split(",")]:
        res = {v: [] for v in ["solo"] + members}
        for _ in range(a.rounds):
            res["solo"].append(solo_ms(k))
            for M in members: res[M].append(ens_ms(k, M))
        m = {v: statistics.median(x) for v, x in res.items()}
        print(f"{k:>3} {m['solo']:>6.1f} ms " + " ".join(f"{m[M]:>6.2f} ms {m['solo'] / m[M]:>5.1f}x" for M in members),
              flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lengths", default="512,1024,2048,4096,8192")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--chunk", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rules", default="delta,titans")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ks", default="1,2,4")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--skip-scan", action="store_true")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-ensemble", action="store_true")
    ap.add_argument("--members", default="6,24")
    ap.add_argument("--ens-chunk", type=int, default=4)
    ap.add_argument("--ens-steps", type=int, default=30)
    a = ap.parse_args()
    os.environ["CINDER_LIT_NO_PROGRESS"] = "1"
    torch.set_num_threads(a.threads)
    print(f"torch={torch.__version__} threads={a.threads} cpus={os.cpu_count()} load average={os.getloadavg()}")
    if not a.skip_scan: part_scan(a)
    if not a.skip_train: part_train(a)
    if not a.skip_ensemble: part_ensemble(a)
    print(f"\nload average at the end={os.getloadavg()}")


if __name__ == "__main__":
    main()
