"""End-to-end checks of the `cinder-lit` runner: bad parameters, failing runs, SIGKILL safety."""
import json, os, signal, subprocess, sys, time
from pathlib import Path

import nbformat
import pytest


def _run(args, env, timeout=300, **kw):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout, **kw)


@pytest.mark.parametrize("args,needle", [
    (["-p", "no_such_param", "1"], "no_such_param"),
    (["-p", "steps", "-5"], "steps"),
    (["-p", "steps", "lots"], "steps"),
    (["-p", "tokenizer", "gpt2"], "tokenizer"),
])
def test_bad_parameters_fail_fast(cli, env, args, needle, tmp_path):
    t0 = time.time()
    r = _run([cli("cinder-lit"), "run", "hello", *args], env)
    assert r.returncode != 0
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert not (tmp_path / "reports").exists()  # nothing ran, nothing was written


def test_unknown_experiment_and_profile(cli, env):
    r = _run([cli("cinder-lit"), "run", "no_such_experiment"], env)
    assert r.returncode != 0 and "unknown experiment" in r.stderr
    r = _run([cli("cinder-lit"), "run", "hello", "--profile", "huge"], env)
    assert r.returncode != 0 and "unknown profile" in r.stderr


def test_list_and_reports(cli, env):
    r = _run([cli("cinder-lit"), "list"], env)
    assert r.returncode == 0 and "hello" in r.stdout
    r = _run([cli("cinder-lit"), "reports"], env)
    assert r.returncode == 0


def _write_template(d: Path, name: str, body: str):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    p = nbformat.v4.new_code_cell('out_dir: str = ""\nsteps: int = 3'); p.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}\nA test template."), p, nbformat.v4.new_code_cell(body)]
    d.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, d / f"{name}.ipynb")


def test_failing_run_leaves_notebook_and_exits_nonzero(cli, env, tmp_path):
    exps = tmp_path / "exps"
    _write_template(exps, "boom", "from cinder_lit.core import start_run\nrun = start_run('boom', out_dir)\n"
                                  "raise ZeroDivisionError('kaboom at step 2')")
    env = dict(env, CINDER_LIT_EXPERIMENTS=str(exps))
    out = tmp_path / "run"
    r = _run([cli("cinder-lit"), "run", "boom", "--out", str(out), "--no-progress"], env)
    assert r.returncode != 0
    assert "kaboom" in r.stderr and str(out / "report.ipynb") in r.stderr
    nb = nbformat.read(out / "report.ipynb", as_version=4)
    assert any(o.get("ename") == "ZeroDivisionError" for c in nb.cells for o in c.get("outputs", []))
    assert json.loads((out / "summary.json").read_text())["status"].startswith("FAILED: ZeroDivisionError")


def _check_artifacts(run_dir: Path):
    "Every JSON artifact parses; every NDJSON line is a complete record."
    n = 0
    for p in run_dir.rglob("*"):
        if p.suffix in (".json", ".ipynb"):
            json.loads(p.read_text()); n += 1
        elif p.suffix == ".ndjson":
            for line in p.read_text().splitlines():
                json.loads(line); n += 1
    return n


def test_sigkill_mid_run_leaves_no_truncated_files(cli, env, tmp_path):
    out = tmp_path / "killed"
    # many steps, so the kill lands in the middle of training (the heartbeat/metrics stream is live)
    p = subprocess.Popen([cli("cinder-lit"), "run", "hello", "-p", "steps", "100000", "-p", "seq_len", "32",
                          "--out", str(out), "--no-progress"], env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.time() + 240
        while time.time() < deadline:
            m = out / "metrics.ndjson"
            if m.exists() and m.read_text().count("\n") >= 5:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the run never started writing metrics")
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # the runner and its kernel, mid-write
        p.wait()
    time.sleep(0.5)
    assert _check_artifacts(out) >= 7
    assert not list(out.rglob("*.tmp"))  or all(p.name.startswith(".") for p in out.rglob("*.tmp"))
    s = json.loads((out / "summary.json").read_text())
    assert s["status"] == "RUNNING"  # it was killed: the last complete summary says so
