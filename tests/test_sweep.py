"""`cinder-lit sweep` with real worker processes, on a journal file and on a real PostgreSQL server started here:
a 2 x 5 grid (lr x seeds) of the `hello` experiment at a tiny scale, 3 workers; one worker is SIGKILLed in the
middle of a trial and its cell must be finished by another worker with the same seed; then every process of the
sweep is SIGKILLed mid-sweep and the same command, run again, must finish the rest. Ground truth is the study
itself (COMPLETE trials per cell) and the run directories on disk (params.json / summary.json of each run)."""
import json, os, pwd, shutil, signal, socket, subprocess, sys, tempfile, time
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")
from optuna.trial import TrialState  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STUDY = "t"
LRS, SEEDS = [0.001, 0.003], [0, 1, 2, 3, 4]
# a tiny model and a few steps: a cell is dominated by starting the template's kernel
TINY = ["-p", "steps", "2", "-p", "seq_len", "16", "-p", "d_model", "8", "-p", "batch_size", "2",
        "-p", "max_train_tokens", "2000", "-p", "max_val_tokens", "500"]
HANG_GUARD_S = 1200   # only so that a broken sweep cannot hang the suite; no speed is asserted


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url():
    "A throw-away PostgreSQL: the system's binaries (as user postgres when we are root), else pgserver, else skip."
    initdb = shutil.which("initdb") or ("/usr/local/bin/initdb" if os.path.exists("/usr/local/bin/initdb") else None)
    pg_ctl = shutil.which("pg_ctl") or ("/usr/local/bin/pg_ctl" if os.path.exists("/usr/local/bin/pg_ctl") else None)
    if not (initdb and pg_ctl):
        try: import pgserver
        except ImportError:
            pytest.skip("no PostgreSQL here: neither initdb/pg_ctl on PATH (or /usr/local/bin) nor the pgserver package")
        d = tempfile.mkdtemp(prefix="cinder_lit-pg-")
        srv = pgserver.get_server(d, cleanup_mode="stop")
        try: yield srv.get_uri()
        finally:
            srv.cleanup(); shutil.rmtree(d, ignore_errors=True)
        return
    d = tempfile.mkdtemp(prefix="cinder_lit-pg-")
    as_pg = []
    if os.geteuid() == 0:   # postgres refuses to run as root
        pw = pwd.getpwnam("postgres")
        os.chown(d, pw.pw_uid, pw.pw_gid)
        as_pg = ["runuser", "-u", "postgres", "--"]
    port, data = _free_port(), os.path.join(d, "data")
    try:
        subprocess.run(as_pg + [initdb, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"], check=True,
                       capture_output=True, timeout=300)
        subprocess.run(as_pg + [pg_ctl, "-D", data, "-l", os.path.join(d, "log"), "-w", "-t", "120",
                                "-o", f"-k {d} -p {port} -h 127.0.0.1 -F", "start"], check=True, capture_output=True, timeout=300)
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_pg + [pg_ctl, "-D", data, "-m", "fast", "-w", "stop"], capture_output=True, timeout=300)
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="cinder_lit-sweep-")
    try: yield Path(d)
    finally: shutil.rmtree(d, ignore_errors=True)


def _env(workdir: Path) -> dict:
    return dict(os.environ, CINDER_LIT_REPORTS=str(workdir / "reports"), CINDER_LIT_NO_PROGRESS="1", MPLBACKEND="Agg",
                OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _cmd(storage_args):
    return [str(BIN / "cinder-lit"), "sweep", "hello", "--profile", "quick", "--seeds", str(len(SEEDS)),
            "-p", "lr", json.dumps(LRS), *TINY, "--workers", "3", "--study", STUDY, "--heartbeat", "2", "--grace", "10",
            "--no-progress", *storage_args]


def _open_study(kind, workdir, url):
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    if kind == "journal":
        path = workdir / "reports" / "hello" / "sweeps" / f"{STUDY}.journal"
        return optuna.load_study(study_name=STUDY, storage=JournalStorage(JournalFileBackend(str(path))))
    return optuna.load_study(study_name=STUDY, storage=url.replace("postgresql://", "postgresql+psycopg://", 1))


def _cell(t):
    return (json.loads(t.params["lr"]), t.params["seed"])


def _wait(pred, what):
    t0 = time.time()
    while True:
        v = pred()
        if v: return v
        if time.time() - t0 > HANG_GUARD_S: raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.5)


def _trials(kind, workdir, url):
    try: return _open_study(kind, workdir, url).get_trials(deepcopy=False)
    except (KeyError, FileNotFoundError, ValueError):   # the sweep has not created its study yet
        return []


def _kill_group(pid):
    try: os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError: pass


@pytest.mark.parametrize("kind", ["journal", "postgresql"])
def test_sweep_many_workers_kill_and_resume(kind, workdir, request):
    url = request.getfixturevalue("postgres_url") if kind == "postgresql" else None
    storage_args = ["--storage", url] if url else []     # journal: the default file reports/hello/sweeps/t.journal
    env, cmd = _env(workdir), _cmd(storage_args)
    log = open(workdir / "sweep1.out", "w+")
    t0 = time.time()
    parent = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir)
    pids = []
    try:
        # the parent prints its workers' pids; each worker leads its own process group (its kernel goes with it)
        def worker_pids():
            log.seek(0); txt = log.read()
            got = [int(l.rsplit("pid", 1)[1]) for l in txt.splitlines() if l.strip().startswith("worker ") and ": pid " in l]
            return got if len(got) == 3 else None
        pids = _wait(worker_pids, "three workers")
        # 1) SIGKILL one worker in the middle of its trial (its run has started: the trial knows the run directory)
        running = _wait(lambda: [t for t in _trials(kind, workdir, url) if t.state == TrialState.RUNNING
                                 and t.user_attrs.get("worker_pid") in pids
                                 and list((workdir / "reports" / "hello" / "sweeps" / STUDY).glob(f"c*-t{t.number:04d}"))],
                        "a running trial")
        victim = running[0]
        time.sleep(2.0)            # let its kernel start: the kill lands inside the papermill run
        _kill_group(victim.user_attrs["worker_pid"])
        killed_cell, killed_pid = _cell(victim), victim.user_attrs["worker_pid"]
        # another worker must take the lost cell (heartbeat stale -> FAIL -> retried with the same params) and finish it
        def finished_by_other():
            ts = _trials(kind, workdir, url)
            return [t for t in ts if t.state == TrialState.COMPLETE and _cell(t) == killed_cell
                    and t.user_attrs.get("worker_pid") != killed_pid]
        rescued = _wait(finished_by_other, "the killed worker's cell to be finished by another worker")
        assert rescued[0].params["seed"] == killed_cell[1]
        lost = [t for t in _trials(kind, workdir, url) if t.number == victim.number][0]
        assert lost.state == TrialState.FAIL, lost.state
        # 2) mid-sweep, SIGKILL everything: the parent and every worker (with their kernels)
        done_before = len({_cell(t) for t in _trials(kind, workdir, url) if t.state == TrialState.COMPLETE})
        assert done_before < len(LRS) * len(SEEDS), "the sweep finished before it could be killed mid-way"
        _kill_group(parent.pid)
        for p in pids: _kill_group(p)
        parent.wait()
        t1 = time.time()
        # 3) the same command again finishes the rest
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir, timeout=HANG_GUARD_S)
        t2 = time.time()
        assert r.returncode == 0, r.stdout + r.stderr
        assert "cells: 10/10 done, 0 duplicated" in r.stdout, r.stdout
    finally:
        _kill_group(parent.pid)
        for p in pids: _kill_group(p)
        log.close()
    trials = _trials(kind, workdir, url)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    grid = {(lr, s) for lr in LRS for s in SEEDS}
    cells = [_cell(t) for t in complete]
    assert sorted(cells) == sorted(grid), "every cell exactly once (0 lost, 0 duplicated)"
    # the run directories agree: one finished run per cell, its params the cell's (seed included)
    runs = {}
    for d in sorted((workdir / "reports" / "hello" / "sweeps" / STUDY).glob("c*")):
        if not (d / "summary.json").exists():            # SIGKILL between mkdir and the first write: a bare dir,
            assert not list(d.iterdir()) or not (d / "records.json").exists(), d   # never a finished run
            continue
        summ = json.loads((d / "summary.json").read_text())
        if summ.get("status") != "OK": continue          # the killed runs: never finished
        p = json.loads((d / "params.json").read_text())["params"]
        runs.setdefault((p["lr"], p["seeds"][0]), []).append(d)
        assert p["seeds"] == [p["seeds"][0]] and p["steps"] == 2
    assert sorted(runs) == sorted(grid) and all(len(v) == 1 for v in runs.values()), runs
    assert {Path(t.user_attrs["run_dir"]) for t in complete} == {v[0] for v in runs.values()}
    assert any(t.state == TrialState.FAIL for t in trials)          # the lost trials are on record, not silently dropped
    # headline numbers and records travel with the trial; the sweep wrote its summary with the pooled verdicts
    assert all("val_bpb" in t.user_attrs["headline"] and t.user_attrs["records"] for t in complete)
    sj = json.loads((workdir / "reports" / "hello" / "sweeps" / STUDY / "sweep.json").read_text())
    assert sj["done"] == 10 and sj["duplicated"] == 0 and [v["seeds"] for v in sj["verdicts"]] == [SEEDS, SEEDS]
    print(f"\n[{kind}] cells {len(grid)}, complete {len(complete)}, lost {len(grid - set(cells))}, "
          f"duplicated {len(cells) - len(set(cells))}, trials {len(trials)} "
          f"({sum(t.state == TrialState.FAIL for t in trials)} failed/lost, {sum(t.state == TrialState.PRUNED for t in trials)} skipped); "
          f"done before kill-all {done_before}; phase 1 {t1 - t0:.0f} s, resume {t2 - t1:.0f} s, total {t2 - t0:.0f} s")


def test_sweep_bad_storage_and_grid_mismatch(workdir):
    env = _env(workdir)
    base = [str(BIN / "cinder-lit"), "sweep", "hello", "--profile", "quick", "--seeds", "2", "--workers", "0", "--no-progress"]
    for extra, needle in [(["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot open it"),
                          (["--storage", "ftp://x/y"], "unsupported scheme"), (["-p", "lr", "[0.1, -2]"], "lr")]:
        r = subprocess.run(base + extra, env=env, capture_output=True, text=True, timeout=300)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr
    # --workers 0 only creates the study and reports; the same study name with another grid is refused
    r = subprocess.run(base + ["--study", "s", *TINY], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "cells: 0/2 done" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(base + ["--study", "s", "-p", "lr", "[0.1, 0.2]"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "holds another grid" in r.stderr, r.stderr
