"""The master role through ansible-playbook: publication and --limit."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
pytestmark = pytest.mark.playbook

PLAYBOOK = os.path.join(ROOT, "tests", "integration", "playbooks", "allocate.yml")


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
