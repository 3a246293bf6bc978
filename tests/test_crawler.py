"Crawler subsystem: the torchrun entry point (2 CPU ranks, gloo) and bad input."
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from cinder_lit.crawler.model import CrawlerConfig, CrawlerGPT
from cinder_lit.crawler.quant import QuantConfig
from cinder_lit.crawler.arms import RunSettings, split_params


TINY = ["n_flat=1", "crawler_loops=2", "d_model=16", "n_heads=2", "n_kv_heads=1", "batch_size=2", "seq_len=16"]


def _env():
    return dict(os.environ, OMP_NUM_THREADS="1", CINDER_LIT_NO_PROGRESS="1")


def _weights(path):
    return torch.load(path, weights_only=True)["model"]


def test_torchrun_ranks_identical(tmp_path):
    "Two gloo ranks train ONE model: after N Muon steps every parameter is bit-identical across ranks (issue #14)."
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed beside this python")
    out = tmp_path / "ck.pt"
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "cinder_lit.crawler.train", *TINY,
           "steps=4", "optimizer=muon", "seed=3", f"out={out}", "save_all_ranks=true"]
    r = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "OK:" in r.stdout
    w0, w1 = _weights(out), _weights(f"{out}.rank1")
    assert w0.keys() == w1.keys()
    for k in w0:
        assert torch.equal(w0[k], w1[k]), f"rank 0 and rank 1 differ in {k}"
    # and the ranks did train (the weights moved away from the seed-3 initialisation)
    ck = torch.load(out, weights_only=True)
    torch.manual_seed(0)
    from cinder_lit.core import seed_everything
    seed_everything(3)
    init = CrawlerGPT(CrawlerConfig(**ck["config"])).state_dict()
    assert any(not torch.equal(init[k], w0[k]) for k in w0)
    m = CrawlerGPT(CrawlerConfig(**ck["config"]))
    m.load_state_dict(ck["model"])
    x = torch.randint(0, m.cfg.vocab_size, (1, 8))
    assert torch.isfinite(m(x, x)).all()


def test_cli_same_seed_same_weights(tmp_path):
    "Two CLI runs with the same seed write identical weights; another seed gives other weights."
    outs = []
    for i, seed in enumerate([5, 5, 6]):
        out = tmp_path / f"r{i}.pt"
        r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", *TINY, "steps=3", "optimizer=adamw",
                            f"seed={seed}", f"out={out}"], env=_env(), capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        outs.append(_weights(out))
    assert all(torch.equal(outs[0][k], outs[1][k]) for k in outs[0])
    assert any(not torch.equal(outs[0][k], outs[2][k]) for k in outs[0])


def test_cli_help_and_one_line_errors():
    r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", "--help"], env=_env(), capture_output=True, text=True)
    assert r.returncode == 0 and "usage:" in r.stdout and "crawler_loops" in r.stdout
    for bad, needle in [(["n_flats=2"], "n_flats"), (["d_model=abc"], "d_model"), (["n_heads=3", "d_model=16"], "n_heads"),
                        (["optimizer=lion"], "optimizer"), (["data=/nonexistent/corpus.txt", "steps=1"], "nonexistent")]:
        r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", *bad], env=_env(), capture_output=True, text=True)
        assert r.returncode == 2, (bad, r.returncode, r.stderr[-2000:])
        assert "Traceback" not in r.stderr and r.stderr.strip().count("\n") == 0 and needle in r.stderr, (bad, r.stderr)


@pytest.mark.parametrize("cls,kw,field", [
    (CrawlerConfig, dict(n_heads=3), "n_heads"),
    (CrawlerConfig, dict(crawler_mlp="pyramid"), "choke_dim"),
    (CrawlerConfig, dict(score_dt=2.0), "score_dt"),
    (CrawlerConfig, dict(helix=True, n_flat=1, helix_stride=2), "helix_stride"),
    (QuantConfig, dict(method="awq"), "method"),
    (QuantConfig, dict(bits=9), "bits"),
    (RunSettings, dict(seq_len=64, eval_stride=24), "eval_stride"),
])
def test_bad_config(cls, kw, field):
    with pytest.raises(ValueError, match=field):
        cls(**kw)


def test_bad_params():
    with pytest.raises(ValueError, match="unknown parameter"):
        split_params({"n_flats": 3})


NB = Path(__file__).resolve().parents[1] / "nbs" / "experiments"
TEMPLATES = ["crawler_shape", "crawler_xsa", "crawler_choke", "crawler_gptq", "crawler_width_vs_recursion"]


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("profile", ["quick", "replicate", "full"])
def test_template_profiles_give_valid_configs(name, profile):
    "Every profile builds a valid spec config (every arm is built in validate): caught here, not an hour into a GPU run."
    import yaml
    from cinder_lit.spec import get_spec
    meta = yaml.safe_load((NB / f"{name}.yml").read_text())
    assert set(meta) <= {"description", "tour", "profiles"} and meta["description"]
    get_spec(name).make_config({**get_spec(name).defaults(), **(meta["profiles"].get(profile) or {})})


def test_cli_single_text_file_and_sentencepiece(tmp_path):
    "One plain-text file with no document separators trains (split by lines), with a locally trained SentencePiece."
    import sentencepiece  # noqa: F401  (a declared dependency in pyproject.toml: a missing install fails here, not skips)
    one = tmp_path / "one.txt"
    one.write_text("\n".join(f"line {i}: the crawler loops over a shared block, {i % 7} times." for i in range(400)))
    out = tmp_path / "m.pt"
    r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", *TINY, "steps=2", "optimizer=adamw",
                        f"data={one}", "vocab=sp300", f"out={out}"], env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    ck = torch.load(out, weights_only=True)
    assert 260 <= ck["config"]["vocab_size"] <= 300


def test_cli_missing_tokenizer_is_one_line(tmp_path):
    "Shards with a tokenizer that is not there: one clear line naming the file (and what the folder holds)."
    from cinder_lit.data import write_shard
    import numpy as np
    write_shard(tmp_path / "d_train_000.bin", np.arange(100)); write_shard(tmp_path / "d_val_000.bin", np.arange(50))
    (tmp_path / "tok-bpe281.json").write_text("{}")
    r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", *TINY, "steps=1", f"data={tmp_path}",
                        f"vocab={tmp_path / 'sp1024.model'}"], env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert r.stderr.strip().count("\n") == 0 and "sp1024.model: no such tokenizer file" in r.stderr and "tok-bpe281.json" in r.stderr
    # asking for a named BPE without a file is refused too (shards need the tokenizer they were written with)
    r = subprocess.run([sys.executable, "-m", "cinder_lit.crawler.train", *TINY, "steps=1", f"data={tmp_path}", "vocab=bpe4096"],
                       env=_env(), capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and "named explicitly" in r.stderr and r.stderr.strip().count("\n") == 0
