"""The master role's filters: the configuration and pool check, the nodes read from host variables."""

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mesos.overlay.plugins.filter.master import (
    FilterModule,
    overlay_network_check,
    overlay_nodes,
    overlay_unaddressed,
)

NETWORK = {"vtep_subnet": "44.128.0.0/29", "vtep_mac_oui": "70:B3:D5:00:00:00",
           "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/22", "prefix": 24},
                        {"name": "off", "subnet": "192.168.8.0/24", "prefix": 25, "enabled": False}]}

HOSTVARS = {
    "m1": {"overlay_agent_ip": "10.0.0.2"},
    "a1": {"ansible_facts": {"default_ipv4": {"address": "10.0.0.11"}}},
    "a2": {"ansible_default_ipv4": {"address": "10.0.0.12"}},
    "a3": {},
    "a4": {"overlay_agent_ip": ""},
}


def test_network_check_returns_the_normalised_configuration():
    got = overlay_network_check(NETWORK, nodes=4)
    assert got["vtep_mac_oui"] == "70:b3:d5:00:00:00"
    assert [o["name"] for o in got["overlays"]] == ["vxlan-1", "off"]


def test_network_check_reads_a_file_with_network_as_defaults(tmp_path):
    path = tmp_path / "overlays.json"
    path.write_text(json.dumps(NETWORK["overlays"]))
    got = overlay_network_check({"vtep_subnet": "44.128.0.0/16", "vtep_mac_oui": "70:B3:D5:00:00:00"},
                                network_file=str(path), nodes=3)
    assert got["vtep_subnet"] == "44.128.0.0/16"


def test_a_pool_too_small_for_the_cluster_names_the_field():
    # /29: six VTEP addresses; 192.168.0.0/22 in /24: four blocks; the disabled overlay counts for nothing
    with pytest.raises(AnsibleFilterError, match=r"overlays\[0\].subnet: 192.168.0.0/22 holds 4 /24 blocks,"
                                                 r" too few for the 5 nodes of the cluster"):
        overlay_network_check(NETWORK, nodes=5)
    with pytest.raises(AnsibleFilterError, match="vtep_subnet: 44.128.0.0/29 holds 6 addresses, too few for the 7 nodes"):
        overlay_network_check(dict(NETWORK, overlays=[{"name": "big", "subnet": "10.0.0.0/8", "prefix": 24}]), nodes=7)
    six = dict(NETWORK, vtep_subnet="44.128.0.0/16", vtep_subnet6="fd00::/126",
               overlays=[{"name": "big", "subnet": "10.0.0.0/8", "prefix": 24,
                          "subnet6": "fd01::/64", "prefix6": 66}])
    with pytest.raises(AnsibleFilterError, match="vtep_subnet6: fd00::/126 holds 2 addresses"):
        overlay_network_check(six, nodes=3)
    with pytest.raises(AnsibleFilterError, match=r"overlays\[0\].subnet6: fd01::/64 holds 4 /66 blocks"):
        overlay_network_check(dict(six, vtep_subnet6="fd00::/64"), nodes=5)


def test_a_bad_configuration_names_the_field():
    bad = dict(NETWORK, overlays=[{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 16}])
    with pytest.raises(AnsibleFilterError, match=r"overlays\[0\].prefix: 16 is not longer than subnet 192.168.0.0/17"):
        overlay_network_check(bad, nodes=1)


def test_unaddressed_are_the_nodes_with_neither_address_in_order():
    assert overlay_unaddressed(["m1", "a1", "a2", "a3", "a4"], HOSTVARS) == ["a3", "a4"]
    assert overlay_unaddressed(["a4", "a3", "a1"], HOSTVARS, among=["a3", "a1"]) == ["a3"]


def test_nodes_in_order_with_roles_only_those_in_play_less_skipped():
    got = overlay_nodes(["m1", "a1", "a2", "a3"], HOSTVARS, ["m1"], among=["a2", "a1", "m1", "a3"], skip=["a3"])
    assert got == [{"name": "m1", "ip": "10.0.0.2", "role": "master"},
                   {"name": "a1", "ip": "10.0.0.11", "role": "agent"},
                   {"name": "a2", "ip": "10.0.0.12", "role": "agent"}]
    assert [n["name"] for n in overlay_nodes(["m1", "a1", "a2"], HOSTVARS, among=["a2"])] == ["a2"]


def test_nodes_without_an_address_are_named():
    with pytest.raises(AnsibleFilterError, match="overlay_agent_ip: not set for a3, a4, and no default IPv4 address"):
        overlay_nodes(["m1", "a3", "a4"], HOSTVARS)
    many = {f"h{i}": {} for i in range(25)}
    with pytest.raises(AnsibleFilterError, match=r"h0, h1, .*, h9, \.\.\. \(25 in all\)"):
        overlay_nodes(list(many), many)


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"overlay_network_check", "overlay_unaddressed", "overlay_nodes"}
