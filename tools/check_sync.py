"""Fail if `nbdev-export` would change `cinder_lit/`: the library must equal what the notebooks export."""
import hashlib, pathlib, subprocess, sys

lib = pathlib.Path(__file__).resolve().parent.parent / "cinder_lit"

def snapshot():
    return {str(p.relative_to(lib)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(lib.rglob("*.py"))}

before = snapshot()
bin_dir = pathlib.Path(sys.executable).parent
subprocess.run([str(bin_dir / "nbdev-export")], check=True)
after = snapshot()
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
if changed:
    print("check-sync: cinder_lit/ was out of step with nbs/ (nbdev-export changed: "
          + ", ".join(changed) + ").\n  Edit the notebooks, run nbdev-export, and commit both.", file=sys.stderr)
    sys.exit(1)
print(f"check-sync: cinder_lit/ equals the export of nbs/ ({len(after)} modules)")
