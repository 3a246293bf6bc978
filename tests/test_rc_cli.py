"""End-to-end checks of the `raincatcher` command: exit codes, messages, atomic outputs, malformed lines."""
import json, math, os, subprocess, sys
from pathlib import Path

import numpy as np
import pytest

BIN = Path(sys.executable).parent


def _cmd():
    exe = BIN / "raincatcher"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "import sys; from cinder_lit.rc.cli import main; sys.exit(main())"]


def _run(*args, cwd=None):
    env = dict(os.environ, CINDER_LIT_NO_PROGRESS="1")
    return subprocess.run(_cmd() + list(args), capture_output=True, text=True, timeout=300, env=env, cwd=cwd)


def _write_log(path, T=700, per=35, decay=0.995):
    "Rotating, shrinking trajectory (PLV ~ 1, lambda ~ ln decay) over a 5-cycle of tokens (sigma = 1)."
    d = np.arccos(0.4 + 0.3 * np.sin(0.9 * np.arange(T - 1)))
    ang = np.concatenate([[0.0], np.cumsum(d)])
    emb = np.stack([np.cos(ang), np.sin(ang)], 1) * (decay ** np.arange(T))[:, None]
    toks = [i % 5 for i in range(T)]
    lines = [json.dumps(dict(kind="tokens", step=s // per, time=0.0, tokens=toks[s:s + per], emb=emb[s:s + per].tolist()))
             for s in range(0, T, per)]
    path.write_text("\n".join(lines) + "\n")
    return lines


def test_good_log(tmp_path):
    _write_log(tmp_path / "tokens.ndjson")
    r = _run("--log_file", str(tmp_path / "tokens.ndjson"), "--plv_window", "64", "--plv_thresh", "0.7",
             "--device", "cpu", "--precision", "fp32", "--out_json", str(tmp_path / "rc_precise.json"),
             "--out_md", str(tmp_path / "rc_precise.md"))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "rc_precise.json").read_text())
    m = rep["metrics"]
    assert m["plv"] > 0.99 and m["sigma"] == 1.0 and abs(m["lam"] - math.log(0.995)) < 1e-4
    assert set(rep) >= {"metrics", "windows", "bands", "verdict", "inputs", "malformed"}
    # labels only from the estimators that measure them; the proxy keeps its own name and its seed band
    assert rep["verdict"]["attractor"].startswith("present") and rep["tests"]["attractor"]["p"] < 0.01
    assert rep["verdict"]["criticality"].startswith("undetermined")
    assert rep["metrics"]["lambda_proxy"] == m["lam"] and rep["bands"]["lam"]["in_band"]
    assert "## Verdict" in (tmp_path / "rc_precise.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rc_precise.json", "rc_precise.md", "tokens.ndjson"]


def test_malformed_lines_are_reported_and_skipped(tmp_path):
    lines = _write_log(tmp_path / "clean.ndjson")
    bad = list(lines)
    bad.insert(2, "{not json")                                                   # line 3
    bad.insert(4, json.dumps(dict(kind="tokens", step=1, tokens=[1.5, 2])))      # line 5
    bad.append('{"kind": "tokens", "step": 3, "tokens": [1, 2')                  # torn last line
    (tmp_path / "bad.ndjson").write_text("\n".join(bad) + "\n")
    r = _run("--log_file", str(tmp_path / "bad.ndjson"), "--out_json", str(tmp_path / "bad.json"))
    assert r.returncode == 0, r.stderr
    assert "3 malformed line(s)" in r.stderr and "line 3" in r.stderr and "line 5" in r.stderr
    rep = json.loads((tmp_path / "bad.json").read_text())
    assert [x["line"] for x in rep["malformed"]] == [3, 5, len(bad)]
    r2 = _run("--log_file", str(tmp_path / "clean.ndjson"), "--out_json", str(tmp_path / "clean.json"))
    clean = json.loads((tmp_path / "clean.json").read_text())["metrics"]
    assert all(abs(rep["metrics"][k] - clean[k]) < 1e-12 for k in ("plv", "sigma", "lam"))


@pytest.mark.parametrize("name,content,needle", [
    ("empty.ndjson", "", "is empty"),
    ("missing.ndjson", None, "no such file"),
    ("garbage.ndjson", "nope\n{{\n", "no `tokens` records"),
    ("invalid.ndjson", '{"kind": "tokens", "step": 0, "tokens": "abc"}\n', "no valid `tokens` record"),
])
def test_unusable_inputs_fail_clearly(tmp_path, name, content, needle):
    if content is not None:
        (tmp_path / name).write_text(content)
    r = _run("--log_file", str(tmp_path / name), "--out_json", str(tmp_path / "out.json"), "--out_md", str(tmp_path / "out.md"))
    assert r.returncode != 0 and needle in r.stderr, (r.returncode, r.stderr)
    assert r.stderr.strip().startswith("raincatcher:") and "Traceback" not in r.stderr
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "out.md").exists()


def test_bad_flags(tmp_path):
    _write_log(tmp_path / "t.ndjson")
    r = _run("--log_file", str(tmp_path / "t.ndjson"), "--plv_window", "3")
    assert r.returncode == 2 and "plv_window" in r.stderr


def test_blown_up_stream_reads_like_the_unscaled_one(tmp_path):
    "A phase-locked stream x1e20 (fp32 dot products overflow) reports the same PLV and verdict as unscaled."
    lines = _write_log(tmp_path / "a.ndjson")
    big = []
    for l in lines:
        r = json.loads(l); r["emb"] = (np.asarray(r["emb"]) * 1e20).tolist(); big.append(json.dumps(r))
    (tmp_path / "b.ndjson").write_text("\n".join(big) + "\n")
    reps = []
    for n in ("a", "b"):
        r = _run("--log_file", str(tmp_path / f"{n}.ndjson"), "--precision", "fp32", "--out_json", str(tmp_path / f"{n}.json"))
        assert r.returncode == 0, r.stderr
        reps.append(json.loads((tmp_path / f"{n}.json").read_text()))
    assert reps[0]["metrics"]["plv"] > 0.99
    assert abs(reps[0]["metrics"]["plv"] - reps[1]["metrics"]["plv"]) < 1e-6
    assert reps[0]["verdict"] == reps[1]["verdict"]


def test_unwritable_out_json_is_one_line(tmp_path):
    _write_log(tmp_path / "a.ndjson")
    (tmp_path / "file").write_text("x")
    r = _run("--log_file", str(tmp_path / "a.ndjson"), "--out_json", str(tmp_path / "file" / "rc.json"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot write" in r.stderr and "Traceback" not in r.stderr
