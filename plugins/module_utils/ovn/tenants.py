# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tenants (seed 004) as rows: per tenant a router ``<tenant>``, a join switch
``join_<tenant>`` (router port ``rtoj-<tenant>`` at its first address), a gateway
router ``GR_<tenant>_<node>`` per gateway node (pinned to its chassis, SNAT of the
tenant's cluster subnet to the gateway's address, a default route of the
tenant's router to each: several gateways share the traffic), per network a
switch ``<network>`` with router port ``rtos-<tenant>-<network>`` at the
network's first address, per load balancer an OVN load balancer on the
tenant's gateway routers. No route joins two tenants' routers.

A gateway's join address, once given, is never moved: the addresses the
Northbound database holds (``read_join_addresses``) are kept for the gateways
still wanted, and a new gateway takes the lowest free one
(``join_indices``)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from .model import (
    KIND_KEY,
    KIND_TOPOLOGY,
    MTU_KEY,
    OWNER,
    OWNER_KEY,
    TENANT_KEY,
    GatewayPlace,
    GatewaySpec,
    Link,
    RowSpec,
    TopologyError,
    check_gateway,
    connect,
    gateway_rows,
    join_address,
    net,
    router_port,
)

DEFAULT_JOIN = "100.64.1.0/24"
PROTOCOLS = ("tcp", "udp", "sctp")


@dataclass
class NetworkSpec:
    name: str
    subnet: str
    mtu: Optional[int] = None


@dataclass
class BalancerSpec:
    name: str
    vip: str
    backends: List[str]
    protocol: str = "tcp"


@dataclass
class TenantSpec:
    name: str
    cluster_subnet: str
    gateways: List[GatewaySpec] = field(default_factory=list)
    networks: List[NetworkSpec] = field(default_factory=list)
    load_balancers: List[BalancerSpec] = field(default_factory=list)
    join_subnet: str = DEFAULT_JOIN


def join_switch(tenant: str) -> str:
    return "join_%s" % tenant


def gateway_router(tenant: str, gw: GatewaySpec) -> str:
    return "GR_%s_%s" % (tenant, gw.chassis or gw.node)


def network_router_port(tenant: str, network: str) -> str:
    return "rtos-%s-%s" % (tenant, network)


def network_place(tenant: str, spec: NetworkSpec) -> Dict[str, Any]:
    """What the CNI config of a tenant network needs: switch, subnet, gateway, MTU."""
    block = net("ovn_tenants[%s].networks[%s].subnet" % (tenant, spec.name), spec.subnet)
    return {"tenant": tenant, "switch": spec.name, "subnet": str(block), "router_ip": "%s/%d" % (block[1], block.prefixlen),
            "mtu": spec.mtu}


def _str(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise TopologyError("%s: must be a non-empty string, got %r" % (path, value))
    return value


def _endpoint(path: str, value: Any) -> str:
    text = _str(path, value)
    host, _sep, port = text.rpartition(":")
    try:
        ipaddress.IPv4Address(host)
        if not 0 < int(port) < 65536:
            raise ValueError("port out of range")
    except ValueError:
        raise TopologyError("%s: %r is not IPv4:PORT" % (path, value)) from None
    return text


def parse_tenants(value: Any) -> List[TenantSpec]:
    """``ovn_tenants`` checked: errors name the field and the value."""
    if not value:
        return []
    if not isinstance(value, list):
        raise TopologyError("ovn_tenants: must be a list of tenants, got %r" % (value,))
    out: List[TenantSpec] = []
    names: Dict[str, str] = {}
    for i, t in enumerate(value):
        path = "ovn_tenants[%d]" % i
        if not isinstance(t, dict):
            raise TopologyError("%s: must be a mapping, got %r" % (path, t))
        tenant = TenantSpec(_str(path + ".name", t.get("name")), _str(path + ".cluster_subnet", t.get("cluster_subnet")),
                            join_subnet=str(t.get("join_subnet") or DEFAULT_JOIN))
        for kind, name in [("tenant", tenant.name)]:
            if name in names:
                raise TopologyError("%s.name: %s is also %s" % (path, name, names[name]))
            names[name] = "%s %s" % (kind, name)
        for j, g in enumerate(t.get("gateways") or []):
            gpath = "%s.gateways[%d]" % (path, j)
            if not isinstance(g, dict):
                raise TopologyError("%s: must be a mapping {node, ip, nexthop}, got %r" % (gpath, g))
            tenant.gateways.append(GatewaySpec(_str(gpath + ".node", g.get("node")), _str(gpath + ".ip", g.get("ip")),
                                               g.get("nexthop") or None, str(g.get("chassis") or g.get("node"))))
        for j, n in enumerate(t.get("networks") or []):
            npath = "%s.networks[%d]" % (path, j)
            if not isinstance(n, dict):
                raise TopologyError("%s: must be a mapping {name, subnet, mtu}, got %r" % (npath, n))
            name = _str(npath + ".name", n.get("name"))
            if name in names:
                raise TopologyError("%s.name: %s is also %s" % (npath, name, names[name]))
            names[name] = "network %s of %s" % (name, tenant.name)
            mtu = n.get("mtu")
            if mtu is not None and (not isinstance(mtu, int) or isinstance(mtu, bool) or not 552 <= mtu <= 65000):
                raise TopologyError("%s.mtu: %r is not an MTU (552 to 65000)" % (npath, mtu))
            tenant.networks.append(NetworkSpec(name, _str(npath + ".subnet", n.get("subnet")), mtu))
        for j, lb in enumerate(t.get("load_balancers") or []):
            lpath = "%s.load_balancers[%d]" % (path, j)
            if not isinstance(lb, dict):
                raise TopologyError("%s: must be a mapping {name, vip, backends, protocol}, got %r" % (lpath, lb))
            protocol = str(lb.get("protocol") or "tcp")
            if protocol not in PROTOCOLS:
                raise TopologyError("%s.protocol: %r is not one of %s" % (lpath, protocol, ", ".join(PROTOCOLS)))
            backends = lb.get("backends")
            if not isinstance(backends, list) or not backends:
                raise TopologyError("%s.backends: must be a non-empty list of IPv4:PORT, got %r" % (lpath, backends))
            tenant.load_balancers.append(BalancerSpec(
                _str(lpath + ".name", lb.get("name")), _endpoint(lpath + ".vip", lb.get("vip")),
                [_endpoint("%s.backends[%d]" % (lpath, k), b) for k, b in enumerate(backends)], protocol))
        out.append(tenant)
    return out


def read_join_addresses(ports: Iterable[Any]) -> Dict[str, Dict[str, str]]:
    """The join addresses the gateway routers of each tenant hold now, from the
    Northbound's ``Logical_Router_Port`` rows (objects with ``name``,
    ``networks``, ``external_ids``): ``{tenant: {GR_<tenant>_<node>: "100.64.1.3/24"}}``.
    Only ports this collection made for a tenant count."""
    out: Dict[str, Dict[str, str]] = {}
    for port in ports:
        ids = getattr(port, "external_ids", None) or {}
        tenant = ids.get(TENANT_KEY)
        if ids.get(OWNER_KEY) != OWNER or ids.get(KIND_KEY) != KIND_TOPOLOGY or not tenant:
            continue
        gr = port.name.partition("-")[2]  # rtoj-GR_<tenant>_<node> -> GR_<tenant>_<node>
        networks = list(getattr(port, "networks", None) or [])
        if (port.name == router_port(gr, join_switch(tenant)) and gr.startswith("GR_%s_" % tenant)
                and len(gr) > len("GR_%s_" % tenant) and networks):
            out.setdefault(tenant, {})[gr] = str(sorted(networks)[0])
    return out


def join_indices(join: ipaddress.IPv4Network, wanted: Sequence[str], held: Mapping[str, str],
                 reserved: Iterable[str] = ()) -> Dict[str, int]:
    """Where each wanted gateway router sits in ``join`` (index of its address).

    A gateway that holds an address of ``join`` (``held``: router -> address
    with prefix length, as the database has it) keeps it; the others take the
    lowest free index from 2 up (1 is the tenant router's), in the order
    given. Addresses in ``reserved`` (routers that stay although not wanted)
    are not handed out. An address outside ``join``, the router's, or one
    another gateway already kept, is not kept."""
    def index(address: str) -> Optional[int]:
        try:
            value = ipaddress.IPv4Interface(address)
        except ValueError:
            return None
        if value.network != join:
            return None
        i = int(value.ip) - int(join.network_address)
        return i if 2 <= i <= join.num_addresses - 2 else None

    taken = {i for i in (index(a) for a in reserved) if i is not None}
    out: Dict[str, int] = {}
    for gr in wanted:
        i = index(held[gr]) if gr in held else None
        if i is not None and i not in taken:
            out[gr] = i
            taken.add(i)
    free = 2
    for gr in wanted:
        if gr in out:
            continue
        while free in taken:
            free += 1
        join_address(join, free)  # raises when the join subnet is full
        out[gr] = free
        taken.add(free)
    return out


def build_tenant(t: TenantSpec, nodes: Optional[Sequence[str]] = None, held: Optional[Mapping[str, str]] = None,
                 purge: bool = True) -> List[RowSpec]:
    """The rows of one tenant, parents first. ``held``: the join addresses its
    gateway routers hold now (``read_join_addresses``), kept for those still
    wanted; without ``purge``, gateways no longer wanted keep theirs too (their
    rows stay), so a new gateway does not get one of them."""
    path = "ovn_tenants[%s]" % t.name
    cluster = net(path + ".cluster_subnet", t.cluster_subnet)
    join = net(path + ".join_subnet", t.join_subnet)
    name = t.name
    rows: List[RowSpec] = [
        RowSpec("Logical_Router", name, {"options": {}}, tenant=name),
        RowSpec("Logical_Switch", join_switch(name), {"other_config": {}}, tenant=name),
        *connect(name, join_switch(name), join_address(join, 1), None, tenant=name),
    ]
    for n in t.networks:
        place = network_place(name, n)
        block = ipaddress.IPv4Network(place["subnet"])
        if not block.subnet_of(cluster):
            raise TopologyError("%s.networks[%s].subnet: %s is not inside cluster_subnet %s" % (path, n.name, block, cluster))
        ids = {MTU_KEY: str(n.mtu)} if n.mtu else {}
        rows.append(RowSpec("Logical_Switch", n.name, {
            "other_config": {"subnet": str(block), "exclude_ips": place["router_ip"].split("/")[0]},
            "external_ids": ids}, tenant=name))
        rows.extend(connect(name, n.name, place["router_ip"], None, lrp=network_router_port(name, n.name), tenant=name))
    checked = [check_gateway("%s.gateways[%d]" % (path, i), cluster, gw, join, nodes) for i, gw in enumerate(t.gateways)]
    routers = [gateway_router(name, gw) for gw in t.gateways]
    held = held or {}
    reserved = [] if purge else [a for gr, a in held.items() if gr not in routers]
    indices = join_indices(join, routers, held, reserved)
    for gw, gr, (external, nexthop) in zip(t.gateways, routers, checked):
        at = indices[gr]
        place = GatewayPlace(name, gr, join_switch(name), join, at - 2, "ext_%s_%s" % (name, gw.node),
                             "lnet-%s-%s" % (name, gw.node), tenant=name,
                             options={"lb_force_snat_ip": join_address(join, at).split("/")[0]})
        rows.extend(gateway_rows(place, cluster, gw, external, nexthop))
    for lb in t.load_balancers:
        if not routers:
            raise TopologyError("%s.load_balancers[%s]: the tenant has no gateway to put it on" % (path, lb.name))
        links = tuple(Link("Logical_Router", gr, "load_balancer") for gr in routers)
        rows.append(RowSpec("Load_Balancer", lb.name, {"vips": {lb.vip: ",".join(lb.backends)}, "protocol": [lb.protocol]},
                            parent=links[0], links=links[1:], tenant=name))
    return rows


def build_tenants(tenants: Sequence[TenantSpec], nodes: Optional[Sequence[str]] = None,
                  held: Optional[Mapping[str, Mapping[str, str]]] = None, purge: bool = True) -> List[RowSpec]:
    """The rows of every tenant; ``held`` per tenant as ``read_join_addresses`` gives it."""
    rows: List[RowSpec] = []
    for t in tenants:
        rows.extend(build_tenant(t, nodes, (held or {}).get(t.name), purge))
    return rows
