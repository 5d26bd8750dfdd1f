"""The master role with its state in a real ZooKeeper: two ansible-playbook
runs, started together from two separate checkouts, agree."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from zookeeper_server import read_znode, zookeeper, znode  # noqa: F401 pylint: disable=unused-import

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
pytestmark = [pytest.mark.playbook, pytest.mark.zookeeper]


def checkout(dest):
    """A copy of the repository's files (as a clone would have them), with its own collection link."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.split("\n")
    for name in filter(None, files):
        src = os.path.join(ROOT, name)
        if os.path.isfile(src) and not os.path.islink(src):
            os.makedirs(os.path.join(dest, os.path.dirname(name)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, name))
    link = os.path.join(dest, ".build", "collections", "ansible_collections", "mesos", "overlay")
    os.makedirs(os.path.dirname(link))
    os.symlink(dest, link)
    return dest


def start(repo, hosts, path, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(repo, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    extra = {"overlay_state_backend": "zookeeper", "overlay_zookeeper_hosts": [hosts],
             "overlay_zookeeper_path": path, "ansible_python_interpreter": sys.executable}
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
         "-i", os.path.join(repo, "inventories", "example"), "-e", json.dumps(extra),
         os.path.join(repo, "tests", "integration", "playbooks", "allocate.yml"), *args],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def outcome(proc):
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stdout[-3000:] + stderr
    tasks = json.loads(stdout)["plays"][0]["tasks"]
    allocate = next(t for t in tasks if t["task"]["name"].endswith("Allocate VTEPs and overlay subnets"))
    result = next(iter(allocate["hosts"].values()))
    shown = {host: res["overlay_allocation"] for host, res in tasks[-2]["hosts"].items()}
    return result, shown


def stored(hosts, path):
    return json.loads(read_znode(hosts, path))


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory):
    base = tmp_path_factory.mktemp("checkouts")
    return checkout(str(base / "one")), checkout(str(base / "two"))


def test_two_runs_from_two_checkouts_at_once_give_the_same_result(zookeeper, znode, checkouts):
    procs = [start(repo, zookeeper, znode) for repo in checkouts]
    (first, shown_first), (second, shown_second) = [outcome(p) for p in procs]
    assert shown_first == shown_second
    assert first["allocations"] == second["allocations"]
    state = stored(zookeeper, znode)
    assert list(state["nodes"]) == ["master1", "a1", "a2", "a3"]
    assert {n: a["vtep_ip"] for n, a in first["allocations"].items()} == {
        "master1": "44.128.0.1/16", "a1": "44.128.0.2/16", "a2": "44.128.0.3/16", "a3": "44.128.0.4/16"}
    # One wrote, the other found it written (or lost the race and recomputed): never both.
    assert sorted([first["changed"], second["changed"]]) == [False, True]


def test_two_limited_runs_at_once_share_the_pools(zookeeper, znode, checkouts):
    procs = [start(checkouts[0], zookeeper, znode, "--limit", "master1,a1"),
             start(checkouts[1], zookeeper, znode, "--limit", "a2,a3")]
    (first, _shown), (second, _shown) = [outcome(p) for p in procs]
    state = stored(zookeeper, znode)
    assert sorted(state["nodes"]) == ["a1", "a2", "a3", "master1"]
    vteps = [n["vtep_ip"] for n in state["nodes"].values()]
    blocks = [o["subnet"] for n in state["nodes"].values() for o in n["overlays"].values()]
    assert len(set(vteps)) == 4 and len(set(blocks)) == len(blocks)
    for result, names in ((first, ["master1", "a1"]), (second, ["a2", "a3"])):
        for name in names:
            assert result["allocations"][name]["vtep_ip"] == state["nodes"][name]["vtep_ip"]
    print(f"\nattempts: {first['attempts']} and {second['attempts']}")
