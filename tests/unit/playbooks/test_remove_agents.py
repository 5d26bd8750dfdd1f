"""playbooks/remove_agents.yml refuses a request it cannot honour before touching anything."""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "remove_agents.yml")


@pytest.fixture()
def inventory(tmp_path):
    inv = tmp_path / "inv"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), inv)
    return inv


def play(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
         "-e", f"ansible_python_interpreter={sys.executable}", PLAYBOOK, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    return proc


@pytest.mark.playbook
@pytest.mark.parametrize("names, message", [
    (["agent9"], "overlay_remove: agent9 is not a known node"),
    (["a1", "agent9", "typo"], "overlay_remove: agent9, typo are not known nodes"),
])
def test_an_unknown_node_fails_naming_it_and_nothing_runs(inventory, names, message):
    proc = play(inventory, "--check", "-e", json.dumps({"overlay_remove": names}))
    assert proc.returncode != 0
    out = json.loads(proc.stdout)
    assert len(out["plays"]) == 1                          # no other play started
    msgs = [r.get("msg", "") for t in out["plays"][0]["tasks"] for r in t["hosts"].values()]
    assert any(message in m for m in msgs), msgs


@pytest.mark.playbook
def test_a_node_only_in_the_state_file_is_known(inventory):
    (inventory / "overlay_state.json").write_text(json.dumps({"schema_version": 1, "network": None,
                                                               "nodes": {"old1": {"ip": "10.0.0.99"}}}))
    proc = play(inventory, "--check", "-e", json.dumps({"overlay_remove": ["old1"]}))
    out = json.loads(proc.stdout)
    check = out["plays"][0]["tasks"][-1]["hosts"]["localhost"]
    assert not check.get("failed"), check
