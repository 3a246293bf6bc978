"""torchrun data parallelism (2 gloo ranks on CPU).

- The foundation loop: 2 ranks == 1 process accumulating the same two half-batches, and both ranks end with the same
  parameters.
- Every training experiment that claims `torchrun` support holds one model on every rank after N steps. Only the
  crawler claims it (`python -m cinder_lit.crawler.train` / `train_crawler(ddp=True)`, README); since #14 it seeds
  before construction and broadcasts rank 0's parameters, so the ranks must be bit-identical.
- The experiment specs run inside one papermill kernel (one process): none supports torchrun; each is listed as a
  skip with that reason, so a spec that gains DDP support has to say so here."""
import subprocess, sys
from pathlib import Path

import pytest
import torch

from cinder_lit.spec import load_specs

HERE = Path(__file__).resolve().parent
TORCHRUN = Path(sys.executable).parent / "torchrun"


def _torchrun(script, *args, env):
    return subprocess.run([str(TORCHRUN), "--standalone", "--nproc_per_node", "2", str(HERE / script), *map(str, args)],
                          env=env, capture_output=True, text=True, timeout=600)


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_two_ranks_equal_one_process_with_accumulation(tmp_path, env):
    r = _torchrun("ddp_worker.py", tmp_path / "ddp.pt", "1", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([sys.executable, str(HERE / "ddp_worker.py"), str(tmp_path / "one.pt"), "2"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = torch.load(tmp_path / "ddp.pt", weights_only=True), torch.load(tmp_path / "one.pt", weights_only=True)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), {k: (a[k] - b[k]).abs().max() for k in a}
    r1 = torch.load(tmp_path / "ddp.pt.rank1", weights_only=True)
    assert _same(a, r1)                                   # every rank holds the same parameters
    sys.path.insert(0, str(HERE)); from ddp_worker import Net
    torch.manual_seed(123); init = Net().state_dict()
    assert any(not torch.allclose(init[k], a[k]) for k in a)  # the steps did move the weights


def test_crawler_ranks_hold_one_model(tmp_path, env):
    r = _torchrun("ddp_crawler_worker.py", tmp_path / "cr.pt", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    a = torch.load(f"{tmp_path / 'cr.pt'}.rank0", weights_only=True)
    b = torch.load(f"{tmp_path / 'cr.pt'}.rank1", weights_only=True)
    assert _same(a, b), max(float((a[k] - b[k]).abs().max()) for k in a)


SINGLE = ("runs inside one papermill kernel (one process): `cinder-lit run` has no torchrun launch, so this "
          "experiment does not support DDP")


@pytest.mark.parametrize("name", sorted(n for n, s in load_specs().items() if s.trains))
def test_experiment_ddp_support(name):
    pytest.skip(f"{name}: {SINGLE}")
