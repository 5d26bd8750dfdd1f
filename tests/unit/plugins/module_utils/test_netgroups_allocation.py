"""Netgroups in the configuration and the allocator: names, policy IDs, docker blocks."""

import copy

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    AllocationError,
    Allocator,
    NodeRequest,
    State,
    publish,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError, parse_network

from config_samples import SEED


def config(netgroups=None, **overlay0):
    data = copy.deepcopy(SEED)
    if netgroups is not None:
        data["netgroups"] = netgroups
    data["overlays"][0].update(overlay0)
    return data


def allocate(data, state=None, names=("a1", "a2"), masters=()):
    reqs = [NodeRequest(n, f"10.0.0.{10 + i}", "master") for i, n in enumerate(masters)]
    reqs += [NodeRequest(n, f"10.0.1.{10 + i}") for i, n in enumerate(names)]
    return Allocator(parse_network(data), state).allocate(reqs)


def test_netgroups_and_isolated_are_read_and_kept_out_of_the_dict_when_unused():
    net = parse_network(config(["blue", "red"], isolated=True))
    assert net.netgroups == ("blue", "red")
    assert net.overlays[0].isolated and not net.overlays[1].isolated
    out = net.to_dict()
    assert out["netgroups"] == ["blue", "red"]
    assert out["overlays"][0]["isolated"] is True
    assert "isolated" not in out["overlays"][1]
    assert "netgroups" not in parse_network(SEED).to_dict()


@pytest.mark.parametrize("value, message", [
    ("blue", "netgroups: 'blue' is not a list of names"),
    ([""], "netgroups[0]: '' is not a name"),
    ([7], "netgroups[0]: 7 is not a name"),
    (["blue", "blue"], "netgroups[1]: 'blue' is already netgroups[0]"),
    (["a,b"], "netgroups[0]: 'a,b' may hold only letters"),
    (["-x"], "netgroups[0]: '-x' may hold only letters"),
    (["ok\n"], "netgroups[0]: 'ok\\n' may hold only letters"),
    (["x" * 25], "is longer than 24 characters"),
    ([f"g{i}" for i in range(13)], "netgroups: 13 netgroups, at most 12"),
])
def test_bad_netgroups_are_refused_naming_the_field(value, message):
    with pytest.raises(ConfigError, match=None) as err:
        parse_network(config(value))
    assert message in str(err.value)


def test_bad_isolated_is_refused():
    with pytest.raises(ConfigError, match=r"overlays\[0\].isolated: 'maybe' is not a boolean"):
        parse_network(config(isolated="maybe"))


def test_policy_ids_are_bits_kept_and_reused_only_when_released():
    first = allocate(config(["blue", "red"])).state
    assert first.netgroups == {"blue": 1, "red": 2}
    # reordering and adding moves nothing; a released ID is the lowest free again
    second = allocate(config(["green", "red", "blue"]), first).state
    assert second.netgroups == {"green": 4, "red": 2, "blue": 1}
    third = allocate(config(["red", "green", "pink"]), second).state
    assert third.netgroups == {"red": 2, "green": 4, "pink": 1}
    assert State.from_dict(third.to_dict()).netgroups == third.netgroups


def test_docker_blocks_per_agent_overlay_and_netgroup_never_move():
    plain = allocate(config()).state
    grouped = allocate(config(["blue", "red"]), plain, masters=("m1",)).state
    out = publish(grouped)
    # the nodes' own blocks did not move; masters get no netgroup blocks
    for name in ("a1", "a2"):
        before = publish(plain)[name]["overlays"]["vxlan-1"]
        assert {k: v for k, v in out[name]["overlays"]["vxlan-1"].items() if k != "netgroups"} == before
    assert out["a1"]["overlays"]["vxlan-1"]["netgroups"] == {
        "blue": "192.168.3.0/24", "red": "192.168.4.0/24"}
    assert out["a2"]["overlays"]["vxlan-1"]["netgroups"] == {
        "blue": "192.168.5.0/24", "red": "192.168.6.0/24"}
    assert "netgroups" not in out["m1"]["overlays"]["vxlan-1"]
    # a rerun changes nothing; turning netgroups off releases the blocks only
    again = allocate(config(["blue", "red"]), grouped, masters=("m1",))
    assert again.state.to_dict() == grouped.to_dict()
    off = allocate(config(), grouped, masters=("m1",)).state
    assert off.netgroups == {}
    assert "netgroups" not in off.to_dict()
    assert all("netgroups" not in o for n in publish(off).values() for o in n["overlays"].values())


def test_a_new_agent_gets_the_lowest_free_blocks_around_netgroup_blocks():
    grouped = allocate(config(["blue"])).state
    more = allocate(config(["blue"]), grouped, names=("a1", "a2", "a3")).state
    out = publish(more)["a3"]["overlays"]["vxlan-1"]
    assert out["subnet"] == "192.168.4.0/24"
    assert out["netgroups"] == {"blue": "192.168.5.0/24"}


def test_netgroup_blocks_exhausting_the_overlay_name_it():
    data = config(["blue"], subnet="192.168.0.0/23", prefix=24)
    with pytest.raises(AllocationError, match="netgroup 'blue' on 'a1'"):
        allocate(data)
