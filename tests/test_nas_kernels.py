"""The exported Triton kernel module, imported fresh in a subprocess with TRITON_INTERPRET=1 (the interpreter
is chosen when the kernel is defined), equals the naive O(L^2) form forward and backward on CPU."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CODE = r'''
import torch
from cinder_lit.nas.kernels import HAS_TRITON, triton_linear_attn
from cinder_lit.nas.units import linear_attn_naive
assert HAS_TRITON
torch.manual_seed(0)
q, k = torch.randn(2, 2, 29, 8, dtype=torch.float64), torch.randn(2, 2, 29, 8, dtype=torch.float64)
v = torch.randn(2, 2, 29, 24, dtype=torch.float64)
def fb(fn):
    xs = [t.clone().requires_grad_(True) for t in (q, k, v)]
    o = fn(*xs); (o * torch.cos(o)).sum().backward()
    return [o.detach()] + [x.grad for x in xs]
a = fb(lambda q, k, v: triton_linear_attn(q, k, v, chunk=16)); b = fb(linear_attn_naive)
err = max(float((x - y).abs().max()) for x, y in zip(a, b))
print(err); assert err < 1e-9
'''


def test_triton_kernel_under_interpreter():
    pytest.importorskip("triton")
    env = dict(os.environ, TRITON_INTERPRET="1", OMP_NUM_THREADS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
