"""Fixtures of the collection tests (helpers: collection_helpers.py)."""

import pytest

from collection_helpers import LINK, copy_checkout, run, tool


@pytest.fixture(scope="session")
def collection_link():
    """The in-place collection link (made when collection_helpers is imported)."""
    return LINK


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


@pytest.fixture(scope="session")
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


@pytest.fixture(scope="session")
def installed(built, tmp_path_factory):
    """The built collection installed as a user does, with an ansible.cfg of nothing of ours."""
    home = tmp_path_factory.mktemp("user")
    cfg = home / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    dest = home / "collections"
    run(tool("ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", dest, built,
        cwd=home, ANSIBLE_CONFIG=str(cfg))
    assert (dest / "ansible_collections" / "mesos" / "overlay" / "MANIFEST.json").is_file()
    return {"home": home, "cfg": str(cfg), "path": dest}
