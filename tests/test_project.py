"""Project-level checks: notebooks and library in step, README in step, the docs pipeline up to the render."""
import shutil, subprocess, sys
from pathlib import Path

import nbformat


def _copy_project(root: Path, dst: Path):
    for name in ["nbs", "cinder_lit", "tools", "pyproject.toml", "README.md"]:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(src, dst / name)


def test_check_sync_passes_then_fails_on_unexported_edit(root, tmp_path):
    _copy_project(root, tmp_path)
    r = subprocess.run([sys.executable, "tools/check_sync.py"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    nb_path = tmp_path / "nbs" / "00_core.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("#| export")
                and "def seed_everything" in c.source)
    cell.source += "\n\nSOMETHING_NEW = 1\n"
    nbformat.write(nb, nb_path)
    r = subprocess.run([sys.executable, "tools/check_sync.py"], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 1 and "core.py" in r.stderr and "out of step" in r.stderr


def test_readme_is_generated_from_index(root):
    r = subprocess.run([sys.executable, "tools/readme.py", "--check"], cwd=root, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = (root / "README.md").read_text()
    for needle in ["make reports", "make test", "settings.ini", "torchrun", "postgresql://", "How to add an experiment"]:
        assert needle in text


def test_docs_pipeline_up_to_render(root, tmp_path, env, cli):
    _copy_project(root, tmp_path)
    shutil.copy2(root / "_quarto.yml", tmp_path / "_quarto.yml")
    (tmp_path / "reports" / "hello" / "r1" / "figures").mkdir(parents=True)
    (tmp_path / "reports" / "hello" / "r1" / "summary.json").write_text('{"status": "OK", "val_bpb": 3.25}')
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "reports" / "hello" / "r1" / "report.ipynb")
    env = dict(env, CINDER_LIT_REPORTS=str(tmp_path / "reports"), CINDER_LIT_EXPERIMENTS=str(tmp_path / "nbs" / "experiments"))
    r = subprocess.run([cli("cinder-lit"), "docs", "--no-render"], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    proc = tmp_path / "_proc"
    assert (proc / "00_core.ipynb").exists() and (proc / "experiments" / "hello.ipynb").exists()
    assert (proc / "_quarto.yml").read_text() == (root / "_quarto.yml").read_text()
    page = (proc / "reports.qmd").read_text()
    assert "hello" in page and "val_bpb = 3.25" in page and (proc / "reports" / "hello" / "r1" / "report.ipynb").exists()


def test_make_docs_without_quarto_says_how(root):
    if shutil.which("quarto"):
        return
    r = subprocess.run(["make", "-s", "docs"], cwd=root, capture_output=True, text=True, timeout=600)
    assert r.returncode != 0 and "quarto" in (r.stdout + r.stderr).lower() and "https://quarto.org" in r.stdout + r.stderr
