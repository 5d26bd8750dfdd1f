"""overlay_allocate: the module's path from parameters to the state file."""

import hashlib
import json
import multiprocessing
import os
import subprocess
import re
import sys
from types import SimpleNamespace

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.allocate import run_allocate
from ansible_collections.mesos.overlay.plugins.module_utils.allocator import AllocationError
from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError
from ansible_collections.mesos.overlay.plugins.module_utils.state import StateFileError, StateStore

from config_samples import BAD, SEED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
AGENTS = [{"name": f"a{i}", "ip": f"10.0.0.{i}", "role": "agent"} for i in (1, 2, 3)]


def module(state_file, check_mode=False, diff=False, **params):
    full = {"network": None, "network_file": None, "agents": [], "state_file": str(state_file),
            "prune": False, "remove": []}
    full.update(params)
    return SimpleNamespace(params=full, check_mode=check_mode, _diff=diff)


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_allocates_and_writes_state(tmp_path):
    state = tmp_path / "state.json"
    out = run_allocate(module(state, network=SEED, agents=AGENTS))
    assert out["changed"] and out["added"] == ["a1", "a2", "a3"]
    assert out["allocations"]["a1"]["vtep_ip"] == "44.128.0.1/16"
    stored = json.loads(state.read_text())
    assert stored["schema_version"] == 1
    assert list(stored["nodes"]) == ["a1", "a2", "a3"]


def test_second_run_changes_nothing_and_does_not_touch_the_file(tmp_path):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS))
    before = (digest(state), os.stat(state).st_mtime_ns)
    out = run_allocate(module(state, network=SEED, agents=AGENTS[::-1]))
    assert not out["changed"]
    assert (digest(state), os.stat(state).st_mtime_ns) == before
    assert not (tmp_path / "state.json.bak").exists()


def test_previous_version_is_kept_as_backup(tmp_path):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS[:1]))
    first = state.read_text()
    run_allocate(module(state, network=SEED, agents=AGENTS))
    assert (tmp_path / "state.json.bak").read_text() == first
    assert state.read_text() != first


def test_check_mode_computes_and_writes_nothing(tmp_path):
    state = tmp_path / "sub" / "state.json"
    out = run_allocate(module(state, check_mode=True, network=SEED, agents=AGENTS))
    assert out["changed"]
    assert out["allocations"]["a3"]["vtep_ip"] == "44.128.0.3/16"
    assert not (tmp_path / "sub").exists()


def test_diff_shows_changed_nodes_only(tmp_path):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS[:2]))
    out = run_allocate(module(state, diff=True, network=SEED, agents=AGENTS, remove=["a1"]))
    assert out["removed"] == ["a1"] and out["added"] == ["a3"]
    text = out["diff"]["prepared"]
    assert text.startswith(f"--- state_file {str(state)!r} (before)\n+++ state_file {str(state)!r} (after)\n")
    assert "node a3 (10.0.0.3): allocated" in text and "node a1 (10.0.0.1): released" in text
    assert "a2" not in text  # unchanged
    assert out["allocations"]["a3"]["vtep_ip"] == "44.128.0.1/16"  # a1's address, freed


def test_prune_and_remove(tmp_path):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS))
    kept = run_allocate(module(state, network=SEED, agents=AGENTS[:1]))
    assert list(kept["allocations"]) == ["a1", "a2", "a3"] and not kept["changed"]
    pruned = run_allocate(module(state, network=SEED, agents=AGENTS[:1], prune=True))
    assert list(pruned["allocations"]) == ["a1"] and pruned["removed"] == ["a2", "a3"]


def test_network_file_with_settings_beside(tmp_path):
    path = tmp_path / "overlays.json"
    path.write_text(json.dumps(SEED["overlays"]))
    vtep = {"vtep_subnet": SEED["vtep_subnet"], "vtep_mac_oui": SEED["vtep_mac_oui"]}
    out = run_allocate(module(tmp_path / "s.json", network=vtep, network_file=str(path), agents=AGENTS))
    assert out["allocations"]["a2"]["overlays"]["vxlan-2"]["subnet"] == "192.168.129.0/24"


@pytest.mark.parametrize("data,message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_config_fails_and_leaves_state_byte_for_byte(tmp_path, data, message):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS))
    before = digest(state)
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_allocate(module(state, network=data, agents=AGENTS + [{"name": "a9", "ip": "10.0.0.9", "role": "agent"}]))
    assert digest(state) == before
    assert sorted(os.listdir(tmp_path)) == ["state.json", "state.json.lock"]


def test_exhaustion_and_ip_clash_leave_state_unchanged(tmp_path):
    state = tmp_path / "state.json"
    small = dict(SEED, vtep_subnet="44.128.0.0/30")
    run_allocate(module(state, network=small, agents=AGENTS[:2]))
    before = digest(state)
    with pytest.raises(AllocationError, match="no VTEP address left for 'a3' .capacity 2 nodes"):
        run_allocate(module(state, network=small, agents=AGENTS))
    with pytest.raises(ConfigError, match="10.0.0.1 of 'b1' is already the IP of known node 'a1'"):
        run_allocate(module(state, network=small, agents=[{"name": "b1", "ip": "10.0.0.1", "role": "agent"}]))
    assert digest(state) == before


def test_corrupt_state_is_an_error_not_a_reset(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{half")
    with pytest.raises(StateFileError, match="is not valid JSON"):
        run_allocate(module(state, network=SEED, agents=AGENTS))
    assert state.read_text() == "{half"


def _allocate_one(args):
    state_file, index = args
    out = run_allocate(module(state_file, network=SEED, agents=[
        {"name": f"p{index}", "ip": f"10.1.0.{index}", "role": "agent"}]))
    return out["allocations"][f"p{index}"]["vtep_ip"]


def test_concurrent_runs_never_hand_out_one_address(tmp_path):
    state = str(tmp_path / "state.json")
    with multiprocessing.get_context("fork").Pool(8) as pool:
        got = pool.map(_allocate_one, [(state, i) for i in range(1, 41)])
    assert len(set(got)) == 40
    stored = StateStore(state).load()[0]
    assert len(stored.nodes) == 40
    assert sorted(n.vtep_ip for n in stored.nodes.values()) == sorted(got)


def ansible(*args, **env):
    environ = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_STDOUT_CALLBACK="json", PATH=os.path.dirname(sys.executable) + ":" + os.environ["PATH"])
    environ.update(env)
    return subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible"), *args],
                          cwd=ROOT, env=environ, capture_output=True, text=True, check=False)


@pytest.mark.playbook
def test_cli_seed_example(tmp_path):
    """The issue's acceptance command, through the real ansible CLI."""
    args = {"network": SEED, "agents": [{"name": n, "ip": f"10.0.0.{i}"} for i, n in enumerate(["a1", "a2", "a3"], 1)],
            "state_file": str(tmp_path / "state.json")}
    proc = ansible("localhost", "-i", "localhost,", "-c", "local", "-m", "mesos.overlay.overlay_allocate",
                   "-e", f"ansible_python_interpreter={sys.executable}",
                   "-a", json.dumps(args), ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    a1 = result["allocations"]["a1"]
    assert a1["vtep_ip"] == "44.128.0.1/16" and a1["vtep_mac"] == "70:b3:d5:80:00:01"
    assert a1["overlays"]["vxlan-1"]["mesos_subnet"] == "192.168.0.0/25"
    assert a1["overlays"]["vxlan-1"]["docker_subnet"] == "192.168.0.128/25"
    assert a1["overlays"]["vxlan-2"]["subnet"] == "192.168.128.0/24"
    assert result["allocations"]["a2"]["vtep_ip"] == "44.128.0.2/16"
    assert result["allocations"]["a3"]["overlays"]["vxlan-1"]["subnet"] == "192.168.2.0/24"


@pytest.mark.playbook
def test_cli_bad_config_message(tmp_path):
    bad = dict(SEED, overlays=[dict(SEED["overlays"][0]), dict(SEED["overlays"][1], prefix=16)])
    args = {"network": bad, "agents": [], "state_file": str(tmp_path / "state.json")}
    proc = ansible("localhost", "-i", "localhost,", "-c", "local", "-m", "mesos.overlay.overlay_allocate",
                   "-e", f"ansible_python_interpreter={sys.executable}",
                   "-a", json.dumps(args), ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    assert proc.returncode != 0
    assert "overlays[1].prefix: 16 is not longer than subnet 192.168.128.0/17" in proc.stdout
    assert not (tmp_path / "state.json").exists()


@pytest.mark.parametrize("agents, message", [
    ("a1", "agents: 'a1' is not a list"),
    ([{"name": "a1", "ip": "10.0.0.1"}, "a2"], "agents[1]: 'a2' is not an object with name and ip"),
    ([{"name": "a1"}], "agents[0].ip: missing"),
    ([{"ip": "10.0.0.1"}], "agents[0].name: missing"),
    ([{"name": 7, "ip": "10.0.0.1"}], "agents[0].name: 7 is not a string"),
    ([{"name": "a1", "ip": "10.0.0.1", "rolle": "master"}], "agents[0].rolle: unknown field (expected one of name, ip, role)"),
    ([{"name": "a1", "ip": "10.0.0.1", "role": "boss"}], "agents[0].role: 'boss' is not agent or master"),
    ([{"name": "a1", "ip": "10.0.0.300"}], "agents[0].ip: '10.0.0.300' is not an IPv4 address"),
])
def test_each_agent_is_checked_in_the_core_naming_the_element(tmp_path, agents, message):
    state = tmp_path / "state.json"
    with pytest.raises(ConfigError, match=re.escape(message)):
        run_allocate(module(state, network=SEED, agents=agents))
    assert not state.exists()


def test_an_agent_without_role_is_an_agent(tmp_path):
    out = run_allocate(module(tmp_path / "state.json", network=SEED, agents=[{"name": "a1", "ip": "10.0.0.1"}]))
    assert out["allocations"]["a1"]["role"] == "agent"


def test_a_state_in_another_layout_is_not_rewritten_when_nothing_changes(tmp_path):
    state = tmp_path / "state.json"
    run_allocate(module(state, network=SEED, agents=AGENTS))
    state.write_text(json.dumps(json.loads(state.read_text()), indent=4))
    before = (digest(state), os.stat(state).st_mtime_ns)
    out = run_allocate(module(state, network=SEED, agents=AGENTS))
    assert not out["changed"]
    assert (digest(state), os.stat(state).st_mtime_ns) == before
