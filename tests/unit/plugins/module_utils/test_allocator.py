"""The allocator: the DC/OS rules, node by node."""

import copy

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    AllocationError,
    Allocator,
    NodeRequest,
    State,
    halves,
    publish,
    vtep_mac,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError, parse_network

from config_samples import SEED  # the configuration of the overlay modules' README


def nodes(*names, base=10):
    return [NodeRequest(n, f"10.0.0.{base + i}") for i, n in enumerate(names)]


def allocate(config, requests, state=None, **kw):
    return Allocator(parse_network(config), state).allocate(requests, **kw)


def test_seed_example_first_three_agents():
    out = publish(allocate(SEED, nodes("a1", "a2", "a3")).state)
    assert list(out) == ["a1", "a2", "a3"]
    a1 = out["a1"]
    assert a1["vtep_ip"] == "44.128.0.1/16"
    assert a1["vtep_mac"] == "70:b3:d5:80:00:01"
    assert a1["vtep_ip6"] is None
    assert a1["overlays"]["vxlan-1"] == {
        "subnet": "192.168.0.0/24", "mesos_subnet": "192.168.0.0/25",
        "docker_subnet": "192.168.0.128/25", "subnet6": None,
        "mesos_subnet6": None, "docker_subnet6": None,
    }
    assert a1["overlays"]["vxlan-2"]["subnet"] == "192.168.128.0/24"
    assert out["a2"]["vtep_ip"] == "44.128.0.2/16"
    assert out["a2"]["vtep_mac"] == "70:b3:d5:80:00:02"
    assert out["a2"]["overlays"]["vxlan-1"]["subnet"] == "192.168.1.0/24"
    assert out["a3"]["overlays"]["vxlan-2"]["subnet"] == "192.168.130.0/24"


def test_design_example_prefix_20():
    config = dict(SEED, vtep_subnet="44.128.0.0/20")
    out = publish(allocate(config, nodes("a1")).state)
    assert out["a1"]["vtep_ip"] == "44.128.0.1/20"


def test_vtep_mac_uses_last_three_bytes():
    assert vtep_mac("44.128.0.1/20", "70:b3:d5:00:00:00") == "70:b3:d5:80:00:01"
    assert vtep_mac("10.1.2.3", "02:00:00:00:00:00") == "02:00:00:01:02:03"


def test_halves():
    assert halves("192.168.0.0/24") == ("192.168.0.0/25", "192.168.0.128/25")
    assert halves("fd01:1::/80") == ("fd01:1::/81", "fd01:1::8000:0:0/81")


def test_returning_node_keeps_its_allocation_and_freed_address_is_reused():
    first = allocate(SEED, nodes("a1", "a2", "a3")).state
    # a2 is released; a4 joins and gets the lowest free address: a2's.
    second = allocate(SEED, nodes("a1", "a3", "a4", base=20), first, remove=["a2"]).state
    out = publish(second)
    assert "a2" not in out
    assert out["a4"]["vtep_ip"] == "44.128.0.2/16"
    assert out["a4"]["overlays"]["vxlan-1"]["subnet"] == "192.168.1.0/24"
    assert out["a1"]["vtep_ip"] == "44.128.0.1/16"
    assert out["a3"]["vtep_ip"] == "44.128.0.3/16"


def test_missing_nodes_keep_allocation_unless_pruned():
    first = allocate(SEED, nodes("a1", "a2", "a3")).state
    kept = allocate(SEED, nodes("a1"), first)
    assert list(kept.state.nodes) == ["a1", "a2", "a3"]
    assert not kept.changed
    pruned = allocate(SEED, nodes("a1"), first, prune=True)
    assert list(pruned.state.nodes) == ["a1"]
    assert pruned.removed == ["a2", "a3"]


def test_reordering_moves_nothing():
    first = allocate(SEED, nodes("a1", "a2", "a3")).state
    again = allocate(SEED, list(reversed(nodes("a1", "a2", "a3"))), first)
    assert not again.changed
    assert publish(again.state) == publish(first)


def test_new_overlay_gets_blocks_for_everyone_nothing_moves():
    first = allocate(SEED, nodes("a1", "a2")).state
    grown = copy.deepcopy(SEED)
    grown["overlays"].append({"name": "vxlan-3", "subnet": "10.64.0.0/16", "prefix": 26})
    result = allocate(grown, nodes("a1", "a2"), first)
    out = publish(result.state)
    assert result.updated == ["a1", "a2"]
    assert out["a1"]["overlays"]["vxlan-3"]["subnet"] == "10.64.0.0/26"
    assert out["a2"]["overlays"]["vxlan-3"]["docker_subnet"] == "10.64.0.96/27"
    for name in ("a1", "a2"):
        for key in ("vxlan-1", "vxlan-2"):
            assert out[name]["overlays"][key] == publish(first)[name]["overlays"][key]


def test_disabled_overlay_gets_nothing_and_keeps_reservations():
    first = allocate(SEED, nodes("a1")).state
    off = copy.deepcopy(SEED)
    off["overlays"][0]["enabled"] = False
    second = allocate(off, nodes("a1", "a2"), first).state
    out = publish(second)
    assert "vxlan-1" not in out["a1"]["overlays"]
    assert "vxlan-1" not in out["a2"]["overlays"]
    # re-enabled: a1 gets its old block back, a2 the next one
    third = publish(allocate(SEED, nodes("a1", "a2"), second).state)
    assert third["a1"]["overlays"]["vxlan-1"]["subnet"] == "192.168.0.0/24"
    assert third["a2"]["overlays"]["vxlan-1"]["subnet"] == "192.168.1.0/24"


def test_removed_overlay_releases_its_blocks():
    first = allocate(SEED, nodes("a1")).state
    fewer = copy.deepcopy(SEED)
    del fewer["overlays"][1]
    result = allocate(fewer, nodes("a1"), first)
    assert result.updated == ["a1"]
    assert list(result.state.nodes["a1"].overlays) == ["vxlan-1"]


def test_ipv6():
    config = copy.deepcopy(SEED)
    config["vtep_subnet6"] = "fd00:44::/64"
    config["overlays"][0].update(subnet6="fd01:1::/64", prefix6=80)
    out = publish(allocate(config, nodes("a1", "a2")).state)
    assert out["a1"]["vtep_ip6"] == "fd00:44::1/64"
    assert out["a2"]["vtep_ip6"] == "fd00:44::2/64"
    v1 = out["a2"]["overlays"]["vxlan-1"]
    assert v1["subnet6"] == "fd01:1:0:0:1::/80"
    assert v1["mesos_subnet6"] == "fd01:1:0:0:1::/81"
    assert v1["docker_subnet6"] == "fd01:1::1:8000:0:0/81"
    assert out["a1"]["overlays"]["vxlan-2"]["subnet6"] is None


def test_ipv6_added_later_moves_nothing():
    first = allocate(SEED, nodes("a1")).state
    config = copy.deepcopy(SEED)
    config["vtep_subnet6"] = "fd00:44::/64"
    config["overlays"][1].update(subnet6="fd01:2::/64", prefix6=80)
    out = publish(allocate(config, nodes("a1"), first).state)
    assert out["a1"]["vtep_ip"] == "44.128.0.1/16"
    assert out["a1"]["vtep_ip6"] == "fd00:44::1/64"
    assert out["a1"]["overlays"]["vxlan-2"]["subnet6"] == "fd01:2::/80"


def test_masters_are_recorded_and_allocated():
    requests = [NodeRequest("m1", "10.0.0.2", "master")] + nodes("a1")
    out = publish(allocate(SEED, requests).state)
    assert out["m1"]["role"] == "master"
    assert out["m1"]["vtep_ip"] == "44.128.0.1/16"
    assert out["m1"]["overlays"]["vxlan-1"]["subnet"] == "192.168.0.0/24"


def test_underlay_ip_change_is_recorded_without_moving():
    first = allocate(SEED, nodes("a1")).state
    result = allocate(SEED, [NodeRequest("a1", "10.9.9.9")], first)
    assert result.updated == ["a1"]
    assert publish(result.state)["a1"]["ip"] == "10.9.9.9"
    assert publish(result.state)["a1"]["vtep_ip"] == "44.128.0.1/16"


def test_two_nodes_one_ip():
    with pytest.raises(ConfigError, match=r"agents\[1\].ip: 10.0.0.1 of 'a2' is also the IP of 'a1'"):
        allocate(SEED, [NodeRequest("a1", "10.0.0.1"), NodeRequest("a2", "10.0.0.1")])
    first = allocate(SEED, nodes("a1")).state
    with pytest.raises(ConfigError, match=r"10.0.0.10 of 'a9' is already the IP of known node 'a1'"):
        allocate(SEED, [NodeRequest("a9", "10.0.0.10")], first)


def test_bad_agent_entries():
    with pytest.raises(ConfigError, match=r"agents\[0\].ip: 'x' is not an IPv4 address"):
        allocate(SEED, [NodeRequest("a1", "x")])
    with pytest.raises(ConfigError, match=r"agents\[1\].name: 'a1' is listed twice"):
        allocate(SEED, [NodeRequest("a1", "10.0.0.1"), NodeRequest("a1", "10.0.0.2")])


def test_exhausted_overlay_names_overlay_and_capacity():
    small = copy.deepcopy(SEED)
    small["overlays"][1].update(subnet="192.168.128.0/23", prefix=24)
    with pytest.raises(AllocationError, match=r"overlay 'vxlan-2': subnet 192.168.128.0/23 has no /24 block left for 'a3' \(capacity 2 blocks\)"):
        allocate(small, nodes("a1", "a2", "a3"))


def test_exhausted_vtep_subnet():
    small = dict(SEED, vtep_subnet="44.128.0.0/30")
    with pytest.raises(AllocationError, match=r"vtep_subnet 44.128.0.0/30: no VTEP address left for 'a3' \(capacity 2 nodes\)"):
        allocate(small, nodes("a1", "a2", "a3"))


@pytest.mark.parametrize("change,message", [
    ({"vtep_subnet": "44.129.0.0/16"}, "vtep_subnet: 44.129.0.0/16 differs from 44.128.0.0/16"),
    ({"vtep_mac_oui": "02:00:00:00:00:00"}, "vtep_mac_oui: 02:00:00:00:00:00 differs from 70:b3:d5:00:00:00"),
])
def test_changes_that_would_move_allocations_are_refused(change, message):
    first = allocate(SEED, nodes("a1")).state
    with pytest.raises(ConfigError, match=message):
        allocate(dict(SEED, **change), nodes("a1"), first)


def test_overlay_readdressing_is_refused():
    first = allocate(SEED, nodes("a1")).state
    moved = copy.deepcopy(SEED)
    moved["overlays"][1]["prefix"] = 25
    with pytest.raises(ConfigError, match=r"overlays\[1\].prefix: 25 differs from 24 of overlay 'vxlan-2'"):
        allocate(moved, nodes("a1"), first)


def test_state_round_trip():
    state = allocate(SEED, nodes("a1", "a2")).state
    assert State.from_dict(state.to_dict()).to_dict() == state.to_dict()
    with pytest.raises(AllocationError, match="schema_version 7 is not supported"):
        State.from_dict(dict(state.to_dict(), schema_version=7))


def test_ten_thousand_nodes_in_one_pass():
    config = copy.deepcopy(SEED)
    config["overlays"] = [
        {"name": f"o{i}", "subnet": f"10.{64 * i}.0.0/10", "prefix": 26} for i in range(4)
    ]
    requests = [NodeRequest(f"n{i}", f"172.16.{i // 250}.{i % 250 + 1}") for i in range(10000)]
    out = publish(allocate(config, requests).state)
    assert out["n9999"]["vtep_ip"] == "44.128.39.16/16"
    assert out["n9999"]["overlays"]["o3"]["subnet"] == "10.201.195.192/26"
