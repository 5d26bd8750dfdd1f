# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the OVN backend: the allocator's view of it, nodes for the topology,
a node's place in the topology, the CNI config of an OVN network, which CNI
configs on a node are the collection's."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict, List, Optional

from ansible_collections.mesos.overlay.plugins.module_utils.ovn import model, tenants
from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter

# The allocator's VTEP settings are required by its configuration but unused by
# the OVN backend (Geneve runs on the underlay addresses).
ALLOCATOR_VTEP = {"vtep_subnet": "44.128.0.0/16", "vtep_mac_oui": "70:B3:D5:00:00:00"}


def ovn_allocator_network(cluster_subnet: Any, prefix: Any, name: Any = "ovn") -> Dict[str, Any]:
    """The allocator's NetworkConfig for the OVN backend: one overlay ``name`` over
    ``cluster_subnet`` with blocks of ``prefix``, so that every node gets a block
    from the same allocator and state as the VXLAN overlays, never moved."""
    if not cluster_subnet:
        raise ValueError("ovn_cluster_subnet: required with overlay_backend ovn")
    return {**ALLOCATOR_VTEP, "overlays": [{"name": str(name), "subnet": str(cluster_subnet), "prefix": int(prefix)}]}


def ovn_nodes(allocations: Any, name: Any = "ovn") -> List[Dict[str, str]]:
    """The ``nodes`` option of ovn_topology: ``[{name, subnet, chassis}]`` from the allocations."""
    if not isinstance(allocations, dict):
        raise ValueError("allocations: expected the overlay_allocations dict, got %r" % (allocations,))
    out = []
    for node, alloc in allocations.items():
        block = ((alloc or {}).get("overlays") or {}).get(name)
        if block is None:
            raise ValueError("%s has no block of %s in the allocations" % (node, name))
        out.append({"name": node, "subnet": block["subnet"], "chassis": node})
    return out


def ovn_node_addresses(subnet: Any, node: Any) -> Dict[str, str]:
    """``{switch, subnet, router_ip, port, port_ip, port_mac}`` of a node's block."""
    return model.node_addresses(str(node), str(subnet)).to_dict()


def ovn_remote(addresses: Any, port: Any) -> str:
    """``tcp:A:PORT,tcp:B:PORT`` for the central's addresses."""
    if isinstance(addresses, str) or not addresses:
        raise ValueError("addresses: expected a list of the central's addresses, got %r" % (addresses,))
    return ",".join("tcp:%s:%d" % (a, int(port)) for a in addresses)


def ovn_cni_config(place: Dict[str, str], name: str, nb: str, mtu: Optional[int] = None,
                   tx_off: bool = False, plugin: str = "mesos-overlay-ovn", node: Optional[str] = None) -> Dict[str, Any]:
    """The Mesos CNI config of an OVN network on a node (the collection's plugin, 0.2.0 results)."""
    return {
        "cniVersion": "0.2.0", "name": name, "type": plugin, "nb": nb,
        "switch": place["switch"], "subnet": place["subnet"],
        "gateway": place["router_ip"].split("/")[0], "mtu": mtu, "tx_off": bool(tx_off),
        **({"node": str(node)} if node else {}),
    }


def ovn_cni_ours(read: Any, plugin: Any = "mesos-overlay-ovn") -> List[str]:
    """Of files read with ``ansible.builtin.slurp`` in a loop (its ``results``),
    the paths of the CNI configs of ``plugin``: a JSON object whose ``type`` is
    ``plugin``. Anything else (not JSON, another type, a skipped item) is not ours."""
    if not isinstance(read, list):
        raise ValueError("expected the results of ansible.builtin.slurp in a loop, got %r" % (read,))
    out = []
    for result in read:
        if not isinstance(result, dict) or not isinstance(result.get("content"), str) or not result.get("source"):
            continue
        try:
            config = json.loads(base64.b64decode(result["content"], validate=True))
        except ValueError:  # not base64, not UTF-8, not JSON
            continue
        if isinstance(config, dict) and config.get("type") == str(plugin):
            out.append(str(result["source"]))
    return out


def ovn_interface_of(links: Any, address: Any) -> Dict[str, Any]:
    """From ``ip -j addr show`` output, the interface holding ``address``:
    ``{ifname, prefixlen, mac}``; ``{}`` when none does."""
    for link in links or []:
        for info in link.get("addr_info") or []:
            if info.get("local") == str(address):
                return {"ifname": link["ifname"], "prefixlen": int(info["prefixlen"]), "mac": link.get("address")}
    return {}


def ovn_tenant_networks(value: Any) -> List[Dict[str, Any]]:
    """Every tenant network of ``ovn_tenants``: ``{name, tenant, switch, subnet, router_ip, mtu}``."""
    out = []
    for t in tenants.parse_tenants(value):
        for n in t.networks:
            out.append({"name": n.name, **tenants.network_place(t.name, n)})
    return out


def ovn_gateway_nodes(gateway_node: Any, value: Any) -> List[str]:
    """The nodes that host a gateway router: ``ovn_gateway_node`` and every tenant gateway's node."""
    nodes = [str(gateway_node)] if gateway_node else []
    for t in tenants.parse_tenants(value):
        nodes.extend(g.node for g in t.gateways if g.node not in nodes)
    return nodes


class FilterModule:
    def filters(self):
        return {
            "ovn_allocator_network": as_filter(ovn_allocator_network, "ovn_allocator_network"),
            "ovn_nodes": as_filter(ovn_nodes, "ovn_nodes"),
            "ovn_node_addresses": as_filter(ovn_node_addresses, "ovn_node_addresses"),
            "ovn_remote": as_filter(ovn_remote, "ovn_remote"),
            "ovn_cni_config": as_filter(ovn_cni_config, "ovn_cni_config"),
            "ovn_cni_ours": as_filter(ovn_cni_ours, "ovn_cni_ours"),
            "ovn_interface_of": as_filter(ovn_interface_of, "ovn_interface_of"),
            "ovn_tenant_networks": as_filter(ovn_tenant_networks, "ovn_tenant_networks"),
            "ovn_gateway_nodes": as_filter(ovn_gateway_nodes, "ovn_gateway_nodes"),
        }
