"""The overlay filters, called as Python and through Jinja."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mesos.overlay.plugins.filter.overlay import (
    FilterModule,
    overlay_halves,
    overlay_peer_list,
    overlay_vtep_mac,
)

ALLOCATIONS = {
    "m1": {"ip": "10.0.0.2", "role": "master", "vtep_ip": "44.128.0.1/16", "vtep_ip6": None,
           "vtep_mac": "70:b3:d5:80:00:01",
           "overlays": {"vxlan-1": {"subnet": "192.168.0.0/24", "subnet6": None}}},
    "a1": {"ip": "10.0.0.11", "role": "agent", "vtep_ip": "44.128.0.2/16", "vtep_ip6": "fd00::2/64",
           "vtep_mac": "70:b3:d5:80:00:02",
           "overlays": {"vxlan-1": {"subnet": "192.168.1.0/24", "subnet6": "fd01::1:0:0/96"},
                        "vxlan-2": {"subnet": "192.168.129.0/24", "subnet6": None}}},
}


def test_halves():
    assert overlay_halves("192.168.0.0/24") == ["192.168.0.0/25", "192.168.0.128/25"]
    with pytest.raises(AnsibleFilterError, match="'192.168.0.1/24' is not a block that can be halved"):
        overlay_halves("192.168.0.1/24")
    with pytest.raises(AnsibleFilterError, match="24 is not a subnet"):
        overlay_halves(24)


def test_vtep_mac():
    assert overlay_vtep_mac("44.128.0.1/16", "70:B3:D5:00:00:00") == "70:b3:d5:80:00:01"
    assert overlay_vtep_mac("44.128.7.9", "70:B3:D5:00:00:00") == "70:b3:d5:80:07:09"
    with pytest.raises(AnsibleFilterError, match="'bad' is not an IPv4 address"):
        overlay_vtep_mac("bad", "70:B3:D5:00:00:00")
    with pytest.raises(AnsibleFilterError, match="oui: '70:B3:D5:00:00:01' must have its lower three bytes 0"):
        overlay_vtep_mac("44.128.0.1", "70:B3:D5:00:00:01")


def test_peer_list_is_every_other_node_in_order():
    peers = overlay_peer_list(ALLOCATIONS, "m1")
    assert peers == [{
        "name": "a1", "vtep_ip": "44.128.0.2/16", "vtep_mac": "70:b3:d5:80:00:02",
        "agent_ip": "10.0.0.11", "subnets": ["192.168.1.0/24", "192.168.129.0/24"],
        "vtep_ip6": "fd00::2/64", "subnets6": ["fd01::1:0:0/96"],
    }]
    assert [p["name"] for p in overlay_peer_list(ALLOCATIONS, "a1")] == ["m1"]
    assert len(overlay_peer_list(ALLOCATIONS, "not-allocated")) == 2


def test_peer_list_errors():
    with pytest.raises(AnsibleFilterError, match="allocations must be the dict published by the master role, not list"):
        overlay_peer_list([], "a1")
    with pytest.raises(AnsibleFilterError, match="a malformed allocation"):
        overlay_peer_list({"x": {"vtep_ip": "1.2.3.4/8"}}, "a1")


def test_registered_names():
    assert set(FilterModule().filters()) == {"overlay_halves", "overlay_vtep_mac", "overlay_peer_list"}
