"""Inputs that can't hurt a run: every bad value gives ONE line naming the field (or file) and a non-zero exit, before
any kernel starts and without writing a run directory.

Four groups:
- every experiment spec through the real CLI code path (`cinder_lit.runner.main`, in process, with papermill made to
  fail loudly if it were ever reached): NaN / Inf in a float field, below-the-bound in an int field, an empty list;
- the subsystems' model/train/study configs directly (the values the issue found accepted, and a NaN per config);
- names and paths (study names, experiment names, run ids, data files: missing, corrupt shards, empty files);
- a few through a real `cinder-lit` / `cfe-study` process (exit 2, one line on stderr, nothing written)."""
import dataclasses, json, math, os, stat, subprocess, sys, typing
from pathlib import Path

import numpy as np
import pytest

from cinder_lit import runner
from cinder_lit.core import ConfigError, make_run_dir, seed_everything, valid_name
from cinder_lit.spec import load_specs

SPECS = load_specs()


def _spec_cases():
    "(experiment, field, bad raw value) for every spec: a NaN and an Inf float, an int below its bound, an empty list."
    out = []
    for name, sp in sorted(SPECS.items()):
        hints = typing.get_type_hints(sp.config)
        fl = [f for f in sp.fields() if hints[f.name] is float]
        it = [f for f in sp.fields() if hints[f.name] is int and (f.metadata or {}).get("lo") is not None]
        ls = [f for f in sp.fields() if typing.get_origin(hints[f.name]) in (list, tuple)]
        if fl: out += [(name, fl[0].name, "nan"), (name, fl[-1].name, "inf")]
        if it: out.append((name, it[0].name, str(it[0].metadata["lo"] - 1)))
        if ls: out.append((name, ls[0].name, "[]"))
    return out


@pytest.fixture
def no_kernel(monkeypatch, tmp_path):
    "Reports go to tmp_path/reports; starting papermill at all fails the test."
    import papermill
    monkeypatch.setenv("CINDER_LIT_REPORTS", str(tmp_path / "reports"))
    def _boom(*a, **k): raise AssertionError("a kernel was started for a bad input")
    monkeypatch.setattr(papermill, "execute_notebook", _boom)
    return tmp_path


def _main_one_line(capsys, argv, needle):
    code = runner.main(argv)
    out, err = capsys.readouterr()
    lines = [l for l in err.splitlines() if l.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and needle in lines[0], err
    return lines[0]


@pytest.mark.parametrize("exp,field,raw", _spec_cases(), ids=lambda x: str(x))
def test_spec_field(capsys, no_kernel, exp, field, raw):
    _main_one_line(capsys, ["run", exp, "-p", field, raw, "--out", str(no_kernel / "out")], field)
    assert not (no_kernel / "out").exists() and not (no_kernel / "reports").exists()


# the values the issue found accepted, through the CLI where they are experiment parameters
@pytest.mark.parametrize("exp,field,raw", [
    ("hello", "lr", "nan"), ("hello", "lr", "-0.5"), ("hello", "seeds", "[-1]"), ("hello", "seeds", "[0, nan]"),
    ("hello", "max_train_tokens", "-5"), ("hello", "steps", "1e400"), ("hello", "d_model", "63"),
    ("crawler_shape", "mlp_mult", "1e-9"), ("crawler_shape", "max_train_tokens", "-5"),
    ("crawler_shape", "n_kv_heads", "3"), ("crawler_shape", "eval_stride", "7"),
    ("ep_lr_overlay", "eps", "nan"), ("nas_recall", "lengths", "[5]"), ("cms_rules", "rules", "[nope]"),
    ("cms_levels", "lr", "inf"), ("rc_calibration", "snrs", "[nan]"),
    # issue #15: a test set equal to the validation set, < 1000 evaluation examples, a length Cerebros cannot be matched at
    ("nas_stability", "test_seed", "0"), ("nas_gentle_hard", "eval_examples", "999"), ("nas_recall", "lengths", "[32, 256]"),
])
def test_issue_values_through_cli(capsys, no_kernel, exp, field, raw):
    _main_one_line(capsys, ["run", exp, "-p", field, raw], field)
    assert not (no_kernel / "reports").exists()


@pytest.mark.parametrize("argv,needle", [
    (["run", "hello", "-p", "no_such", "1"], "no_such"),
    (["run", "hello", "-p", "out_dir", "/tmp"], "out_dir"),
    (["run", "hello", "--profile", "huge"], "huge"),
    (["run", "hello", "--ckpt-every", "-1"], "--ckpt-every"),
    (["run", "hello", "--resume", "/no/such/run"], "--resume"),
    (["run", "no_such_experiment"], "no_such_experiment"),
    (["run", "hello", "-p", "steps", "1", "-p", "steps", "2"], "steps"),
    (["run", "crawler_shape", "-p", "data", "/no/such/file.txt"], "data"),
    (["run", "ep_estimator_ablation", "-p", "ckpt", "/no/such/ckpt.pt"], "ckpt"),
])
def test_cli_parameters(capsys, no_kernel, argv, needle):
    _main_one_line(capsys, argv, needle)
    assert not (no_kernel / "reports").exists()


# ---- subsystem configs directly: one line naming the field
def _cfgs():
    from cinder_lit.train import TrainConfig
    from cinder_lit.crawler.model import CrawlerConfig
    from cinder_lit.crawler.quant import QuantConfig
    from cinder_lit.crawler.eval import SlotConfig
    from cinder_lit.crawler.arms import RunSettings
    from cinder_lit.ep.block import BlockConfig
    from cinder_lit.ep.estimators import EstimatorConfig
    from cinder_lit.ep.solvers import SolverConfig
    from cinder_lit.ep.controllers import JRConfig
    from cinder_lit.nas.study import StudyConfig
    from cinder_lit.nas.models import ModelConfig, RCConfig
    from cinder_lit.nas.units import UnitConfig
    from cinder_lit.nas.cerebros import CerebrosSpace
    from cinder_lit.cms.model import CMSConfig
    return [
        (TrainConfig, "betas", (2, -1)), (TrainConfig, "betas", (0.9, float("nan"))), (TrainConfig, "betas", (0.9,)),
        (TrainConfig, "lr", float("nan")), (TrainConfig, "seed", -1), (TrainConfig, "heartbeat_s", float("inf")),
        (TrainConfig, "device", "gpu"), (TrainConfig, "warmdown_frac", 1.5), (TrainConfig, "max_loss", float("nan")),
        (CrawlerConfig, "mlp_mult", 1e-9), (CrawlerConfig, "rope_base", float("nan")), (CrawlerConfig, "d_model", 0),
        (QuantConfig, "bits", 1), (SlotConfig, next(f.name for f in dataclasses.fields(SlotConfig)
                                                    if isinstance(f.default, float)), float("nan")),
        (RunSettings, "max_train_tokens", -5), (RunSettings, "slot_lr", float("nan")), (RunSettings, "data", "/no/such/dir"),
        (BlockConfig, "ln_eps", -1.0), (BlockConfig, "ln_eps", float("nan")), (BlockConfig, "init_std", 0.0),
        (EstimatorConfig, "implicit_tol", float("nan")), (EstimatorConfig, "implicit_tol", -1.0),
        (EstimatorConfig, "beta", float("inf")),
        (SolverConfig, "eps", float("nan")), (JRConfig, next(f.name for f in dataclasses.fields(JRConfig)
                                                             if isinstance(f.default, float)), float("nan")),
        (StudyConfig, "study_name", "../../x"), (StudyConfig, "study_name", "a/b"), (StudyConfig, "study_name", ".."),
        (StudyConfig, "storage", "???"), (StudyConfig, "max_loss", float("nan")), (StudyConfig, "lr_min", float("inf")),
        (ModelConfig, "backend", "cuda"), (ModelConfig, "mlp_mult", 0), (UnitConfig, "d_model", -1),
        (RCConfig, next(f.name for f in dataclasses.fields(RCConfig) if isinstance(f.default, float)), float("nan")),
        (CerebrosSpace, next(f.name for f in dataclasses.fields(CerebrosSpace) if isinstance(f.default, float)), float("nan")),
        (CMSConfig, "d_model", 0), (CMSConfig, "moneta_p", float("nan")), (CMSConfig, "b_theta", float("inf")),
        (CMSConfig, "periods", "0,8"),
    ]


@pytest.mark.parametrize("case", range(len(_cfgs())))
def test_subsystem_config(case):
    cls, field, value = _cfgs()[case]
    with pytest.raises((ValueError, TypeError)) as e:
        cls(**{field: value})
    msg = str(e.value)
    assert "\n" not in msg and field in msg, msg


def test_seed_and_token_caps():
    from cinder_lit.data import load_token_data
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="seed"): seed_everything(bad)
    with pytest.raises(ValueError, match="max_train_tokens"): load_token_data("default", max_train_tokens=-5)
    with pytest.raises(ValueError, match="max_val_tokens"): load_token_data("default", max_val_tokens=-1)


# ---- names and paths
@pytest.mark.parametrize("name", ["", "..", "../x", "a/b", "a\\b", ".hidden", "a..b", "x\x00y", "-rf", "a" * 200, "é"])
def test_bad_names(name, tmp_path):
    assert not valid_name(name)
    with pytest.raises(ValueError, match="not a valid name"):
        make_run_dir(name, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["hello", "crawler_shape", "study-1", "arm=k2_seed=3", "v1.2"])
def test_good_names(name):
    assert valid_name(name)


def _shards(d: Path, magic=20240520, version=1, n=10, size_delta=0, splits=("train", "val")):
    d.mkdir(parents=True, exist_ok=True)
    for s in splits:
        h = np.zeros(256, dtype="<i4"); h[0], h[1], h[2] = magic, version, n
        (d / f"x_{s}_000000.bin").write_bytes(h.tobytes() + np.arange(n, dtype="<u2").tobytes() + b"\0" * size_delta)
    return d


@pytest.mark.parametrize("make,needle", [
    (lambda d: _shards(d / "s", magic=123), "magic"),
    (lambda d: _shards(d / "s", version=7), "version"),
    (lambda d: _shards(d / "s", size_delta=3), "bytes"),
    (lambda d: _shards(d / "s", splits=("train",)), "val"),
    (lambda d: (d / "empty.txt").write_text("") and None or d / "empty.txt", "empty"),
    (lambda d: (d / "x_train_short.bin").write_bytes(b"abc") and None or d / "x_train_short.bin", "not a token shard"),
    (lambda d: d / "missing.txt", "no such"),
])
def test_bad_data_files(capsys, no_kernel, make, needle):
    p = make(no_kernel)
    line = _main_one_line(capsys, ["run", "crawler_shape", "-p", "data", str(p)], "data")
    assert needle in line and str(Path(p).resolve().name) in line, line
    assert not (no_kernel / "reports").exists()


def test_good_data_file_passes_validation(tmp_path):
    from cinder_lit.data import check_data_source
    assert check_data_source(str(_shards(tmp_path / "ok"))) == str(tmp_path / "ok")
    (tmp_path / "t.txt").write_text("hello world\n")
    assert check_data_source(str(tmp_path / "t.txt")) and check_data_source("default") == "default"


def test_relative_paths_resolve_against_the_caller(tmp_path, monkeypatch):
    "The kernel runs in the run directory: a relative data path is made absolute by the runner."
    _shards(tmp_path / "rel")
    monkeypatch.chdir(tmp_path)
    params = runner.resolve_params(runner.get_experiment("crawler_shape"), {"data": "rel"})
    assert params["data"] == str(tmp_path / "rel")


# ---- real processes: exit 2 fast, one line on stderr, nothing written
def _proc(args, env):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("args,needle", [
    (["run", "hello", "-p", "lr", "nan"], "lr"),
    (["run", "hello", "-p", "seeds", "[-1]"], "seeds"),
    (["run", "crawler_shape", "-p", "mlp_mult", "1e-9"], "mlp_mult"),
    (["run", "hello", "--ckpt-every", "x"], "--ckpt-every"),
])
def test_cli_process(cli, env, tmp_path, args, needle):
    r = _proc([cli("cinder-lit"), *args, "--out", str(tmp_path / "out")], env)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and needle in lines[-1], r.stderr
    if "--ckpt-every" not in args:  # argparse prints its usage line first for its own type errors
        assert len(lines) == 1, r.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "reports").exists()


def test_study_name_through_cfe_study(cli, env, tmp_path):
    r = _proc([cli("cfe-study"), "--study-name", "../../x", "--out", str(tmp_path / "st")], env)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert r.returncode == 2 and len(lines) == 1 and "study_name" in lines[0], r.stderr
    assert not (tmp_path / "st").exists() and not (tmp_path.parent / "x").exists()


# ---- a run in a hostile environment: read-only HOME, and what the artifacts look like
def test_read_only_home_clean_artifacts(cli, env, tmp_path):
    """HOME is a read-only folder (as root, whom permission bits do not stop, HOME is a plain *file* inside it, so
    nothing can be created under it either). The run works, writes nothing under HOME, every artifact is 0644 under
    umask 022, the output has no ipykernel TCP warning, report.ipynb stores no tqdm frames, and the caches went under
    CINDER_LIT_CACHE-less fallback or the given CINDER_LIT_CACHE."""
    ro = tmp_path / "ro"; ro.mkdir()
    home = ro / "home"; home.write_text("")
    ro.chmod(0o555)
    e = {k: v for k, v in env.items() if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "IPYTHONDIR", "JUPYTER_RUNTIME_DIR",
                                                   "TRITON_CACHE_DIR", "HF_HOME", "TORCH_HOME")}
    e.update(HOME=str(home), CINDER_LIT_CACHE=str(tmp_path / "cache"))
    e.pop("CINDER_LIT_NO_PROGRESS", None)       # progress on: the kernel must still store no bar frames
    out = tmp_path / "run"
    try:
        r = subprocess.run(["sh", "-c", f"umask 022; exec {cli('cinder-lit')} run hello -p steps 3 -p device cpu --out {out}"],
                           env=e, capture_output=True, text=True, timeout=600)
    finally:
        ro.chmod(0o755)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(p.name for p in ro.iterdir()) == ["home"] and home.read_text() == ""
    assert "without encryption" not in r.stdout + r.stderr
    assert (tmp_path / "cache" / "matplotlib").is_dir() or (tmp_path / "cache").is_dir()
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and {oct(p.stat().st_mode & 0o777) for p in files} == {"0o644"}, {p.name: oct(p.stat().st_mode & 0o777) for p in files}
    nb = json.loads((out / "report.ipynb").read_text())
    streams = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    text = "".join("".join(o.get("text", "")) for o in streams)
    assert "\r" not in text and "it/s" not in text and "without encryption" not in text, text[:500]
