"""The master role through ansible-playbook: publication and --limit."""

import hashlib
import json
import os

import pytest
from playbook_helpers import ansible_playbook, example_inventory

pytestmark = pytest.mark.playbook

PLAYBOOK = "tests/integration/playbooks/allocate.yml"


@pytest.fixture()
def inventory(tmp_path):
    return example_inventory(tmp_path)


def play(inventory, *args):
    return ansible_playbook(inventory, PLAYBOOK, *args)


def published(proc):
    """overlay_allocation of every host, from the debug task."""
    out = json.loads(proc.stdout)
    task = out["plays"][0]["tasks"][-2]
    return {host: res["overlay_allocation"] for host, res in task["hosts"].items()}


def peers(proc):
    """overlay_peer_list of every host, through Ansible's templating."""
    task = json.loads(proc.stdout)["plays"][0]["tasks"][-1]
    return {host: res["msg"] for host, res in task["hosts"].items()}


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_allocates_masters_then_agents_and_publishes(inventory):
    proc = play(inventory)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    got = published(proc)
    assert got["master1"]["role"] == "master"
    assert got["master1"]["vtep_ip"] == "44.128.0.1/16"
    assert got["a1"]["vtep_ip"] == "44.128.0.2/16"
    assert got["a3"]["overlays"]["vxlan-2"]["docker_subnet"] == "192.168.131.128/25"
    state = json.loads((inventory / "overlay_state.json").read_text())
    assert list(state["nodes"]) == ["master1", "a1", "a2", "a3"]


def test_limit_leaves_state_byte_for_byte(inventory):
    assert play(inventory).returncode == 0
    state = inventory / "overlay_state.json"
    before = (digest(state), os.stat(state).st_mtime_ns)
    proc = play(inventory, "--limit", "a2")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert (digest(state), os.stat(state).st_mtime_ns) == before
    assert not (inventory / "overlay_state.json.bak").exists()
    assert published(proc)["a2"]["vtep_ip"] == "44.128.0.3/16"


def test_limit_with_a_new_node_adds_only_it(inventory):
    assert play(inventory, "--limit", "master1,a1,a3").returncode == 0
    first = json.loads((inventory / "overlay_state.json").read_text())
    assert list(first["nodes"]) == ["master1", "a1", "a3"]
    proc = play(inventory, "--limit", "a2")
    assert proc.returncode == 0
    second = json.loads((inventory / "overlay_state.json").read_text())
    assert list(second["nodes"]) == ["master1", "a1", "a3", "a2"]
    for name in ("master1", "a1", "a3"):
        assert second["nodes"][name] == first["nodes"][name]
    assert second["nodes"]["a2"]["vtep_ip"] == "44.128.0.4/16"


def test_prune_is_refused_with_limit(inventory):
    proc = play(inventory, "--limit", "a2", "-e", "overlay_prune=true")
    assert proc.returncode != 0
    assert "overlay_prune: true is refused with --limit" in proc.stdout
    assert not (inventory / "overlay_state.json").exists()


def test_bad_config_fails_and_state_is_unchanged(inventory):
    assert play(inventory).returncode == 0
    state = inventory / "overlay_state.json"
    before = digest(state)
    bad = json.dumps({"overlay_network": {"vtep_subnet": "44.128.0.0/16", "vtep_mac_oui": "70:B3:D5:00:00:00",
                                          "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 16}]}})
    proc = play(inventory, "-e", bad)
    assert proc.returncode != 0
    assert "overlay_network.overlays[0].prefix: 16 is not longer than subnet 192.168.0.0/17" in proc.stdout
    assert digest(state) == before


def test_errors_name_the_role_variable(inventory, tmp_path):
    missing = tmp_path / "nowhere.json"
    proc = play(inventory, "-e", f"overlay_network_file={missing}")
    assert proc.returncode != 0
    assert f"overlay_network_file ({missing}): " in proc.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"vtep_subnet": "44.128.0.0/16", "vtep_mac_oui": "70:B3:D5:00:00:00",
                               "overlays": [{"name": "x", "subnet": "10.0.0.0/8", "prefix": 4}]}))
    proc = play(inventory, "-e", f"overlay_network_file={bad}")
    assert proc.returncode != 0
    assert f"overlay_network_file {bad}: overlays[0].prefix: 4 is not longer" in proc.stdout


def test_remove_releases_and_others_keep(inventory):
    assert play(inventory).returncode == 0
    proc = play(inventory, "-e", '{"overlay_remove": ["a1"]}')
    assert proc.returncode == 0, proc.stdout[-3000:]
    state = json.loads((inventory / "overlay_state.json").read_text())
    assert list(state["nodes"]) == ["master1", "a2", "a3"]
    assert state["nodes"]["a3"]["vtep_ip"] == "44.128.0.4/16"


def test_peer_lists_through_ansible_templating_carry_ipv6(inventory):
    config = {"overlay_network": {
        "vtep_subnet": "44.128.0.0/16", "vtep_subnet6": "fd00:44::/64", "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24,
                      "subnet6": "fd01:1::/64", "prefix6": 80}]}}
    proc = play(inventory, "-e", json.dumps(config))
    assert proc.returncode == 0, proc.stdout[-3000:]
    got = peers(proc)["a1"]
    assert [p["name"] for p in got] == ["master1", "a2", "a3"]
    assert got[1] == {"name": "a2", "vtep_ip": "44.128.0.3/16", "vtep_mac": "70:b3:d5:80:00:03",
                      "agent_ip": "10.0.0.12", "subnets": ["192.168.2.0/24"],
                      "vtep_ip6": "fd00:44::3/64", "subnets6": ["fd01:1:0:0:2::/80"]}


def tasks_run(proc, play=0):
    """(task name, hosts it ran on) of every task of a play, from the json callback."""
    return [(t["task"]["name"].split(" : ")[-1], sorted(t["hosts"]))
            for t in json.loads(proc.stdout)["plays"][play]["tasks"]]


def test_no_task_runs_per_host_and_a_later_play_sees_the_allocation(inventory):
    proc = play(inventory)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    role_tasks = tasks_run(proc)[:-2]  # the playbook's own two debug tasks follow the role
    assert role_tasks and all(len(hosts) == 1 for _name, hosts in role_tasks), role_tasks
    later = json.loads(proc.stdout)["plays"][1]["tasks"][0]["hosts"]
    assert {h: r["overlay_allocation"]["vtep_ip"] for h, r in later.items()} == {
        "master1": "44.128.0.1/16", "a1": "44.128.0.2/16", "a2": "44.128.0.3/16", "a3": "44.128.0.4/16"}


def test_facts_are_gathered_only_for_nodes_without_overlay_agent_ip(inventory):
    hosts = inventory / "hosts.yml"
    hosts.write_text(hosts.read_text().replace("overlay_agent_ip: 10.0.0.12", "ansible_connection: local"))
    proc = play(inventory)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    gather = [t for t in json.loads(proc.stdout)["plays"][0]["tasks"] if " : Gather" in t["task"]["name"]]
    (result,) = gather[0]["hosts"].values()
    assert [r["item"] for r in result["results"]] == ["a2"]
    ip = published(proc)["a2"]["ip"]
    assert ip and ip not in ("10.0.0.2", "10.0.0.11", "10.0.0.13")
    assert ip == result["results"][0]["ansible_facts"]["ansible_default_ipv4"]["address"]


def test_a_pool_too_small_fails_before_anything_else(inventory):
    hosts = inventory / "hosts.yml"
    # a2 could not be reached to learn its address: the pool check must come first
    hosts.write_text(hosts.read_text().replace(
        "overlay_agent_ip: 10.0.0.12", "ansible_host: 192.0.2.1\n          ansible_connection: unreachable"))
    config = {"overlay_network": {"vtep_subnet": "44.128.0.0/30", "vtep_mac_oui": "70:B3:D5:00:00:00",
                                  "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24}]}}
    proc = play(inventory, "-e", json.dumps(config))
    assert proc.returncode != 0
    assert "vtep_subnet: 44.128.0.0/30 holds 2 addresses, too few for the 4 nodes of the cluster" in proc.stdout
    assert [name for name, _hosts in tasks_run(proc)] == [
        "Check the request", "Check the role's variables",
        "Check the configuration, and that its pools hold every node of the cluster"]
    assert not (inventory / "overlay_state.json").exists()
