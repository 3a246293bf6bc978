"""EP step vs BPTT step: peak memory and time against the relaxation length T.

    python bench/ep_bench.py [--T 20,50,100,200] [--d 64] [--L 64] [--B 4] [--device cpu|cuda]

Each (estimator, T) runs in its own subprocess so that allocations of one configuration cannot hide
in another's peak. Memory method:
  * CPU: the step's peak *resident-set* growth. The child builds the block, runs one warm-up step (lazy
    init of autograd, thread pools), returns the freed heap to the OS with glibc's malloc_trim(0) (else the
    measured step would reuse resident free heap without raising RSS), resets the kernel's peak-RSS counter
    (writing "5" to /proc/self/clear_refs resets VmHWM), records VmRSS, runs the measured step and reads
    VmHWM: peak = VmHWM - VmRSS_before. tracemalloc does not see torch's C++ allocations, so it is not used.
  * CUDA: torch.cuda.reset_peak_memory_stats() then max_memory_allocated() - memory_allocated() before.
  * Both: the peak of the bytes autograd holds saved for backward, counted exactly with
    torch.autograd.graph.saved_tensors_hooks over one more step (each saved storage counted once, from the moment a graph
    saves it until the last graph holding it is freed; parameters saved by a graph count too). The hook keeps a
    detached alias: holding the tensor itself would tie a saved output to its own grad_fn in a reference cycle
    that only the garbage collector breaks, and the count would then grow with T for EP as well (it did: 13 -> 104 MB): what a step keeps alive
    for its backward at once, independent of the allocator and of the OS.
EP step = free phase of exactly T Euler steps (no graph) + centered nudged phases of T steps each (no graph)
+ one backward through a single field evaluation. hEP = the same with N = 4 complex nudges on |β| = 0.1 (the
conjugate pair is computed once, so 3 nudged phases in complex arithmetic). BPTT step = backward through T Euler
steps from z = 0; BPTT+pen adds Bai's ‖J_f‖²_F penalty (one Hutchinson probe) at z*: a double backward.
"""
import argparse, json, os, subprocess, sys, time

ESTS = ("ep", "hep", "bptt", "bptt+pen")


def _rss(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key): return int(line.split()[1]) * 1024
    return 0


def child(a):
    import torch
    from cinder_lit.ep.train import make_block
    from cinder_lit.ep.estimators import EstimatorConfig, bptt_grad, ep_grad
    from cinder_lit.ep.solvers import SolverConfig, free_phase
    torch.set_num_threads(1)
    dev = torch.device(a.device)
    m = make_block(256, d_model=a.d, n_heads=4, seq_len=a.L, seed=0).to(dev)
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(0, 256, (a.B, a.L), generator=g).to(dev); y = torch.randint(0, 256, (a.B, a.L), generator=g).to(dev)
    s = SolverConfig(eps=0.5, max_steps=a.T, tol=0.0)
    if a.est in ("bptt", "bptt+pen"):
        e = EstimatorConfig(kind="bptt", bptt_steps=a.T)
        if a.est == "bptt": step = lambda: bptt_grad(m, idx, y, e, s)
        else:                          # + Bai's Jacobian penalty at z*: one more double backward (the controller's cost)
            from cinder_lit.ep.controllers import JRConfig, penalty_grads
            jr = JRConfig(); gen = torch.Generator().manual_seed(1)
            def step():
                g = bptt_grad(m, idx, y, e, s)
                with torch.no_grad(): zs, _, _ = free_phase(m, idx, s)
                return g, penalty_grads(m, idx, zs, jr, gen)
    else:                              # ep: centered, ±β (2 nudged phases); hep: holomorphic, N = 4 points on |β| = r
        e = EstimatorConfig(kind=a.est, beta=0.1, t2=a.T, n_points=4, radius=0.1)
        def step():
            zs, x, fi = free_phase(m, idx, s)
            return ep_grad(m, idx, y, e, s, zs, x, fi)
    if dev.type == "cuda":
        step(); torch.cuda.synchronize()  # warm-up (CUDA context, kernels); the caching allocator is measured exactly
        torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
        t = time.perf_counter(); step(); torch.cuda.synchronize(); dt = time.perf_counter() - t
        peak = torch.cuda.max_memory_allocated() - base
    else:
        # warm-up step (lazy init of autograd/threads), then give the freed heap back to the OS with glibc's
        # malloc_trim so that the measured step has to fault its pages in again (otherwise a second step
        # reuses resident free heap and its RSS does not grow).
        import ctypes, gc
        step(); gc.collect(); ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f: f.write("5")
        base = _rss("VmRSS:")
        t = time.perf_counter(); step(); dt = time.perf_counter() - t
        peak = _rss("VmHWM:") - base
    held, live, peak_saved = {}, [0], [0]
    class Saved:                       # what a graph holds: counted from pack until the graph drops it
        def __init__(self, t):
            self.t, self.key, n = t.detach(), t.untyped_storage().data_ptr(), t.untyped_storage().nbytes()
            c, _ = held.get(self.key, (0, n)); held[self.key] = (c + 1, n)
            if c == 0: live[0] += n; peak_saved[0] = max(peak_saved[0], live[0])
        def __del__(self):
            c, n = held[self.key]
            if c == 1: del held[self.key]; live[0] -= n
            else: held[self.key] = (c - 1, n)
    with torch.autograd.graph.saved_tensors_hooks(Saved, lambda s: s.t):
        step()
    print(json.dumps({"est": a.est, "T": a.T, "peak_mb": peak / 2**20, "saved_mb": peak_saved[0] / 2**20, "time_s": dt}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--T", default="20,50,100,200"); p.add_argument("--d", type=int, default=64)
    p.add_argument("--L", type=int, default=64); p.add_argument("--B", type=int, default=4)
    p.add_argument("--device", default="cpu"); p.add_argument("--child", action="store_true")
    p.add_argument("--est", default="ep"); p.add_argument("--T1", type=int, dest="T_one", default=0)
    a = p.parse_args()
    if a.child:
        a.T = a.T_one; return child(a)
    Ts = [int(t) for t in a.T.split(",")]
    rows = {}
    for T in Ts:
        for est in ESTS:
            cmd = [sys.executable, __file__, "--child", "--est", est, "--T1", str(T), "--d", str(a.d), "--L", str(a.L),
                   "--B", str(a.B), "--device", a.device]
            out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
            if out.returncode: print(out.stderr[-2000:]); raise SystemExit(1)
            r = json.loads(out.stdout.strip().splitlines()[-1]); rows[(est, T)] = r
            print(f"  {est:8s} T={T:4d}: peak {r['peak_mb']:8.1f} MB  saved {r['saved_mb']:8.2f} MB  time {r['time_s']:7.3f} s", flush=True)
    print(f"\nblock d={a.d} L={a.L} B={a.B} device={a.device}")
    print(f"{'T':>5} | {'EP MB':>8} {'BPTT MB':>8} {'BPTT/EP':>8} | {'EP saved':>9} {'BPTT saved':>10} {'ratio':>7} | {'EP s':>7} {'BPTT s':>7} {'BPTT/EP':>8}")
    for T in Ts:
        e, b = rows[("ep", T)], rows[("bptt", T)]
        print(f"{T:5d} | {e['peak_mb']:8.1f} {b['peak_mb']:8.1f} {b['peak_mb'] / max(e['peak_mb'], 1e-9):8.2f} | "
              f"{e['saved_mb']:9.2f} {b['saved_mb']:10.2f} {b['saved_mb'] / max(e['saved_mb'], 1e-12):7.2f} | "
              f"{e['time_s']:7.3f} {b['time_s']:7.3f} {b['time_s'] / e['time_s']:8.2f}")
    t0, t1 = Ts[0], Ts[-1]
    print(f"\n{'T':>5} | " + " | ".join(f"{e:>8} MB saved" for e in ESTS))
    for T in Ts:
        print(f"{T:5d} | " + " | ".join(f"{rows[(e, T)]['saved_mb']:17.2f}" for e in ESTS))
    print(f"{'T':>5} | " + " | ".join(f"{e:>8} s      " for e in ESTS))
    for T in Ts:
        print(f"{T:5d} | " + " | ".join(f"{rows[(e, T)]['time_s']:17.3f}" for e in ESTS))
    for e in ESTS:
        print(f"{e}: saved-bytes ratio T={t1}/T={t0} {rows[(e, t1)]['saved_mb'] / rows[(e, t0)]['saved_mb']:.3f}, "
              f"peak-RSS ratio {rows[(e, t1)]['peak_mb'] / rows[(e, t0)]['peak_mb']:.3f}")
    for key, what in (("peak_mb", "peak RSS"), ("saved_mb", "saved-tensor bytes")):
        ep_r = rows[('ep', t1)][key] / rows[('ep', t0)][key]; bp_r = rows[('bptt', t1)][key] / rows[('bptt', t0)][key]
        print(f"{what}: EP ratio T={t1}/T={t0} {ep_r:.3f} (goal <= 1.1), BPTT ratio {bp_r:.3f}")


if __name__ == "__main__":
    main()
