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

import pytest

from conftest import ROOT, copy_checkout, run, tool

PINNED = ROOT / "tests" / "collection" / "build-files.txt"

# What `make venv`, `make collection`, `make test`, `make lab` and an editor
# leave in a checkout (none of it may reach the artifact).
JUNK = {
    ".venv/bin/python": "",
    ".venv/lib/python3.11/site-packages/x.py": "",
    ".build/sanity/ansible_collections/mesos/overlay/README.md": "",
    ".build/sanity/ansible_collections/mesos/overlay/tests/output/bot/x.json": "{}",
    ".ansible/collections/ansible_collections/x/y/MANIFEST.json": "{}",
    ".ansible/roles/x/tasks/main.yml": "---\n",
    ".cache/x": "",
    ".pytest_cache/v/cache/nodeids": "[]",
    ".hypothesis/examples/0/1": "",
    "plugins/module_utils/__pycache__/allocator.cpython-311.pyc": "",
    "plugins/filter/__pycache__/cni.cpython-311.pyc": "",
    "tests/unit/__pycache__/conftest.cpython-311-pytest-9.2.0.pyc": "",
    "tests/output/junit/python3.11-controller-units.xml": "",
    "molecule/default/.ansible/x": "",
    "inventories/lab/overlay_state.json": "{}",
    "inventories/lab/overlay_state.json.bak": "{}",
    "inventories/lab/overlay_state.json.lock": "",
    "inventories/example/overlay_state.json": "{}",
    "inventories/example/overlay_state.json.bak": "{}",
    "inventories/example/overlay_state.json.lock": "",
    "mesos-overlay-0.0.1.tar.gz": "",
    "playbooks/site.retry": "",
    "plugins/modules/.overlay_allocate.py.swp": "",
    "README.md~": "",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    checkout = copy_checkout(tmp_path_factory.mktemp("checkout") / "overlay")
    for rel, text in JUNK.items():
        path = checkout / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    link = checkout / ".build" / "collections" / "ansible_collections" / "mesos" / "overlay"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(checkout)
    out = tmp_path_factory.mktemp("dist")
    proc = run(tool("ansible-galaxy"), "collection", "build", "--output-path", out, checkout, cwd=checkout)
    assert "WARNING" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    (tarball,) = out.glob("mesos-overlay-*.tar.gz")
    return tarball


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


def test_the_built_collection_installs_and_its_playbooks_parse(built, tmp_path):
    dest = tmp_path / "collections"
    cfg = tmp_path / "ansible.cfg"  # a user's: nothing of the repository's
    cfg.write_text("[defaults]\n")
    run(tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", dest, built,
        cwd=tmp_path, ANSIBLE_CONFIG=str(cfg))
    installed = dest / "ansible_collections" / "mesos" / "overlay"
    assert (installed / "MANIFEST.json").exists()
    inventory = installed / "inventories" / "example"
    for playbook in ("site", "status", "remove_agents"):
        run(tool("ansible-playbook"), "--syntax-check", "-i", inventory, f"mesos.overlay.{playbook}",
            cwd=tmp_path, ANSIBLE_CONFIG=str(cfg), ANSIBLE_COLLECTIONS_PATH=str(dest))
