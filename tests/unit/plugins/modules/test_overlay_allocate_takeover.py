"""overlay_allocate taking over what exists: a DC/OS dump, another store's
document, the nodes' own records (never renumber; recover a lost state)."""

import copy
import hashlib
import ipaddress
import json
import os

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError
from ansible_collections.mesos.overlay.plugins.module_utils.allocate import run_allocate
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_fact
from allocate_params import allocate_module

HERE = os.path.dirname(os.path.abspath(__file__))
DUMP_PATH = os.path.join(HERE, "..", "..", "files", "overlay-master-state.json")
with open(DUMP_PATH, encoding="utf-8") as _handle:
    DUMP = json.load(_handle)
NETWORK = DUMP["network"]
CLUSTER = [
    {"name": "master1", "ip": "10.0.0.9", "role": "master"},
    {"name": "agent-a", "ip": "10.0.0.5", "role": "agent"},
    {"name": "agent-b", "ip": "10.0.0.6", "role": "agent"},
]
NEW = {"name": "agent-new", "ip": "10.0.0.20", "role": "agent"}


def run(state, **params):
    params.setdefault("network", NETWORK)
    params.setdefault("agents", CLUSTER)
    return run_allocate(allocate_module(state_file=str(state), **params))


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def norm(cidr):
    return str(ipaddress.ip_interface(cidr))


def records(allocations):
    """Each node's record, as the agent role writes it."""
    return {name: node_fact(alloc) for name, alloc in allocations.items()}


# ---------------------------------------------------------------------------
# A DC/OS dump


def test_imported_agents_keep_exactly_what_they_hold_and_new_nodes_get_the_lowest_free(tmp_path):
    out = run(tmp_path / "s.json", agents=CLUSTER + [NEW], import_state=DUMP_PATH)
    got = out["allocations"]
    assert out["seeded"] == ["master1", "agent-b", "agent-a"]  # by VTEP address
    by_ip = {a["ip"]: a["name"] for a in CLUSTER}
    for agent in DUMP["agents"]:
        mine = got[by_ip[agent["ip"]]]
        for entry in agent["overlays"]:
            vxlan = entry["backend"]["vxlan"]
            assert mine["vtep_ip"] == vxlan["vtep_ip"]
            assert mine["vtep_ip6"] == vxlan["vtep_ip6"]
            assert mine["vtep_mac"] == vxlan["vtep_mac"].lower()
            block = mine["overlays"][entry["info"]["name"]]
            assert block["subnet"] == entry["subnet"]
            assert block["mesos_subnet"] == entry["mesos_bridge"]["ip"]
            assert block["docker_subnet"] == entry["docker_bridge"]["ip"]
            if entry.get("subnet6"):
                assert norm(block["subnet6"]) == norm(entry["subnet6"])
                assert norm(block["mesos_subnet6"]) == norm(entry["mesos_bridge"]["ip6"])
                assert norm(block["docker_subnet6"]) == norm(entry["docker_bridge"]["ip6"])
    # master1 had no dcos6 block: the lowest free one; the new node: the lowest free of all.
    assert got["master1"]["overlays"]["dcos6"]["subnet"] == "12.0.1.0/24"
    assert got["agent-new"]["vtep_ip"] == "44.128.0.3/20"
    assert got["agent-new"]["vtep_ip6"] == "fd01:a::3/64"
    assert got["agent-new"]["vtep_mac"] == "70:b3:d5:80:00:03"
    assert got["agent-new"]["overlays"]["dcos"]["subnet"] == "9.0.2.0/24"
    assert got["agent-new"]["overlays"]["dcos6"]["subnet"] == "12.0.2.0/24"
    assert got["agent-new"]["overlays"]["dcos6"]["subnet6"] == "fd01:b:0:0:2::/80"


def test_importing_again_changes_nothing(tmp_path):
    state = tmp_path / "s.json"
    run(state, import_state=DUMP_PATH)
    before = (digest(state), os.stat(state).st_mtime_ns)
    again = run(state, import_state=DUMP, agents=CLUSTER[::-1])
    assert not again["changed"] and again["seeded"] == []
    assert (digest(state), os.stat(state).st_mtime_ns) == before


def _dump(change):
    dump = copy.deepcopy(DUMP)
    change(dump)
    return dump


def _set_vtep(dump, agent, value):
    for entry in dump["agents"][agent]["overlays"]:
        entry["backend"]["vxlan"]["vtep_ip"] = value
        entry["backend"]["vxlan"]["vtep_mac"] = "70:b3:d5:80:00:" + value.split("/")[0].split(".")[-1].zfill(2)


def _set_block(dump, agent, subnet):
    entry = dump["agents"][agent]["overlays"][0]
    entry.update(subnet=subnet)
    del entry["mesos_bridge"], entry["docker_bridge"]


CONFLICTS = [
    (lambda d: d["network"].update(vtep_subnet="44.128.0.0/16"),
     "network vtep_subnet: 44.128.0.0/16 in the dump, 44.128.0.0/20 in the configuration"),
    (lambda d: d["network"]["overlays"].append({"name": "gone", "subnet": "13.0.0.0/8", "prefix": 24}),
     "network.overlays: 'gone' is not in the configuration; its blocks would be lost"),
    (lambda d: d["agents"].append({"ip": "10.0.0.99", "overlays": []}),
     r"agents\[3\]: agent 10.0.0.99 is not a node of this run"),
    (lambda d: _set_vtep(d, 0, "44.128.0.2/20"),
     "agent-b claims vtep_ip 44.128.0.2/20, which agent-a holds .* two nodes cannot hold one address"),
    (lambda d: _set_vtep(d, 0, "44.129.0.7/20"), "vtep_ip 44.129.0.7/20 is not an address of 44.128.0.0/20"),
    (lambda d: _set_block(d, 1, "9.0.3.0/24"),
     "agent-a claims dcos.subnet 9.0.3.0/24, which agent-b holds|agent-b claims dcos.subnet 9.0.3.0/24"),
    (lambda d: _set_block(d, 1, "9.0.3.0/25"),
     "dcos.subnet 9.0.3.0/25 is not a /24 block of 9.0.0.0/8"),
    (lambda d: d["agents"][2]["overlays"][0]["backend"]["vxlan"].update(vtep_mac="70:b3:d5:80:00:09"),
     "vtep_mac 70:b3:d5:80:00:09 is not 70:b3:d5:80:00:01, the MAC of vtep_ip 44.128.0.1/20"),
    (lambda d: d.pop("agents"), r"not a dump of /overlay-master/state \(no 'agents' list\)"),
    (lambda d: d["agents"][0]["overlays"][1]["docker_bridge"].update(ip6="fd01:b:0:0:3::/81"),
     r"agents\[0\]: overlay 'dcos6': docker_bridge.ip6 fd01:b:0:0:3::/81 is not"
     r" fd01:b::3:8000:0:0/81, the upper half of fd01:b::3:0:0:0/80"),
]


@pytest.mark.parametrize("change,message", CONFLICTS, ids=[str(i) for i in range(len(CONFLICTS))])
def test_a_conflicting_dump_is_refused_with_the_reason_and_nothing_is_written(tmp_path, change, message):
    state = tmp_path / "s.json"
    with pytest.raises(ConfigError, match=message):
        run(state, import_state=_dump(change))
    assert not state.exists()


def test_a_dump_conflicting_with_the_stored_state_is_refused(tmp_path):
    state = tmp_path / "s.json"
    run(state)  # allocated afresh: master1 got 44.128.0.1/20 like the dump, but 9.0.0.0/24
    before = digest(state)
    with pytest.raises(ConfigError, match=r"agents\[2\] \(10.0.0.9\): master1 holds dcos.subnet 9.0.1.0/24,"
                                          " the stored state gives it 9.0.0.0/24; fix or release one"):
        run(state, import_state=DUMP)
    assert digest(state) == before


def test_a_dump_under_another_configuration_is_refused(tmp_path):
    other = dict(NETWORK, vtep_mac_oui="70:B3:D6:00:00:00")
    with pytest.raises(ConfigError, match="vtep_mac_oui: 70:b3:d5:00:00:00 in the dump, 70:b3:d6:00:00:00"):
        run(tmp_path / "s.json", network=other, import_state=DUMP)


# ---------------------------------------------------------------------------
# Another store's document


def test_a_state_document_imports_byte_for_byte(tmp_path):
    first = tmp_path / "first.json"
    run(first, agents=CLUSTER + [NEW])
    run(first, agents=[NEW], remove=["agent-a"])  # a hole, and an order that is not by address
    second = tmp_path / "second.json"
    out = run(second, agents=[], import_state=str(first))
    assert out["changed"] and second.read_bytes() == first.read_bytes()


# ---------------------------------------------------------------------------
# Never renumber; recover a lost state from the nodes' records


def test_a_node_holding_something_else_is_refused_before_anything_is_written(tmp_path):
    state = tmp_path / "s.json"
    held = records(run(state)["allocations"])
    state.unlink()
    reordered = [CLUSTER[2], CLUSTER[0], CLUSTER[1]]
    with pytest.raises(ConfigError) as err:
        run(state, agents=reordered, node_records=held)
    text = str(err.value)
    assert "refusing to renumber 3 node(s), nothing was written or touched" in text
    assert ("agent-b holds vtep_ip 44.128.0.3/20, vtep_ip6 fd01:a::3/64, vtep_mac 70:b3:d5:80:00:03,"
            " dcos.subnet 9.0.2.0/24, dcos6.subnet 12.0.2.0/24, dcos6.subnet6 fd01:b:0:0:2::/80;"
            " the allocation would give it vtep_ip 44.128.0.1/20") in text
    assert "overlay_recover: true" in text and "remove_agents.yml" in text
    assert not state.exists()


def test_gaining_an_overlay_or_ipv6_is_not_renumbering(tmp_path):
    state = tmp_path / "s.json"
    v4 = dict(NETWORK, vtep_subnet6=None, overlays=[NETWORK["overlays"][0]])
    held = records(run(state, network=v4, import_state=None)["allocations"])
    out = run(state, node_records=held)
    assert out["changed"] and not out["added"]


def _lose_and_recover(state, agents):
    lost = state.read_bytes()
    held = records(run(state, agents=agents)["allocations"])
    state.unlink()
    with pytest.raises(ConfigError, match="refusing to renumber"):
        # e.g. a run limited to the last nodes: afresh, they would get the first addresses
        run(state, agents=agents[::-1], node_records=held)
    assert not state.exists()
    out = run(state, agents=agents, node_records=held, recover=True)
    assert out["seeded"] == [a["name"] for a in agents] and not out["added"]
    assert not run(state, agents=agents, node_records=held, recover=True)["changed"]
    return lost, out


def test_recover_rebuilds_a_lost_state_byte_for_byte(tmp_path):
    state = tmp_path / "s.json"
    run(state, agents=CLUSTER + [NEW])
    lost, _out = _lose_and_recover(state, CLUSTER + [NEW])
    assert state.read_bytes() == lost


def test_recover_after_a_hole_was_refilled_gives_the_same_allocations(tmp_path):
    """Records do not say in which order nodes came: recovered nodes are in address order."""
    state = tmp_path / "s.json"
    agent_c = {"name": "agent-c", "ip": "10.0.0.30", "role": "agent"}
    run(state, agents=CLUSTER + [NEW])
    run(state, agents=[], remove=["agent-a"])
    run(state, agents=[agent_c])  # takes agent-a's VTEP address and blocks
    everyone = [CLUSTER[0], agent_c, CLUSTER[2], NEW]
    lost, out = _lose_and_recover(state, everyone)
    assert json.loads(state.read_bytes())["nodes"] == json.loads(lost)["nodes"]
    assert out["seeded"] == ["master1", "agent-c", "agent-b", "agent-new"]


def test_recover_refuses_two_nodes_claiming_one_address(tmp_path):
    state = tmp_path / "s.json"
    held = records(run(state)["allocations"])
    held["agent-b"]["vtep"]["ip"] = held["agent-a"]["vtep"]["ip"]
    held["agent-b"]["vtep"]["mac"] = held["agent-a"]["vtep"]["mac"]
    state.unlink()
    with pytest.raises(ConfigError, match="the record on agent-b: agent-b claims vtep_ip 44.128.0.2/20,"
                                          " which agent-a holds .the record on agent-a.; two nodes"):
        run(state, node_records=held, recover=True)
    assert not state.exists()


# ---------------------------------------------------------------------------
# Netgroups: the docker blocks of each agent's netgroups and the policy IDs

GROUPED = dict(NETWORK, netgroups=["blue", "red"])


def grouped_records(out):
    """Each node's record as the agent role writes it: with netgroups, its netgroup policy
    (the IDs the master role published) beside what node_fact holds."""
    return {name: dict(rec, netgroups={"ids": dict(out["netgroups"]), "isolated": [],
                                       "state": {"status": "STATUS_OK"}})
            for name, rec in records(out["allocations"]).items()}


def _grouped_cluster(state):
    """blue came first, red later: red's ID and blocks are not where a fresh run puts them."""
    run(state, network=dict(NETWORK, netgroups=["blue"]), agents=CLUSTER + [NEW])
    out = run(state, network=dict(NETWORK, netgroups=["red", "blue"]), agents=CLUSTER + [NEW])
    assert out["netgroups"] == {"red": 2, "blue": 1}
    return out, grouped_records(out)


def _netgroup_part(doc):
    return doc.get("netgroups"), {name: {o: e.get("netgroups") for o, e in node["overlays"].items()}
                                  for name, node in doc["nodes"].items()}


def test_a_lost_state_refuses_to_move_the_netgroups_ids_and_docker_blocks(tmp_path):
    state = tmp_path / "s.json"
    _out, held = _grouped_cluster(state)
    state.unlink()
    with pytest.raises(ConfigError) as err:  # afresh, red would get ID 1 and the first blocks
        run(state, network=dict(NETWORK, netgroups=["red", "blue"]), agents=CLUSTER + [NEW], node_records=held)
    text = str(err.value)
    assert "refusing to renumber 4 node(s)" in text
    assert ("agent-a holds dcos netgroup blue 9.0.4.0/24, dcos netgroup red 9.0.7.0/24, dcos6 netgroup blue"
            " 12.0.4.0/24, dcos6 netgroup red 12.0.7.0/24, netgroup blue policy ID 1, netgroup red policy ID 2;"
            " the allocation would give it dcos netgroup blue 9.0.5.0/24, dcos netgroup red 9.0.4.0/24,") in text
    assert "master1 holds netgroup blue policy ID 1, netgroup red policy ID 2; the allocation would give it" \
           " netgroup blue policy ID 2, netgroup red policy ID 1" in text
    assert not state.exists()


def test_recover_rebuilds_the_netgroups_ids_and_docker_blocks_exactly(tmp_path):
    state = tmp_path / "s.json"
    _out, held = _grouped_cluster(state)
    lost_bytes = state.read_bytes()
    lost = json.loads(lost_bytes)
    state.unlink()
    out = run(state, network=dict(NETWORK, netgroups=["red", "blue"]), agents=CLUSTER + [NEW],
              node_records=held, recover=True)
    assert not out["added"]
    got = json.loads(state.read_bytes())
    assert got == lost and _netgroup_part(got) == _netgroup_part(lost)
    assert state.read_bytes() == lost_bytes
    assert out["netgroups"] == {"red": 2, "blue": 1}
    assert not run(state, network=dict(NETWORK, netgroups=["red", "blue"]), agents=CLUSTER + [NEW],
                   node_records=held, recover=True)["changed"]


def test_recover_in_the_order_of_allocation_is_byte_for_byte(tmp_path):
    """The records hold a node's docker blocks by netgroup name; the document keeps the
    configuration's order (here not the names' order)."""
    state = tmp_path / "s.json"
    unsorted = dict(NETWORK, netgroups=["red", "blue"])
    out = run(state, network=unsorted, agents=CLUSTER + [NEW])
    lost = state.read_bytes()
    state.unlink()
    run(state, network=unsorted, agents=CLUSTER + [NEW], node_records=grouped_records(out), recover=True)
    assert state.read_bytes() == lost


def test_recover_from_records_without_netgroup_fields_still_works(tmp_path):
    """Records written before they held the docker blocks (and a node without a policy)."""
    state = tmp_path / "s.json"
    out = run(state, network=GROUPED, agents=CLUSTER + [NEW])
    lost = state.read_bytes()
    held = records(out["allocations"])
    for rec in held.values():
        for entry in rec["overlays"].values():
            entry.pop("netgroups", None)
    state.unlink()
    run(state, network=GROUPED, agents=CLUSTER + [NEW], node_records=held, recover=True)
    assert state.read_bytes() == lost  # allocated in the order they were: nothing told otherwise


def _swap_ids(held):
    held["agent-b"]["netgroups"]["ids"] = {"blue": 2, "red": 1}


def _two_ids(held):
    held["agent-b"]["netgroups"]["ids"] = {"blue": 1, "red": 4}


def _one_id_twice(held):
    for record in held.values():
        record["netgroups"]["ids"] = {"blue": 1, "red": 1}


def _take_block(held):
    blocks = held["agent-b"]["overlays"]["dcos"]["netgroups"]
    blocks["blue"] = held["agent-a"]["overlays"]["dcos"]["netgroups"]["red"]


def _take_subnet(held):
    held["agent-b"]["overlays"]["dcos"]["netgroups"]["blue"] = held["master1"]["overlays"]["dcos"]["subnet"]


def _own_block_twice(held):
    held["agent-b"]["overlays"]["dcos"]["netgroups"]["blue"] = held["agent-b"]["overlays"]["dcos"]["subnet"]


def _bad_block(held):
    held["agent-b"]["overlays"]["dcos"]["netgroups"]["blue"] = "9.0.7.0/25"


def _bad_id(held):
    held["agent-b"]["netgroups"]["ids"]["blue"] = 3


NETGROUP_CONFLICTS = [
    (_swap_ids, "the record on agent-b: agent-b holds netgroup blue policy ID 2, the record on master1 gives it 1;"
                r" one netgroup cannot have two policy IDs \(the nodes would disagree on the wire\)"),
    (_two_ids, "agent-b holds netgroup red policy ID 4, the record on master1 gives it 2; one netgroup"),
    (_one_id_twice, "the record on master1: master1 holds netgroup red policy ID 1, which is the policy ID of"
                    " netgroup 'blue' .the record on master1.; two netgroups cannot share one ID"),
    (_take_block, "the record on agent-b: agent-b claims dcos netgroup blue 9.0.5.0/24, which agent-a holds as"
                  " dcos netgroup red .the record on agent-a.; two nodes cannot hold one address"),
    (_take_subnet, "agent-b claims dcos netgroup blue 9.0.0.0/24, which master1 holds as dcos.subnet"
                   " .the record on master1.; two nodes"),
    (_own_block_twice, "agent-b claims dcos netgroup blue 9.0.2.0/24, which agent-b holds as dcos.subnet"
                       " .the record on agent-b.; one block cannot serve two networks"),
    (_bad_block, "the record on agent-b: dcos netgroup blue 9.0.7.0/25 is not a /24 block of 9.0.0.0/8"),
    (_bad_id, "the record on agent-b: netgroup blue policy ID 3 is not a single bit of 0x0fff"),
]


@pytest.mark.parametrize("change,message", NETGROUP_CONFLICTS, ids=[c[0].__name__ for c in NETGROUP_CONFLICTS])
def test_recover_refuses_conflicting_netgroup_claims(tmp_path, change, message):
    state = tmp_path / "s.json"
    held = grouped_records(run(state, network=GROUPED, agents=CLUSTER + [NEW]))
    change(held)
    state.unlink()
    with pytest.raises(ConfigError, match=message):
        run(state, network=GROUPED, agents=CLUSTER + [NEW], node_records=held, recover=True)
    assert not state.exists()


def test_recover_refuses_an_id_the_stored_state_gives_another_netgroup(tmp_path):
    state = tmp_path / "s.json"
    held = grouped_records(run(state, network=GROUPED, agents=CLUSTER + [NEW]))
    for rec in held.values():
        rec["netgroups"]["ids"] = {"blue": 2, "red": 1}
    before = digest(state)
    with pytest.raises(ConfigError, match="the record on master1: master1 holds netgroup blue policy ID 2,"
                                          " the stored state gives it 1"):
        run(state, network=GROUPED, agents=CLUSTER + [NEW], node_records=held, recover=True)
    assert digest(state) == before


def test_a_netgroup_no_longer_configured_is_not_recovered(tmp_path):
    """Its ID and docker blocks are free after the run, as a removal frees them."""
    state = tmp_path / "s.json"
    held = grouped_records(run(state, network=GROUPED, agents=CLUSTER + [NEW]))
    state.unlink()
    out = run(state, network=dict(NETWORK, netgroups=["red"]), agents=CLUSTER + [NEW],
              node_records=held, recover=True)
    assert out["netgroups"] == {"red": 2}
    for name in ("agent-a", "agent-b", "agent-new"):
        blocks = held[name]["overlays"]["dcos"]["netgroups"]
        assert out["allocations"][name]["overlays"]["dcos"]["netgroups"] == {"red": blocks["red"]}


def test_a_state_document_imports_its_netgroups(tmp_path):
    first = tmp_path / "first.json"
    _grouped_cluster(first)
    second = tmp_path / "second.json"
    run(second, network=dict(NETWORK, netgroups=["red", "blue"]), agents=[], import_state=str(first))
    assert json.loads(second.read_bytes()) == json.loads(first.read_bytes())
