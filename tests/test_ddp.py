"""torchrun data parallelism: 2 gloo ranks == 1 process accumulating the same two half-batches."""
import subprocess, sys
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent


def test_two_ranks_equal_one_process_with_accumulation(tmp_path, env):
    torchrun = Path(sys.executable).parent / "torchrun"
    r = subprocess.run([str(torchrun), "--standalone", "--nproc_per_node", "2", str(HERE / "ddp_worker.py"),
                        str(tmp_path / "ddp.pt"), "1"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([sys.executable, str(HERE / "ddp_worker.py"), str(tmp_path / "one.pt"), "2"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    a, b = torch.load(tmp_path / "ddp.pt", weights_only=True), torch.load(tmp_path / "one.pt", weights_only=True)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a), {k: (a[k] - b[k]).abs().max() for k in a}
    sys.path.insert(0, str(HERE)); from ddp_worker import Net
    torch.manual_seed(123); init = Net().state_dict()
    assert any(not torch.allclose(init[k], a[k]) for k in a)  # the steps did move the weights
