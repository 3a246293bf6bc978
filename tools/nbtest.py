#!/usr/bin/env python
"""Run every notebook's tests, each in its own process group with a wall-clock limit: a notebook that hangs
(a cell stuck past its timeout, a pool that outlives a cancelled cell) is killed and reported as a failure, so
CI fails fast instead of hanging. Prints one timing line per notebook, slowest first.

    python tools/nbtest.py [--workers 2] [--timeout 600] [--flags slow] [PATH ...]
"""
import argparse, json, os, signal, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebooks(paths):
    "Notebooks nbdev-test would take: no `_`/`.` names, no folder holding `.notest`, no `skip_exec` front matter."
    out = []
    for p in paths:
        p = Path(p)
        files = [p] if p.suffix == ".ipynb" else sorted(p.rglob("*.ipynb"))
        for f in files:
            rel = f.relative_to(p) if p.is_dir() else Path(f.name)
            if any(part.startswith(("_", ".")) for part in rel.parts): continue
            if any((d / ".notest").exists() for d in [f.parent, *f.parent.parents] if p.is_dir() and d.is_relative_to(p)): continue
            if ".ipynb_checkpoints" in f.parts: continue
            try:
                first = json.loads(f.read_text())["cells"][0]
                if first["cell_type"] == "raw" and "skip_exec: true" in "".join(first["source"]): continue
            except (ValueError, KeyError, IndexError): pass
            out.append(f)
    return out


def run_one(nb: Path, timeout: float, flags: str, cell_timeout: int):
    exe = Path(sys.executable).parent / "nbdev-test"
    cmd = [str(exe), str(nb), "--cell-timeout", str(cell_timeout)] + (["--flags", flags] if flags else [])
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        ok = p.returncode == 0 and "Success" in out
        why = "" if ok else out[-3000:]
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)      # the notebook's whole process group: workers, pools, kernels
        p.communicate()
        ok, why = False, f"killed after {timeout:.0f} s (wall-clock limit per notebook)"
    return nb, ok, time.time() - t0, why


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(ROOT / "nbs")])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=600, help="wall-clock seconds per notebook before it is killed")
    ap.add_argument("--cell-timeout", type=int, default=600)
    ap.add_argument("--flags", default="")
    a = ap.parse_args(argv)
    nbs = notebooks(a.paths)
    if not nbs:
        print("nbtest: no notebooks found", file=sys.stderr); return 2
    t0 = time.time(); results = []
    with ThreadPoolExecutor(a.workers) as ex:
        for nb, ok, dt, why in ex.map(lambda n: run_one(n, a.timeout, a.flags, a.cell_timeout), nbs):
            results.append((nb, ok, dt, why))
            print(f"{'ok  ' if ok else 'FAIL'} {dt:7.1f} s  {nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb}", flush=True)
    bad = [r for r in results if not r[1]]
    print(f"\nnbtest: {len(results) - len(bad)}/{len(results)} notebooks passed in {time.time() - t0:.0f} s; slowest:")
    for nb, ok, dt, _ in sorted(results, key=lambda r: -r[2])[:5]: print(f"  {dt:7.1f} s  {nb.name}")
    for nb, ok, dt, why in bad:
        print(f"\n=== FAILED {nb}\n{why}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
