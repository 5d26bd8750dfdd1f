"""playbooks/remove_agents.yml refuses a request it cannot honour before touching anything."""

import json

import pytest
from playbook_helpers import ansible_playbook, example_inventory


@pytest.fixture()
def inventory(tmp_path):
    return example_inventory(tmp_path)


def play(inventory, *args):
    return ansible_playbook(inventory, "playbooks/remove_agents.yml", *args)


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
    state = {"schema_version": 1, "network": None, "nodes": {"old1": {"ip": "10.0.0.99"}}}
    (inventory / "overlay_state.json").write_text(json.dumps(state))
    proc = play(inventory, "--check", "-e", json.dumps({"overlay_remove": ["old1"]}))
    out = json.loads(proc.stdout)
    check = out["plays"][0]["tasks"][-1]["hosts"]["localhost"]
    assert not check.get("failed"), check
