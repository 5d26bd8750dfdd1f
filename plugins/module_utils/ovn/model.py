# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OVN topology of seed 002 as rows, computed from plain data (no OVSDB here).

Every name of a logical object comes from the constants and functions below, and
every MAC from the address it belongs to, so that the same input always gives
the same rows and a rerun writes nothing.

Seed 002 (the Mesos OVN driver) gives the shape: a distributed router
``mesos-router``; per node a logical switch (named after the node's system-id)
with the node's block, a router port at the block's first address and the
node's own port (an OVS internal port on the host, bound by ``iface-id``) at
the second; a gateway router ``GR_<node>`` pinned to the gateway node's
chassis, joined to ``mesos-router`` by the switch ``join``, reaching the
underlay through a localnet port on ``ext_<node>``, with SNAT of the cluster
subnet to the gateway's address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..common import OverlayError

# Ownership marks: every row this collection makes carries OWNER_KEY=OWNER.
OWNER_KEY = "mesos.overlay/owner"
OWNER = "mesos.overlay"
KIND_KEY = "mesos.overlay/kind"  # topology (made by ovn_topology) | task (made by the CNI plugin)
NODE_KEY = "mesos.overlay/node"  # the node a row belongs to, when it belongs to one
ROW_KEY = "mesos.overlay/key"  # the identity of rows that have no name (routes, NAT)
KIND_TOPOLOGY = "topology"
KIND_TASK = "task"

ROUTER = "mesos-router"
JOIN_SWITCH = "join"
NODE_PORT_INTERFACE = "ovn-mesos"  # the OVS internal port on each host
PHYSNET = "physnet"  # the bridge-mapping name of the underlay on gateway chassis
MAC_PREFIX = (0x0A, 0x58)  # locally administered; the last four bytes are the IPv4 address

TABLES_WITH_NAMES = ("Logical_Router", "Logical_Router_Port", "Logical_Switch", "Logical_Switch_Port", "Load_Balancer")
TENANT_KEY = "mesos.overlay/tenant"  # the tenant a row belongs to (seed 004)
MTU_KEY = "mesos.overlay/mtu"  # a tenant network's MTU, read by the CNI plugin


class TopologyError(OverlayError, ValueError):
    """Bad input for the topology: the message names the field and the value."""


def mac_for(address: str) -> str:
    """The deterministic MAC of an IPv4 address (``10.1.2.3`` -> ``0a:58:0a:01:02:03``)."""
    ip = ipaddress.IPv4Address(address.split("/")[0])
    return ":".join("%02x" % b for b in (*MAC_PREFIX, *ip.packed))


def router_port(router: str, peer: str) -> str:
    """Name of the port of ``router`` that faces the switch ``peer``: ``rtoj-<router>``
    on a join switch, ``rtoe-<router>`` on an external switch, ``rtos-<switch>``
    on a node's switch."""
    if peer == JOIN_SWITCH or peer.startswith("join_"):
        return "rtoj-%s" % router
    if peer.startswith("ext_"):
        return "rtoe-%s" % router
    return "rtos-%s" % peer


def node_switch(node: str) -> str:
    return node


def node_port(node: str) -> str:
    """The logical port of a node's own OVS internal port (seed: ``<system-id>_agent``)."""
    return "%s_agent" % node


def gateway_router(node: str) -> str:
    return "GR_%s" % node


def external_switch(node: str) -> str:
    return "ext_%s" % node


def localnet_port(node: str) -> str:
    return "lnet-%s" % node


def task_port(switch: str, container_id: str, ifname: str) -> str:
    """The logical port of a Mesos task's interface."""
    return "%s_%s_%s" % (switch, container_id, ifname)


@dataclass(frozen=True)
class Link:
    """Where a row hangs: ``table``/``name`` row's reference column ``column``."""

    table: str
    name: str
    column: str


@dataclass
class RowSpec:
    """One row as the collection wants it. ``key`` is the name (named tables) or
    the ``ROW_KEY`` mark (routes, NAT); ``columns`` are the managed columns."""

    table: str
    key: str
    columns: Dict[str, Any]
    parent: Optional[Link] = None
    node: Optional[str] = None
    links: Tuple[Link, ...] = ()  # more rows that reference this one (a load balancer's routers)
    tenant: Optional[str] = None

    def parents(self) -> Tuple[Link, ...]:
        return ((self.parent,) if self.parent else ()) + tuple(self.links)

    def marks(self) -> Dict[str, str]:
        marks = {OWNER_KEY: OWNER, KIND_KEY: KIND_TOPOLOGY}
        if self.node:
            marks[NODE_KEY] = self.node
        if self.tenant:
            marks[TENANT_KEY] = self.tenant
        if self.table not in TABLES_WITH_NAMES:
            marks[ROW_KEY] = self.key
        return marks

    def wanted(self) -> Dict[str, Any]:
        """The managed columns including the marks and the name."""
        cols = dict(self.columns)
        cols["external_ids"] = {**cols.get("external_ids", {}), **self.marks()}
        if self.table in TABLES_WITH_NAMES:
            cols["name"] = self.key
        return cols


@dataclass
class NodeSpec:
    name: str
    subnet: str  # the node's block, e.g. 10.220.1.0/24
    chassis: str  # the node's system-id


@dataclass
class GatewaySpec:
    node: str
    ip: str  # the gateway router's external address with prefix length (underlay)
    nexthop: Optional[str] = None
    chassis: str = ""


@dataclass
class NodeAddresses:
    """What a host needs to know about its place in the topology."""

    switch: str
    subnet: str
    router_ip: str  # with prefix length
    port: str  # logical port of the host's own OVS internal port
    port_ip: str  # with prefix length
    port_mac: str

    def to_dict(self) -> Dict[str, str]:
        return dict(self.__dict__)


@dataclass
class Topology:
    rows: List[RowSpec] = field(default_factory=list)
    nodes: Dict[str, NodeAddresses] = field(default_factory=dict)


def net(path: str, value: Any) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise TopologyError("%s: %r is not an IPv4 network (%s)" % (path, value, exc)) from None


def iface(path: str, value: Any) -> ipaddress.IPv4Interface:
    if "/" not in str(value):
        raise TopologyError("%s: %r needs a prefix length (e.g. 172.31.220.200/24)" % (path, value))
    try:
        return ipaddress.IPv4Interface(str(value))
    except ValueError as exc:
        raise TopologyError("%s: %r is not an IPv4 address with prefix length (%s)" % (path, value, exc)) from None


def node_addresses(name: str, subnet: str) -> NodeAddresses:
    """The router port at the block's first address, the node's own port at the second."""
    block = net("nodes[%s].subnet" % name, subnet)
    if block.num_addresses < 4:
        raise TopologyError("nodes[%s].subnet: %s is too small (a router port, the node and tasks need /30 or larger)" % (name, subnet))
    router_ip = "%s/%d" % (block[1], block.prefixlen)
    port_ip = "%s/%d" % (block[2], block.prefixlen)
    return NodeAddresses(
        switch=node_switch(name), subnet=str(block), router_ip=router_ip,
        port=node_port(name), port_ip=port_ip, port_mac=mac_for(port_ip),
    )


def _router(name: str, options: Optional[Dict[str, str]] = None, node: Optional[str] = None) -> RowSpec:
    return RowSpec("Logical_Router", name, {"options": options or {}}, node=node)


def _switch(name: str, other_config: Dict[str, str], node: Optional[str] = None) -> RowSpec:
    return RowSpec("Logical_Switch", name, {"other_config": other_config}, node=node)


def connect(router: str, switch: str, network: str, node: Optional[str], lrp: Optional[str] = None,
            tenant: Optional[str] = None) -> List[RowSpec]:
    """A router port on ``router`` with ``network`` and its peer port on ``switch``."""
    lrp = lrp or router_port(router, switch)
    lsp = _peer_name(lrp)
    return [
        RowSpec("Logical_Router_Port", lrp, {"mac": mac_for(network), "networks": [network]},
                parent=Link("Logical_Router", router, "ports"), node=node, tenant=tenant),
        RowSpec("Logical_Switch_Port", lsp, {"type": "router", "addresses": ["router"],
                                             "options": {"router-port": lrp}},
                parent=Link("Logical_Switch", switch, "ports"), node=node, tenant=tenant),
    ]


def _peer_name(lrp: str) -> str:
    """``rtos-X`` -> ``stor-X``, ``rtoj-X`` -> ``jtor-X``, ``rtoe-X`` -> ``etor-X``."""
    kind, rest = lrp.split("-", 1)
    return "%sto%s-%s" % (kind[3], kind[0], rest)


def route(router: str, prefix: str, nexthop: str, node: Optional[str], output_port: Optional[str] = None,
          tenant: Optional[str] = None) -> RowSpec:
    cols: Dict[str, Any] = {"ip_prefix": prefix, "nexthop": nexthop}
    if output_port:
        cols["output_port"] = [output_port]
    return RowSpec("Logical_Router_Static_Route", "route:%s:%s:%s" % (router, prefix, nexthop), cols,
                   parent=Link("Logical_Router", router, "static_routes"), node=node, tenant=tenant)


def build(cluster_subnet: str, nodes: Sequence[NodeSpec], gateway: Optional[GatewaySpec] = None,
          join_subnet: str = "100.64.0.0/29") -> Topology:
    """The rows of seed 002's topology, in an order where parents come first."""
    cluster = net("cluster_subnet", cluster_subnet)
    topo = Topology()
    topo.rows.append(_router(ROUTER))
    seen: Dict[str, str] = {}
    for node in nodes:
        if node.name in seen:
            raise TopologyError("nodes: %s is given twice" % node.name)
        addrs = node_addresses(node.name, node.subnet)
        block = ipaddress.IPv4Network(addrs.subnet)
        if not block.subnet_of(cluster):
            raise TopologyError("nodes[%s].subnet: %s is not inside cluster_subnet %s" % (node.name, addrs.subnet, cluster))
        for other, other_subnet in seen.items():
            if block.overlaps(ipaddress.IPv4Network(other_subnet)):
                raise TopologyError("nodes[%s].subnet: %s overlaps %s of %s" % (node.name, block, other_subnet, other))
        seen[node.name] = addrs.subnet
        topo.nodes[node.name] = addrs
        topo.rows.append(_switch(addrs.switch, {
            "subnet": addrs.subnet,
            "exclude_ips": "%s %s" % (addrs.router_ip.split("/")[0], addrs.port_ip.split("/")[0]),
        }, node=node.name))
        topo.rows.extend(connect(ROUTER, addrs.switch, addrs.router_ip, node.name))
        topo.rows.append(RowSpec(
            "Logical_Switch_Port", addrs.port,
            {"type": "", "addresses": ["%s %s" % (addrs.port_mac, addrs.port_ip.split("/")[0])], "options": {}},
            parent=Link("Logical_Switch", addrs.switch, "ports"), node=node.name))
    if gateway is not None:
        topo.rows.extend(_gateway(cluster, gateway, net("join_subnet", join_subnet), seen))
    return topo


@dataclass
class GatewayPlace:
    """Where a gateway router sits: the distributed router it serves, its own
    name, the join switch and subnet, its index there (join address 2 + index),
    its external switch and localnet port, the tenant (seed 004) if any."""

    router: str
    name: str
    join_switch: str
    join: ipaddress.IPv4Network
    index: int
    external_switch: str
    localnet: str
    tenant: Optional[str] = None
    options: Dict[str, str] = field(default_factory=dict)


def check_gateway(path: str, cluster: ipaddress.IPv4Network, gw: GatewaySpec, join: ipaddress.IPv4Network,
                  nodes: Optional[Sequence[str]] = None) -> Tuple[ipaddress.IPv4Interface, Optional[ipaddress.IPv4Address]]:
    """The gateway's external address and next hop, checked; errors name ``path``."""
    if nodes is not None and gw.node not in nodes:
        raise TopologyError("%s.node: %r is not one of the nodes (%s)" % (path, gw.node, ", ".join(sorted(nodes)) or "none"))
    external = iface("%s.ip" % path, gw.ip)
    if external.ip in cluster:
        raise TopologyError("%s.ip: %s is inside the cluster subnet %s" % (path, gw.ip, cluster))
    if join.overlaps(cluster):
        raise TopologyError("join_subnet: %s overlaps the cluster subnet %s" % (join, cluster))
    nexthop = None
    if gw.nexthop:
        try:
            nexthop = ipaddress.IPv4Address(str(gw.nexthop))
        except ValueError as exc:
            raise TopologyError("%s.nexthop: %r is not an IPv4 address (%s)" % (path, gw.nexthop, exc)) from None
        if nexthop not in external.network:
            raise TopologyError("%s.nexthop: %s is not in %s (the gateway's network)" % (path, nexthop, external.network))
    return external, nexthop


def join_address(join: ipaddress.IPv4Network, index: int) -> str:
    if index > join.num_addresses - 2:
        raise TopologyError("join_subnet: %s is too small for %d gateways" % (join, index - 1))
    return "%s/%d" % (join[index], join.prefixlen)


def gateway_rows(place: GatewayPlace, cluster: ipaddress.IPv4Network, gw: GatewaySpec,
                 external: ipaddress.IPv4Interface, nexthop: Optional[ipaddress.IPv4Address]) -> List[RowSpec]:
    """A gateway router pinned to its chassis: joined to ``place.router``, on the
    underlay through a localnet port, SNAT of ``cluster`` to its address, routes."""
    node, gr, t = gw.node, place.name, place.tenant
    own = join_address(place.join, place.index + 2)
    rows: List[RowSpec] = [
        RowSpec("Logical_Router", gr, {"options": {"chassis": gw.chassis or node, **place.options}}, node=node, tenant=t),
        *connect(gr, place.join_switch, own, node, tenant=t),
        RowSpec("Logical_Switch", place.external_switch, {"other_config": {}}, node=node, tenant=t),
        *connect(gr, place.external_switch, str(external), node, tenant=t),
        RowSpec("Logical_Switch_Port", place.localnet,
                {"type": "localnet", "addresses": ["unknown"], "options": {"network_name": PHYSNET}},
                parent=Link("Logical_Switch", place.external_switch, "ports"), node=node, tenant=t),
        route(place.router, "0.0.0.0/0", own.split("/")[0], node, tenant=t),
        route(gr, str(cluster), join_address(place.join, 1).split("/")[0], node, tenant=t),
        RowSpec("NAT", "nat:%s:snat:%s" % (gr, cluster),
                {"type": "snat", "logical_ip": str(cluster), "external_ip": str(external.ip)},
                parent=Link("Logical_Router", gr, "nat"), node=node, tenant=t),
    ]
    if nexthop is not None:
        rows.append(route(gr, "0.0.0.0/0", str(nexthop), node, output_port=router_port(gr, place.external_switch), tenant=t))
    return rows


def _gateway(cluster: ipaddress.IPv4Network, gw: GatewaySpec, join: ipaddress.IPv4Network,
             nodes: Dict[str, str]) -> List[RowSpec]:
    external, nexthop = check_gateway("gateway", cluster, gw, join, list(nodes))
    place = GatewayPlace(ROUTER, gateway_router(gw.node), JOIN_SWITCH, join, 0,
                         external_switch(gw.node), localnet_port(gw.node))
    return [
        _switch(JOIN_SWITCH, {}),
        *connect(ROUTER, JOIN_SWITCH, join_address(join, 1), None),
        *gateway_rows(place, cluster, gw, external, nexthop),
    ]


def parse_nodes(value: Any) -> List[NodeSpec]:
    if not isinstance(value, list):
        raise TopologyError("nodes: must be a list of {name, subnet, chassis}, got %r" % (value,))
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not item.get("name") or not item.get("subnet"):
            raise TopologyError("nodes[%d]: needs name and subnet, got %r" % (i, item))
        out.append(NodeSpec(name=str(item["name"]), subnet=str(item["subnet"]),
                            chassis=str(item.get("chassis") or item["name"])))
    return out


def parse_gateway(value: Any) -> Optional[GatewaySpec]:
    if not value:
        return None
    if not isinstance(value, dict) or not value.get("node") or not value.get("ip"):
        raise TopologyError("gateway: needs node and ip, got %r" % (value,))
    return GatewaySpec(node=str(value["node"]), ip=str(value["ip"]), nexthop=value.get("nexthop") or None,
                       chassis=str(value.get("chassis") or value["node"]))


def describe(table: str, key: str) -> str:
    """How a row is shown in diffs and action lists."""
    return "%s %s" % (table, key)


def by_identity(rows: Sequence[RowSpec]) -> Dict[Tuple[str, str], RowSpec]:
    out: Dict[Tuple[str, str], RowSpec] = {}
    for row in rows:
        ident = (row.table, row.key)
        if ident in out:
            raise TopologyError("%s: defined twice" % describe(*ident))
        out[ident] = row
    return out
