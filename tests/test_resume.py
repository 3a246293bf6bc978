"""Kill-and-resume through the real runner: `cinder-lit run hello --ckpt-every N`, SIGKILLed (runner and kernel) after
a checkpoint of its second arm, then `cinder-lit run hello --resume RUN_DIR`, ends with bit-identical weights, records
and headline numbers to an uninterrupted run with the same seeds (CPU). The first arm had finished before the kill:
its checkpoint says so and it is not trained again."""
import json, os, signal, subprocess, time
from pathlib import Path

import pytest
import torch

ARGS = ["-p", "seeds", "[0, 1]", "-p", "steps", "60", "-p", "device", "cpu", "--ckpt-every", "10", "--no-progress"]
CKPTS = ["arm=tinylm_seed=0.pt", "arm=tinylm_seed=1.pt"]


def _events(run_dir: Path) -> list[dict]:
    p = run_dir / "metrics.ndjson"
    if not p.exists(): return []
    out = []
    for line in p.read_text().splitlines():
        try: r = json.loads(line)
        except ValueError: continue        # a line being written
        if r.get("kind") == "event": out.append(r)
    return out


def _descendants(pid: int) -> list[int]:
    "Every process below `pid` (read from /proc): the kernel runs in its own session, so killpg does not reach it."
    kids = {}
    for st in Path("/proc").glob("[0-9]*/stat"):
        try: kids.setdefault(int(st.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(st.parent.name))
        except (OSError, ValueError, IndexError): continue
    out, todo = [], [pid]
    while todo:
        for c in kids.get(todo.pop(), []): out.append(c); todo.append(c)
    return out


def _weights(run_dir: Path, name: str) -> dict:
    return torch.load(run_dir / "ckpt" / name, weights_only=True)


def test_kill_and_resume_is_bit_identical(cli, env, tmp_path):
    a, b = tmp_path / "straight", tmp_path / "killed"
    r = subprocess.run([cli("cinder-lit"), "run", "hello", *ARGS, "--out", str(a)], env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]

    p = subprocess.Popen([cli("cinder-lit"), "run", "hello", *ARGS, "--out", str(b)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    killed_after = None
    try:
        deadline = time.time() + 600
        while time.time() < deadline and p.poll() is None:
            ck = [e for e in _events(b) if e.get("event") == "checkpoint" and "seed=1" in e.get("msg", "") and e["step"] >= 19]
            if ck:
                procs = _descendants(p.pid)
                os.killpg(p.pid, signal.SIGKILL)          # runner and kernel together, at once
                for c in procs:
                    try: os.kill(c, signal.SIGKILL)
                    except ProcessLookupError: pass
                killed_after = ck[0]["step"]; break
            time.sleep(0.01)
    finally:
        if p.poll() is None:
            try: os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError: pass
        p.wait()
    assert killed_after is not None, "the run ended before a checkpoint of its second arm could be killed"
    mid = _weights(b, CKPTS[1])
    assert "finished" not in mid and 19 <= mid["step"] < 59, mid["step"]      # killed mid-way through arm 2
    assert "finished" in _weights(b, CKPTS[0])                               # arm 1 had finished
    assert json.loads((b / "summary.json").read_text())["status"] == "RUNNING"
    assert not any(_weights(a, c)["model"]["embed.weight"].equal(mid["model"]["embed.weight"]) for c in CKPTS[1:])

    r = subprocess.run([cli("cinder-lit"), "run", "hello", "--resume", str(b), "--no-progress"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    import tempfile
    assert not list(Path(tempfile.gettempdir()).glob(f"cl-ipc-{p.pid}-*"))   # the killed runner's socket folder is gone
    for c in CKPTS:
        wa, wb = _weights(a, c), _weights(b, c)
        assert wa["step"] == wb["step"] == 59
        assert wa["model"].keys() == wb["model"].keys()
        assert all(torch.equal(wa["model"][k], wb["model"][k]) for k in wa["model"]), c      # bit-identical
    ra, rb = json.loads((a / "records.json").read_text()), json.loads((b / "records.json").read_text())
    assert ra == rb
    sa, sb = json.loads((a / "summary.json").read_text()), json.loads((b / "summary.json").read_text())
    assert sb["status"] == "OK" and sa["val_bpb"] == sb["val_bpb"] and sa["final_train_loss"] == sb["final_train_loss"]
    ev = _events(b)
    resumes = [e for e in ev if e.get("event") == "resume"]
    assert any("not retrained" in e["msg"] and e["step"] == 59 for e in resumes)            # arm 1 skipped
    assert any(e["step"] == mid["step"] and "not retrained" not in e["msg"] for e in resumes)  # arm 2 continued
    # the run options are recorded, outside the config identity
    pa, pb = json.loads((a / "params.json").read_text()), json.loads((b / "params.json").read_text())
    assert pa["params"] == pb["params"] and "ckpt_every" not in pa["params"]
    assert pa["run_options"] == {"ckpt_every": 10, "resume": False}
    assert pb["run_options"] == {"ckpt_every": 10, "resume": True, "resumes": 1}
    assert sb["run_options"]["resume"] is True


@pytest.mark.parametrize("args,needle", [
    (["--ckpt-every", "-3"], "--ckpt-every"),
    (["--resume", "/nonexistent/run"], "not a run directory"),
])
def test_bad_resume_options(cli, env, tmp_path, args, needle):
    r = subprocess.run([cli("cinder-lit"), "run", "hello", *args], env=env, capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and needle in lines[0], r.stderr
    assert not (tmp_path / "reports").exists()


def test_resume_refuses_a_changed_config(cli, env, tmp_path):
    d = tmp_path / "rec"; d.mkdir()
    (d / "params.json").write_text(json.dumps({"experiment": "hello", "profile": "quick", "params": {"steps": 5}}))
    r = subprocess.run([cli("cinder-lit"), "run", "hello", "--resume", str(d), "-p", "steps", "6"], env=env,
                       capture_output=True, text=True, timeout=120)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "'steps'" in lines[0] and "differs" in lines[0], r.stderr
    assert sorted(x.name for x in d.iterdir()) == ["params.json"]
