"""Copy a finished run into reports/curated/<experiment>/<run-id>/, compressing large telemetry.

    python tools/curate.py RUN_DIR [--replace] [--max-mb 1]

Refuses a run whose summary.json status is not OK. `metrics.ndjson` over --max-mb is stored as
`metrics.ndjson.gz`; an `rc/` folder of per-trial streams as `rc.tar.gz`, or, compressed over --max-rc-mb, not
kept (rc_omitted.txt says so and how big it was). With --replace, the experiment's
older curated runs of the same profile are removed (git rm them in the commit)."""
import argparse, gzip, json, shutil, sys, tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir"); p.add_argument("--replace", action="store_true"); p.add_argument("--max-mb", type=float, default=1.0)
    p.add_argument("--max-rc-mb", type=float, default=2.0)
    a = p.parse_args(argv)
    src = Path(a.run_dir).resolve()
    try:
        summ = json.loads((src / "summary.json").read_text()); rec = json.loads((src / "params.json").read_text())
    except (OSError, ValueError) as e:
        sys.exit(f"curate: {src} is not a run directory ({e})")
    if summ.get("status") != "OK": sys.exit(f"curate: {src} has status {summ.get('status')!r}, not OK")
    exp, profile = rec["experiment"], rec.get("profile", "quick")
    dest_root = ROOT / "reports" / "curated" / exp
    if a.replace and dest_root.exists():
        for old in dest_root.iterdir():
            try: op = json.loads((old / "params.json").read_text()).get("profile")
            except (OSError, ValueError): op = None
            if op == profile: shutil.rmtree(old); print(f"removed {old.relative_to(ROOT)}")
    dest = dest_root / src.name
    if dest.exists(): sys.exit(f"curate: {dest.relative_to(ROOT)} exists")
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("ckpt"))
    m = dest / "metrics.ndjson"
    if m.exists() and m.stat().st_size > a.max_mb * 2**20:
        with open(m, "rb") as f, gzip.open(str(m) + ".gz", "wb", compresslevel=9) as g: shutil.copyfileobj(f, g)
        m.unlink()
    if (dest / "rc").is_dir():
        raw = sum(f.stat().st_size for f in (dest / "rc").rglob("*") if f.is_file())
        with tarfile.open(dest / "rc.tar.gz", "w:gz") as t: t.add(dest / "rc", arcname="rc")
        shutil.rmtree(dest / "rc")
        if (dest / "rc.tar.gz").stat().st_size > a.max_rc_mb * 2**20:   # too big for git: say so, keep the pointer
            z = (dest / "rc.tar.gz").stat().st_size; (dest / "rc.tar.gz").unlink()
            (dest / "rc_omitted.txt").write_text(
                f"The per-trial RC streams of this run (rc/, {raw / 2**20:.1f} MB, {z / 2**20:.1f} MB compressed) are not "
                f"kept in git. Rerun with the run's params.json to regenerate them: the ledger reads only summary.json, "
                f"records.json and params.json.\n")
    size = sum(f.stat().st_size for f in dest.rglob("*") if f.is_file())
    print(f"curated {dest.relative_to(ROOT)} ({size / 2**20:.1f} MB)")


if __name__ == "__main__":
    main()
