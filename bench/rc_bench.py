"""Raincatcher benchmarks, side by side in one process.

1. Time of the batch metrics (seed PLV + sigma out-degree + lambda proxy) and of the streaming form vs
   stream length T, with the fitted log-log slope (goal <= 1.1: linear time).
2. Our KD-tree Rosenstein estimate vs `nolds.lyap_r` (O(T^2)) on the same logistic-map series at
   T = 2e4, identical parameters: speed ratio (goal >= 100x) and answers (goal: equal to 0.05).

Run:  PYTHONPATH=. python bench/rc_bench.py [--max_T 1e7] [--nolds_T 20000] [--skip_nolds]
nolds is a bench-only extra (`pip install "nolds==0.6.1" "setuptools<81"`, the `bench` extra).
"""
import argparse, math, time, warnings

import numpy as np
import torch

from cinder_lit.rc.lyapunov import lyap_rosenstein
from cinder_lit.rc.metrics import lambda_proxy, plv_seed, sigma_outdegree
from cinder_lit.rc.stream import RCStream


def _data(T, D, seed=0):
    rng = np.random.default_rng(seed)
    toks = rng.integers(0, 1024, T)
    emb = torch.from_numpy(rng.standard_normal((T, D), dtype=np.float32))
    return toks, emb


def _best(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return min(ts)


def bench_scaling(max_T, D=4, stream_max_T=10**6):
    Ts = [T for T in (10**4, 10**5, 10**6, 10**7) if T <= max_T]
    rows = []
    print(f"\n== time vs stream length (D={D}, float32 embeddings, CPU, {torch.get_num_threads()} torch threads) ==")
    print(f"{'T':>10} {'plv_seed':>10} {'sigma':>10} {'lambda':>10} {'batch tot':>10} {'ns/token':>9} {'stream':>10} {'us/token':>9}")
    for T in Ts:
        toks, emb = _data(T, D)
        reps = 3 if T <= 10**5 else 1
        tp = _best(lambda: plv_seed(emb, 64, 0.7), reps)
        ts = _best(lambda: sigma_outdegree(toks), reps)
        tl = _best(lambda: lambda_proxy(emb), reps)
        tot = tp + ts + tl
        st = float("nan")
        if T <= stream_max_T:
            def _stream():
                s = RCStream(64, 0.7, keep_windows=False)
                for i in range(0, T, 4096):
                    s.update_many(toks[i:i + 4096], emb[i:i + 4096])
                return s.metrics()
            st = _best(_stream, 1)
        rows.append((T, tp, ts, tl, tot, st))
        print(f"{T:>10} {tp:>10.4f} {ts:>10.4f} {tl:>10.4f} {tot:>10.4f} {tot / T * 1e9:>9.1f} {st:>10.4f} {st / T * 1e6:>9.2f}")
        del toks, emb
    r = np.array(rows)
    lt = np.log(r[:, 0])
    slope = lambda col: np.polyfit(lt, np.log(r[:, col]), 1)[0]
    print(f"log-log slope of time vs T: plv {slope(1):.3f}  sigma {slope(2):.3f}  lambda {slope(3):.3f}  "
          f"batch total {slope(4):.3f}  (goal <= 1.1)")
    if len(rows) >= 2:
        top = lambda col: math.log(r[-1, col] / r[-2, col]) / math.log(r[-1, 0] / r[-2, 0])
        print(f"slope over the top decade ({int(r[-2, 0])} -> {int(r[-1, 0])}): plv {top(1):.3f}  sigma {top(2):.3f}  "
              f"lambda {top(3):.3f}  batch total {top(4):.3f}  (small T is dominated by fixed overheads)")
    ok = np.isfinite(r[:, 5])
    if ok.sum() >= 2:
        print(f"stream (update_many, chunks of 4096): slope {np.polyfit(lt[ok], np.log(r[ok, 5]), 1)[0]:.3f}")
    return rows


def logistic(T, r=4.0, x0=0.1234, burn=500):
    x, out = x0, np.empty(T)
    for t in range(burn + T):
        x = r * x * (1 - x)
        if t >= burn:
            out[t - burn] = x
    return out


def bench_rosenstein(T, skip_nolds=False):
    kw = dict(emb_dim=2, lag=1, min_tsep=10, trajectory_len=8)
    x = logistic(T)
    print(f"\n== Rosenstein largest exponent, logistic map r=4 (ln 2 = {math.log(2):.4f}), T={T}, {kw} ==")
    ours = [0.0]
    t_ours = _best(lambda: ours.__setitem__(0, lyap_rosenstein(x, **kw)), 3)
    print(f"cinder_lit lyap_rosenstein: {ours[0]:.4f}   {t_ours * 1e3:9.1f} ms")
    if skip_nolds:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import nolds
    except Exception as e:  # pragma: no cover
        print(f"nolds not available ({e}); install the bench extra"); return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter(); theirs = nolds.lyap_r(x, fit="poly", **kw); t_n = time.perf_counter() - t0
    from importlib.metadata import version
    print(f"nolds {version('nolds')} lyap_r:         {theirs:.4f}   {t_n * 1e3:9.1f} ms")
    print(f"speed ratio nolds/ours: {t_n / t_ours:.0f}x (goal >= 100x); |difference| {abs(ours[0] - theirs):.4f} (goal <= 0.05)")
    # the same check with nolds' default trajectory_len=20 (both saturate past k~14 and read low alike)
    kw20 = dict(kw, trajectory_len=20)
    o20 = lyap_rosenstein(x, **kw20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n20 = nolds.lyap_r(x, fit="poly", **kw20)
    print(f"trajectory_len=20 (fit into the saturated part): ours {o20:.4f}  nolds {n20:.4f}  |diff| {abs(o20 - n20):.4f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--max_T", type=float, default=1e7)
    ap.add_argument("--stream_max_T", type=float, default=1e6)
    ap.add_argument("--nolds_T", type=int, default=20000)
    ap.add_argument("--skip_nolds", action="store_true")
    a = ap.parse_args()
    bench_rosenstein(a.nolds_T, a.skip_nolds)
    bench_scaling(int(a.max_T), stream_max_T=int(a.stream_max_T))
