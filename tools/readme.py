"""Write README.md from nbs/index.ipynb (markdown cells verbatim, code cells as python blocks).

nbdev-readme needs the Quarto binary; this does the same job without it. `--check` exits 1 if README.md
is out of date (make test runs it)."""
import json, pathlib, sys

root = pathlib.Path(__file__).resolve().parent.parent


def render() -> str:
    nb = json.loads((root / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
    parts = ["<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->"]
    for c in nb["cells"]:
        src = "".join(c["source"]).rstrip()
        if not src or src.startswith("#|"):
            continue
        parts.append(src if c["cell_type"] == "markdown" else f"```python\n{src}\n```")
    return "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    text, readme = render(), root / "README.md"
    if "--check" in sys.argv:
        if not readme.exists() or readme.read_text(encoding="utf-8") != text:
            print("README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`", file=sys.stderr)
            sys.exit(1)
        print("README.md is up to date")
    else:
        readme.write_text(text, encoding="utf-8")
        print(f"wrote {readme}")
