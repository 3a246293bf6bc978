"""cfe-study as separate processes: the acceptance command, SIGKILL + --resume, a forced divergence, and two
workers on one journal storage. Small shapes; each study takes a few seconds on one CPU thread."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--device", "cpu", "--seq_len", "32", "--batch_size", "2", "--steps_per_epoch", "3",
        "--d_model", "16", "--n_layers", "1", "--n_heads", "2", "--chunk", "16", "--plv_window", "8",
        "--task", "classify"]


def _env():
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1", CINDER_LIT_NO_PROGRESS="1", MPLBACKEND="Agg")
    return env


def _cmd(*args):
    return [sys.executable, "-c", "import sys; from cinder_lit.nas.study import main; sys.exit(main(sys.argv[1:]))",
            *map(str, args)]


def _cfe(*args, check=True):
    p = subprocess.run(_cmd(*args), env=_env(), capture_output=True, text=True, cwd=ROOT)
    if check and p.returncode != 0:
        raise AssertionError(f"cfe-study {args} -> {p.returncode}\n{p.stderr[-3000:]}")
    return p


def _study(study_dir):
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    name = json.loads((study_dir / "study.json").read_text())["study_name"]
    return optuna.load_study(study_name=name, storage=JournalStorage(JournalFileBackend(str(study_dir / "study.log"))))


def _counted(study):
    from cinder_lit.nas.study import _counts
    return [t for t in study.trials if _counts(t)]


ARTIFACTS = ("tokens.ndjson", "heartbeat.ndjson", "summary.json", "rc_precise.json", "rc_precise.md")


def test_acceptance_command(tmp_path):
    "The issue's command (with --out and a small batch) finishes, writes every artifact; raincatcher reads it."
    p = _cfe("--trials", 3, "--epochs", 1, "--device", "cpu", "--seq_len", 128, "--unit_type", "mhla_rope",
             "--rc_mode", "auto", "--batch_size", 2, "--steps_per_epoch", 10, "--d_model", 16, "--n_layers", 1,
             "--plv_window", 8, "--out", tmp_path)
    summ = json.loads(p.stdout)          # stdout is pure JSON: nothing else on it
    assert summ["finished"] == 3 and summ["complete"] == 3
    sd = Path(summ["study_dir"])
    assert sd.parent == tmp_path and sd.name.startswith("study_")
    for n in range(3):
        for f in ARTIFACTS:
            assert (sd / f"t{n:03d}" / f).exists(), (n, f)
    recs = [json.loads(l) for l in (sd / "t000" / "tokens.ndjson").read_text().splitlines()]
    assert len(recs) == 10 and all(r["kind"] == "tokens" and len(r["emb"]) == 16 for r in recs)
    try:
        from cinder_lit.rc.cli import main as rc_main
    except ImportError:
        pytest.skip("cinder_lit.rc not merged yet: raincatcher CLI not available")
    out = tmp_path / "rc.json"
    assert rc_main(["--log_file", str(sd / "t000" / "tokens.ndjson"), "--plv_window", "8", "--plv_thresh", "0.7",
                    "--device", "cpu", "--precision", "fp32", "--out_json", str(out), "--out_md", str(tmp_path / "rc.md")]) == 0
    assert out.exists()


def test_sigkill_then_resume(tmp_path):
    "Kill the study mid-trial with SIGKILL; --resume ends with exactly the asked number of finished trials."
    args = [*TINY, "--trials", 4, "--epochs", 4, "--out", tmp_path, "--study-name", "k"]
    proc = subprocess.Popen(_cmd(*args), env=_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sd = tmp_path / "study_k"
    deadline = time.time() + 300
    try:
        while time.time() < deadline:   # wait until one trial is done and the next is running
            if (sd / "t001" / "tokens.ndjson").exists() and (sd / "t000" / "summary.json").exists():
                s0 = json.loads((sd / "t000" / "summary.json").read_text())
                if s0.get("status") != "RUNNING":
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the study never reached its second trial")
    finally:
        os.kill(proc.pid, signal.SIGKILL); proc.wait()
    from optuna.trial import TrialState
    st = _study(sd)
    assert any(t.state == TrialState.RUNNING for t in st.trials)   # the killed trial is left dangling
    _cfe(*args, "--resume")
    st = _study(sd)
    counted = _counted(st)
    assert len(counted) == 4, [(t.number, t.state.name, t.user_attrs) for t in st.trials]
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in counted)
    interrupted = [t for t in st.trials if t.user_attrs.get("interrupted")]
    assert len(interrupted) == 1 and interrupted[0].state == TrialState.FAIL
    # the interrupted configuration was retried, on the same seed
    retry = [t for t in st.trials if t.user_attrs.get("retry_of") == interrupted[0].number]
    assert retry and retry[0].user_attrs["seed"] == interrupted[0].user_attrs["seed"] == interrupted[0].number
    assert retry[0].number != interrupted[0].number and retry[0].params == interrupted[0].params
    assert not any(t.state == TrialState.RUNNING for t in st.trials)
    # resuming a finished study runs nothing more
    _cfe(*args, "--resume")
    assert len(_study(sd).trials) == len(st.trials)


def test_forced_divergence_recorded_and_pruning(tmp_path):
    "Trial 0 diverges (FAIL with its reason), 1 and 2 complete, 3 reports a hopeless value and is pruned."
    p = _cfe(*TINY, "--trials", 4, "--epochs", 2, "--out", tmp_path, "--study-name", "d", "--inject", "nan@0,prune@3")
    summ = json.loads(p.stdout.strip().splitlines()[-1])
    assert summ["finished"] == 4 and summ["failed"] == 1 and summ["complete"] == 2 and summ["pruned"] == 1
    assert json.loads((tmp_path / "study_d" / "t003" / "summary.json").read_text())["status"] == "PRUNED"
    # --resume without a name continues the latest study: already complete, so nothing more runs
    p = _cfe(*TINY, "--trials", 4, "--out", tmp_path, "--resume")
    assert json.loads(p.stdout.strip().splitlines()[-1])["study_name"] == "d"
    assert len(_study(tmp_path / "study_d").trials) == 4
    st = _study(tmp_path / "study_d")
    t0 = st.trials[0]
    assert t0.state.name == "FAIL" and "loss is nan" in t0.user_attrs["fail_reason"]
    s = json.loads((tmp_path / "study_d" / "t000" / "summary.json").read_text())
    assert s["status"].startswith("ABORTED @ step 1")


def test_no_trial_succeeded_exits_nonzero(tmp_path):
    "Every trial fails: exit status 1, the reason on stderr, and stdout still exactly one JSON object."
    p = _cfe(*TINY, "--trials", 2, "--out", tmp_path, "--study-name", "f", "--inject", "nan@0,crash@1", check=False)
    assert p.returncode == 1, p.stderr[-2000:]
    summ = json.loads(p.stdout)
    assert summ["complete"] == 0 and summ["failed"] == 2
    assert "no trial succeeded" in p.stderr


def test_two_workers_one_journal(tmp_path):
    "Two processes on one journal file finish N trials between them: none lost, none duplicated."
    N = 5
    args = [*TINY, "--trials", N, "--epochs", 2, "--out", tmp_path, "--study-name", "w", "--resume"]
    procs = [subprocess.Popen(_cmd(*args, "--worker-id", i), env=_env(), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(2)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    st = _study(tmp_path / "study_w")
    counted = _counted(st)
    assert len(counted) == N
    nums = [t.number for t in st.trials]
    assert len(nums) == len(set(nums))
    for t in counted:
        for f in ARTIFACTS:
            assert (tmp_path / "study_w" / f"t{t.number:03d}" / f).exists()
    pids = {t.user_attrs["pid"] for t in counted}
    assert len(pids) == 2, "both workers should have finished trials"
