"""The OVN backend's filters (pure)."""

from __future__ import annotations

import base64
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.mesos.overlay.plugins.filter.ovn import FilterModule
from ansible_collections.mesos.overlay.plugins.module_utils.config import parse_network

F = FilterModule().filters()


def test_allocator_network_is_one_overlay_over_the_cluster_subnet_and_valid():
    net = F["ovn_allocator_network"]("10.222.0.0/16", 24, "ovn")
    assert net["overlays"] == [{"name": "ovn", "subnet": "10.222.0.0/16", "prefix": 24}]
    assert parse_network(net).overlays[0].name == "ovn"


def test_allocator_network_needs_the_cluster_subnet():
    with pytest.raises(AnsibleFilterError, match="ovn_cluster_subnet: required"):
        F["ovn_allocator_network"]("", 24)


def test_nodes_and_addresses_from_allocations():
    allocs = {"agent1": {"ip": "172.31.220.21", "overlays": {"ovn": {"subnet": "10.222.3.0/24"}}}}
    assert F["ovn_nodes"](allocs, "ovn") == [{"name": "agent1", "subnet": "10.222.3.0/24", "chassis": "agent1"}]
    place = F["ovn_node_addresses"]("10.222.3.0/24", "agent1")
    assert place == {"switch": "agent1", "subnet": "10.222.3.0/24", "router_ip": "10.222.3.1/24",
                     "port": "agent1_agent", "port_ip": "10.222.3.2/24", "port_mac": "0a:58:0a:de:03:02"}
    conf = F["ovn_cni_config"](place, "ovn", "tcp:172.31.220.11:6641", 1400, True)
    assert conf["cniVersion"] == "0.2.0" and conf["gateway"] == "10.222.3.1" and conf["switch"] == "agent1"


def test_a_node_without_a_block_is_named():
    with pytest.raises(AnsibleFilterError, match="agent9 has no block of ovn"):
        F["ovn_nodes"]({"agent9": {"overlays": {}}}, "ovn")


def test_remote_and_interface_of():
    assert F["ovn_remote"](["10.0.0.1", "10.0.0.2"], 6641) == "tcp:10.0.0.1:6641,tcp:10.0.0.2:6641"
    links = [{"ifname": "eth0", "address": "02:42:ac:1f:dc:15",
              "addr_info": [{"family": "inet", "local": "172.31.220.21", "prefixlen": 24}]}]
    assert F["ovn_interface_of"](links, "172.31.220.21") == {"ifname": "eth0", "prefixlen": 24, "mac": "02:42:ac:1f:dc:15"}
    assert F["ovn_interface_of"](links, "10.9.9.9") == {}


def slurped(path, text):
    return {"source": path, "content": base64.b64encode(text.encode()).decode(), "item": path, "changed": False}


def test_cni_ours_is_a_json_object_whose_type_is_the_plugin():
    read = [
        slurped("/cni/coke1.conf", json.dumps({"name": "coke1", "type": "mesos-overlay-ovn"}, indent=4)),
        slurped("/cni/dcos.conf", json.dumps({"name": "dcos", "type": "mesos-cni-port-mapper",
                                              "delegate": {"type": "mesos-overlay-ovn"}})),
        slurped("/cni/chain.conf", json.dumps({"plugins": [{"type": "mesos-overlay-ovn"}]})),
        slurped("/cni/list.conf", json.dumps([{"type": "mesos-overlay-ovn"}])),
        slurped("/cni/broken.conf", '{"type": "mesos-overlay-ovn",'),
        {"source": "/cni/latin1.conf", "content": base64.b64encode(b'{"type": "\xe9"}').decode()},  # not UTF-8
        {"source": "/cni/garbled.conf", "content": "not base64!"},
        {"item": "/cni/ovn.conf", "skipped": True, "skip_reason": "Conditional result was False"},
        "not a result",
    ]
    assert F["ovn_cni_ours"](read, "mesos-overlay-ovn") == ["/cni/coke1.conf"]
    assert F["ovn_cni_ours"](read, "mesos-cni-port-mapper") == ["/cni/dcos.conf"]
    assert F["ovn_cni_ours"]([], "mesos-overlay-ovn") == []


def test_cni_ours_wants_the_loop_results():
    with pytest.raises(AnsibleFilterError, match="ovn_cni_ours: expected the results of ansible.builtin.slurp in a loop"):
        F["ovn_cni_ours"]({"results": []})
