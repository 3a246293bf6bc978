import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture
def root():
    return ROOT


@pytest.fixture
def cli():
    "Path of an installed console script in this venv."
    def _cli(name):
        p = BIN / name
        if not p.exists():
            pytest.fail(f"{name} is not installed in {BIN}: run `make install`")
        return str(p)
    return _cli


@pytest.fixture
def env(tmp_path):
    "Environment for subprocesses: reports go to a temp folder, no progress bars."
    e = dict(os.environ, CINDER_LIT_REPORTS=str(tmp_path / "reports"), CINDER_LIT_NO_PROGRESS="1", MPLBACKEND="Agg")
    return e
