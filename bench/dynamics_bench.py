"""DynamicsProbe overhead, side by side in one process: per-step time of training a small model of each system with
the probe off and on (`every` = the default interval, or `--every`), and their ratio.

    PYTHONPATH=. python bench/dynamics_bench.py [--systems crawler,ep,cms,nas] [--every N] [--reps 3] [--threads 1]

One "rep" trains `every` steps with the probe off, then the same `every` steps (same seed, same batches) with it on
(in alternating order across reps): with it on there is exactly one probe (at step 0) per `every` steps, which is the
probe's amortised rate at that interval. Reported: the median over reps of the per-step time off and on, the ratio
on/off, the probe's own cost (wall seconds per probe) and its share of the on-run's CPU time (the probe's CPU time,
`DynamicsProbe.probe_cpu_s`, over the whole run's): the overhead without the run-to-run noise of the ratio. Times are CPU time of this process (`time.process_time`), not
wall time: on a shared, oversubscribed machine the wall clock measures the other tenants (the same choice as
`bench/cms_bench.py`). The models are small CPU-scale ones (stated in the output); the probe's cost is mostly fixed
(MR bootstrap, surrogates), so on larger models the ratio is smaller.
"""
import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F

os.environ.setdefault("CINDER_LIT_NO_PROGRESS", "1")   # no tqdm bars in the printed table

from cinder_lit.dynamics import DynamicsProbe, ProbeConfig
from cinder_lit.data import lm_batch_fn
from cinder_lit.train import Trainer, TrainConfig, backprop


def _lm_batches(vocab, B, T, seed=0):
    toks = np.random.default_rng(seed).integers(0, vocab, 200_000)
    return lm_batch_fn(toks, B, T, seed=seed)


def crawler_setup():
    from cinder_lit.crawler.model import CrawlerConfig, CrawlerGPT
    cfg = CrawlerConfig(vocab_size=256, d_model=64, n_heads=4, n_kv_heads=2, n_flat=2, crawler_loops=2)
    return (lambda: CrawlerGPT(cfg)), _lm_batches(256, 8, 64), backprop(lambda m, b: m(*b)), {}, "CrawlerGPT d=64, 2 flat + 1 shared x 2 loops, B=8, T=64"


def ep_setup():
    from cinder_lit.ep.estimators import EstimatorConfig
    from cinder_lit.ep.solvers import SolverConfig
    from cinder_lit.ep.train import ep_step_fn, make_block
    solver = SolverConfig()
    return ((lambda: make_block(256, d_model=32, n_heads=2, seq_len=32)), _lm_batches(256, 4, 32),
            ep_step_fn(EstimatorConfig(n_points=2, t2=20), solver), {"solver": solver},
            "EqBlock softmax d=32, hEP N=2 t2=20, B=4, T=32")


def cms_setup():
    from cinder_lit.cms.model import CMSConfig, CMSModel, cms_step_fn
    cfg = CMSConfig(d_model=32, n_heads=2, window=16, rule="delta", k=2, vocab_size=256)
    return (lambda: CMSModel(cfg)), _lm_batches(256, 4, 32), cms_step_fn, {}, "CMSModel delta k=2 d=32 (token scan), B=4, T=32"


def nas_setup():
    from cinder_lit.nas.models import ModelConfig, UnitModel
    cfg = ModelConfig(vocab=256, d_model=64, n_layers=2, n_heads=4, unit_type="ssm_diag", ssm_state=8, backend="torch")
    def loss(m, b):
        x, y = b
        return F.cross_entropy(m(x).flatten(0, 1), y.flatten())
    return (lambda: UnitModel(cfg)), _lm_batches(256, 8, 64), backprop(loss), {}, "UnitModel ssm_diag d=64 x 2 layers, B=8, T=64"


SETUPS = {"crawler": crawler_setup, "ep": ep_setup, "cms": cms_setup, "nas": nas_setup}


def train_time(make, bf, step_fn, steps, probe=None):
    torch.manual_seed(0)
    tr = Trainer(make(), bf, step_fn, TrainConfig(steps=steps, device="cpu", log_every=10 ** 9), hooks=[probe] if probe else [],
                 desc="bench")
    t0 = time.process_time()
    tr.fit()
    return (time.process_time() - t0) / steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--systems", default="crawler,ep,cms,nas")
    ap.add_argument("--every", type=int, default=0, help="probe interval (0: ProbeConfig's default)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    every = a.every or ProbeConfig().every
    print(f"DynamicsProbe overhead at every = {every} (CPU time per training step, median of {a.reps} reps, "
          f"torch threads = {a.threads}, load avg = {open('/proc/loadavg').read().split()[:3]})")
    print(f"{'system':8s} {'off ms/step':>12s} {'on ms/step':>11s} {'ratio':>7s} {'probe s':>8s} {'share':>6s}  model")
    for name in a.systems.split(","):
        make, bf, step_fn, kw, desc = SETUPS[name]()
        off, on, cost, share = [], [], [], []
        for r in range(a.reps):
            order = (False, True) if r % 2 == 0 else (True, False)
            for with_probe in order:
                if with_probe:
                    p = DynamicsProbe(ProbeConfig(system=name, every=every), **kw)
                    on.append(train_time(make, bf, step_fn, every, p)); cost.append(p.probe_s / max(p.n_probes, 1))
                    share.append(p.probe_cpu_s / (on[-1] * every))
                else:
                    off.append(train_time(make, bf, step_fn, every))
        mo, mn = statistics.median(off), statistics.median(on)
        print(f"{name:8s} {1e3 * mo:12.2f} {1e3 * mn:11.2f} {mn / mo:7.3f} {statistics.median(cost):8.3f} {100 * statistics.median(share):5.1f}%  {desc}", flush=True)


if __name__ == "__main__":
    main()