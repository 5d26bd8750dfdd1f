"""The artifact: `ansible-galaxy collection build` in a used checkout gives what a
user runs and nothing else, and the built collection installs and parses.

The expected content is pinned in build-files.txt. After adding a file that
belongs in the artifact (a plugin, a role file, a doc), add its path there, or
rewrite the list with `MESOS_OVERLAY_PIN=1 .venv/bin/python -m pytest
tests/collection/test_build.py` and review the diff.
"""

import json
import os
import tarfile

from collection_helpers import ROOT, run, tool

PINNED = ROOT / "tests" / "collection" / "build-files.txt"


def test_the_artifact_holds_the_pinned_files_and_nothing_else(built):
    with tarfile.open(built) as tar:
        files = sorted(m.name for m in tar.getmembers() if not m.isdir())
    if os.environ.get("MESOS_OVERLAY_PIN"):
        PINNED.write_text("".join(f + "\n" for f in files))
    pinned = [line for line in PINNED.read_text().splitlines() if line and not line.startswith("#")]
    extra = sorted(set(files) - set(pinned))
    missing = sorted(set(pinned) - set(files))
    assert not extra and not missing, (
        f"in the artifact but not in {PINNED.name}: {extra}\n"
        f"in {PINNED.name} but not in the artifact: {missing}\n"
        "(a file a user needs: add it to the list; anything else: build_ignore in galaxy.yml)")


def test_the_artifact_names_no_placeholder_and_its_dependencies(built):
    with tarfile.open(built) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert manifest["namespace"] == "mesos" and manifest["name"] == "overlay"
    for key in ("repository", "documentation", "homepage", "issues"):
        assert not manifest.get(key) or "example" not in manifest[key], (key, manifest[key])
    assert set(manifest["dependencies"]) >= {"community.docker", "ansible.posix"}


def test_the_built_collection_installs_and_its_playbooks_parse(installed):
    inventory = installed["path"] / "ansible_collections" / "mesos" / "overlay" / "inventories" / "example"
    for playbook in ("site", "status", "remove_agents"):
        run(tool("ansible-playbook"), "--syntax-check", "-i", inventory, f"mesos.overlay.{playbook}",
            cwd=installed["home"], ANSIBLE_CONFIG=installed["cfg"], ANSIBLE_COLLECTIONS_PATH=str(installed["path"]))
