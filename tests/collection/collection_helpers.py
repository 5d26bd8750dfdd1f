"""Helpers of the collection tests: the repository, its tools, a copy of it."""

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COLLECTIONS = ROOT / ".build" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "mesos" / "overlay"

# The in-place collection link of `make collection`, so that ansible (and the
# imports of the docs test) find mesos.overlay in this checkout.
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)


def tool(name):
    """A console script of the virtualenv (or of PATH when not there)."""
    path = BIN / name
    return str(path) if path.exists() else (shutil.which(name) or name)


def env(**extra):
    """The environment the Makefile gives: the venv first, the repo's ansible.cfg."""
    out = dict(os.environ)
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    out["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    out.update(extra)
    return out


def run(*cmd, cwd=ROOT, check=True, **extra_env):
    proc = subprocess.run([str(c) for c in cmd], cwd=str(cwd), env=env(**extra_env),
                          capture_output=True, text=True, timeout=600, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


def checkout_files():
    """The repository's files as a checkout has them (tracked and new, not ignored)."""
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=str(ROOT),
                         capture_output=True, check=True).stdout.decode()
    return sorted(p for p in out.split("\0") if p and (ROOT / p).exists())


def copy_checkout(dest: Path) -> Path:
    for rel in checkout_files():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target, follow_symlinks=False)
    return dest


def filter_names():
    """Every filter of the collection -> the plugin file that holds it."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    names = {}
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        mod = importlib.import_module(f"ansible_collections.mesos.overlay.plugins.filter.{path.stem}")
        for name in mod.FilterModule().filters():
            names[name] = path.name
    return names


def plugin_names(folder):
    """The plugins of plugins/<folder> (modules, lookup), by file name."""
    return sorted(p.stem for p in (ROOT / "plugins" / folder).glob("*.py") if p.stem != "__init__")

