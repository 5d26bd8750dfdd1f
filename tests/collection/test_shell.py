"""Every test runs: shellcheck lints every shell script of the repository
(the sanity copy leaves scripts/, bench/ and .ci/ out), and sanity refuses to
run without it rather than skip its shellcheck test."""

import os
import re
import shutil
import subprocess

from collection_helpers import ROOT, checkout_files

SHEBANG = re.compile(r"^#!(/usr)?/bin/(env +)?(ba|da)?sh\b")


def shell_scripts():
    out = []
    for rel in checkout_files():
        path = ROOT / rel
        if path.is_symlink() or not path.is_file():
            continue
        with open(path, "rb") as handle:
            first = handle.readline().decode("utf-8", "replace")
        if rel.endswith(".sh") or SHEBANG.match(first):
            out.append(rel)
    return sorted(out)


def test_shellcheck_is_installed():
    assert shutil.which("shellcheck"), "shellcheck missing: scripts/host-packages.sh installs it"


def test_shellcheck_lints_every_shell_script_and_they_are_clean():
    listed = subprocess.run([str(ROOT / "scripts" / "shellcheck.sh"), "--list"], cwd=str(ROOT),
                            capture_output=True, text=True, check=True).stdout.split()
    expected = shell_scripts()
    assert sorted(listed) == expected
    assert {".ci/run", "scripts/sanity.sh", "scripts/lab/image/lab-init"} <= set(listed)
    proc = subprocess.run([str(ROOT / "scripts" / "shellcheck.sh")], cwd=str(ROOT),
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_sanity_refuses_to_run_without_shellcheck(tmp_path):
    # a PATH with the basic tools and no shellcheck
    for tool in ("bash", "dirname", "sed", "head", "mkdir", "cp", "rm"):
        os.symlink(shutil.which(tool), tmp_path / tool)
    proc = subprocess.run([str(ROOT / "scripts" / "sanity.sh")], cwd=str(ROOT), capture_output=True, text=True,
                          env={"PATH": str(tmp_path), "HOME": str(tmp_path)}, check=False, timeout=60)
    assert proc.returncode != 0 and "shellcheck missing" in proc.stderr, proc.stdout + proc.stderr
