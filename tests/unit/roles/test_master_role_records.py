"""The master role and the nodes' records: a lost state never renumbers a node,
and overlay_recover rebuilds it. The nodes are local connections, each with a
facts directory of its own holding the record the agent role would write."""

import json

import pytest
import yaml
from playbook_helpers import ansible_playbook

from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_fact

pytestmark = pytest.mark.playbook

PLAYBOOK = "tests/integration/playbooks/allocate_records.yml"
NODES = {"master1": "10.0.0.2", "a1": "10.0.0.11", "a2": "10.0.0.12", "a3": "10.0.0.13"}


@pytest.fixture()
def cluster(tmp_path):
    """An inventory of local nodes, each with its own facts directory."""
    inv = tmp_path / "inv"
    (inv / "group_vars" / "all").mkdir(parents=True)
    hosts = {name: {"overlay_agent_ip": ip, "ansible_connection": "local",
                    "overlay_facts_dir": str(tmp_path / "facts" / name)} for name, ip in NODES.items()}
    (inv / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {
        "mesos_masters": {"hosts": {"master1": hosts["master1"]}},
        "mesos_agents": {"hosts": {n: hosts[n] for n in ("a1", "a2", "a3")}}}}}))
    (inv / "group_vars" / "all" / "overlay.yml").write_text(yaml.safe_dump({"overlay_network": {
        "vtep_subnet": "44.128.0.0/20", "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [{"name": "dcos", "subnet": "9.0.0.0/16", "prefix": 24}]}}))
    return inv


def allocations(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    task = json.loads(proc.stdout)["plays"][0]["tasks"][-2]
    return {host: res["overlay_allocation"] for host, res in task["hosts"].items()}


def write_records(inv, allocated, netgroup_ids=None):
    """Each node's record, where the agent role keeps it (with netgroups, the netgroup
    policy the role writes beside it: the IDs the master role published)."""
    for name, alloc in allocated.items():
        facts = inv.parent / "facts" / name
        facts.mkdir(parents=True, exist_ok=True)
        record = node_fact(alloc)
        if netgroup_ids:
            record["netgroups"] = {"ids": dict(netgroup_ids), "isolated": [], "state": {"status": "STATUS_OK"}}
        (facts / "mesos_overlay.fact").write_text(json.dumps(record))


def set_netgroups(inv, names):
    path = inv / "group_vars" / "all" / "overlay.yml"
    config = yaml.safe_load(path.read_text())
    config["overlay_network"]["netgroups"] = names
    path.write_text(yaml.safe_dump(config))


def test_a_lost_state_refuses_to_renumber_and_recover_rebuilds_it(cluster):
    state = cluster / "overlay_state.json"
    write_records(cluster, allocations(ansible_playbook(cluster, PLAYBOOK)))
    lost = state.read_bytes()
    state.unlink()

    limited = ansible_playbook(cluster, PLAYBOOK, "--limit", "a2,a3")
    assert limited.returncode != 0
    assert "refusing to renumber 2 node(s), nothing was written or touched: a2 holds vtep_ip" in limited.stdout
    assert not state.exists()

    # Recover from a play that gathered no facts: the role reads the records itself.
    recovered = ansible_playbook(cluster, "tests/integration/playbooks/allocate.yml",
                                 "-e", '{"overlay_recover": true}')
    allocations(recovered)
    assert state.read_bytes() == lost
    assert not json.loads(ansible_playbook(cluster, PLAYBOOK)
                          .stdout)["stats"]["master1"]["changed"]


def test_netgroups_ids_and_docker_blocks_are_never_moved_and_recovered_exactly(cluster):
    """blue came first, red later: afresh, red would get blue's ID and the first docker blocks."""
    state = cluster / "overlay_state.json"
    set_netgroups(cluster, ["blue"])
    allocations(ansible_playbook(cluster, PLAYBOOK))
    set_netgroups(cluster, ["red", "blue"])
    allocated = allocations(ansible_playbook(cluster, PLAYBOOK))
    lost = json.loads(state.read_text())
    assert lost["netgroups"] == {"red": 2, "blue": 1}
    write_records(cluster, allocated, lost["netgroups"])
    state.unlink()

    refused = ansible_playbook(cluster, PLAYBOOK)
    assert refused.returncode != 0
    assert "refusing to renumber 4 node(s), nothing was written or touched: a1 holds dcos netgroup blue" in refused.stdout
    assert ("master1 holds netgroup blue policy ID 1, netgroup red policy ID 2; the allocation would give it"
            " netgroup blue policy ID 2, netgroup red policy ID 1") in refused.stdout
    assert not state.exists()

    recovered = ansible_playbook(cluster, "tests/integration/playbooks/allocate.yml",
                                 "-e", '{"overlay_recover": true}')
    assert allocations(recovered) == allocated
    rebuilt = json.loads(state.read_text())
    assert rebuilt["netgroups"] == lost["netgroups"]
    assert {n: node["overlays"]["dcos"]["netgroups"] for n, node in rebuilt["nodes"].items() if n != "master1"} \
        == {n: node["overlays"]["dcos"]["netgroups"] for n, node in lost["nodes"].items() if n != "master1"}
    assert rebuilt == lost
