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


def test_torchrun_two_ranks(tmp_path):
    torchrun = Path(sys.executable).with_name("torchrun")
    if not torchrun.exists():
        pytest.skip("torchrun not installed beside this python")
    out = tmp_path / "ck.pt"
    env = dict(os.environ, OMP_NUM_THREADS="1", CINDER_LIT_NO_PROGRESS="1")
    cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "cinder_lit.crawler.train",
           "n_flat=1", "crawler_loops=2", "d_model=16", "n_heads=2", "n_kv_heads=1", "steps=3",
           "batch_size=2", "seq_len=16", "optimizer=adamw", f"out={out}"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "OK:" in r.stdout
    ck = torch.load(out, weights_only=True)
    m = CrawlerGPT(CrawlerConfig(**ck["config"]))
    m.load_state_dict(ck["model"])
    x = torch.randint(0, m.cfg.vocab_size, (1, 8))
    assert torch.isfinite(m(x, x)).all()


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
