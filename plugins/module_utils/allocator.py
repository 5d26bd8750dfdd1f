# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allocator of the overlay master, by the rules of the DC/OS modules.

* VTEP IP: the lowest free address of ``vtep_subnet`` (network and broadcast
  excluded), written with the subnet's prefix length; the same for
  ``vtep_subnet6``.
* VTEP MAC: the OUI's upper three bytes, then the last three bytes of the VTEP
  IPv4 address.
* Per enabled overlay: the lowest free block of length ``prefix`` in
  ``subnet`` (and ``prefix6`` in ``subnet6``); the lower half of a block is
  for the Mesos containerizer, the upper half for Docker.
* Per netgroup (``netgroups``): a policy ID, one bit of the VXLAN group
  policy field (the lowest free of ``NETGROUP_BITS``); and per agent, enabled
  overlay and netgroup, one more IPv4 block of the overlay (the lowest free)
  for the docker network of that overlay and netgroup.

Allocations are keyed by node name and never move: a node that is already
known keeps what it has, a new overlay gets fresh blocks for every node, and
only an explicit release (``remove`` / ``prune``) frees anything.  All the
arithmetic is on integers; a batch of N new nodes costs O(N + used).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    ConfigError,
    NetworkConfig,
    Overlay,
    parse_network,
)

SCHEMA_VERSION = 1
# Policy IDs: one mark bit per netgroup, the low 12 bits (netgroups.py owns them).
NETGROUP_BITS = 12


class AllocationError(OverlayError, ValueError):
    """An allocation that cannot be made (pool exhausted, IP clash...)."""


# ---------------------------------------------------------------------------
# Pure address helpers (also used by the filters)


def _parse(cidr: str) -> Tuple[int, int, int]:
    """(version, address as int, prefix length) of ``a.b.c.d/p`` or ``x::y/p``.

    socket's parsers are an order of magnitude faster than ipaddress's, which
    matters at thousands of nodes; callers validate with ipaddress first.
    """
    text, _sep, plen = cidr.partition("/")
    if ":" in text:
        return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big"), int(plen or 128)
    return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big"), int(plen or 32)


def _format(version: int, value: int) -> str:
    """ipaddress's text of an address, by socket (ten times faster): the same
    for IPv4, and for IPv6 (RFC 5952) but where glibc writes an embedded IPv4
    address in dotted form, which ipaddress does not."""
    if version == 4:
        return socket.inet_ntoa(value.to_bytes(4, "big"))
    text = socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    return str(ipaddress.IPv6Address(value)) if "." in text else text


def halves(block: str) -> Tuple[str, str]:
    """The Mesos (lower) and Docker (upper) halves of a block."""
    try:
        version, start, plen = _parse(block)
    except (OSError, ValueError):
        raise ValueError(f"{block!r} is not a subnet in CIDR notation") from None
    width = 32 if version == 4 else 128
    if not 0 <= plen < width or start & ((1 << (width - plen)) - 1):
        raise ValueError(f"{block!r} has host bits set or cannot be halved")
    upper = start + (1 << (width - plen - 1))
    return f"{block.partition('/')[0]}/{plen + 1}", f"{_format(version, upper)}/{plen + 1}"


def vtep_mac(vtep_ip: str, oui: str) -> str:
    """The VTEP MAC: the OUI's upper three bytes, the IP's last three."""
    try:
        ip = socket.inet_pton(socket.AF_INET, vtep_ip.partition("/")[0])
    except OSError:
        raise ValueError(f"{vtep_ip!r} is not an IPv4 address") from None
    head = ":".join(f"{int(b, 16):02x}" for b in oui.split(":")[:3])
    return f"{head}:{ip[1]:02x}:{ip[2]:02x}:{ip[3]:02x}"


# ---------------------------------------------------------------------------
# Pools: the free members of an address space, in ascending order.


class Pool:
    """Members ``first..last`` (integers) of which some are used.

    ``take()`` hands out the lowest free member.  The cursor never moves back
    within one allocation pass, because members are only ever taken during it.
    The used members are only read at the first ``take()``: a run in which
    every node already has its address (every no-op) never parses them.
    """

    def __init__(self, first: int, last: int, used: Iterable[int] = ()) -> None:
        self.first = first
        self.last = last
        self._pending: Iterable[int] = used
        self._used: Optional[Set[int]] = None
        self._cursor = first

    @property
    def used(self) -> Set[int]:
        if self._used is None:
            self._used = set(self._pending)
            self._pending = ()
        return self._used

    @property
    def capacity(self) -> int:
        return self.last - self.first + 1

    def take(self) -> Optional[int]:
        used = self.used
        cursor = self._cursor
        while cursor <= self.last and cursor in used:
            cursor += 1
        self._cursor = cursor
        if cursor > self.last:
            return None
        used.add(cursor)
        return cursor


def _address_pool(net: ipaddress._BaseNetwork, used: Iterable[str]) -> Pool:
    """Host addresses of ``net`` (network and broadcast/last excluded)."""
    base = int(net.network_address)
    return Pool(1, net.num_addresses - 2, (_parse(u)[1] - base for u in used))


def _block_pool(net: ipaddress._BaseNetwork, prefix: int, used: Iterable[str]) -> Pool:
    """Blocks of length ``prefix`` in ``net``, numbered from 0."""
    base = int(net.network_address)
    shift = net.max_prefixlen - prefix
    return Pool(0, (1 << (prefix - net.prefixlen)) - 1,
                ((_parse(u)[1] - base) >> shift for u in used))


def _address(net: ipaddress._BaseNetwork, index: int) -> str:
    return f"{_format(net.version, int(net.network_address) + index)}/{net.prefixlen}"


def _block(net: ipaddress._BaseNetwork, prefix: int, index: int) -> str:
    start = int(net.network_address) + (index << (net.max_prefixlen - prefix))
    return f"{_format(net.version, start)}/{prefix}"


# ---------------------------------------------------------------------------
# The state model


@dataclass
class Node:
    name: str
    ip: str
    role: str = "agent"
    vtep_ip: Optional[str] = None
    vtep_ip6: Optional[str] = None
    vtep_mac: Optional[str] = None
    # overlay name -> {"subnet": .., "subnet6": .., "netgroups": {group: block}?};
    # disabled overlays keep their blocks reserved here but are not published.
    overlays: Dict[str, Dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "ip": self.ip,
            "role": self.role,
            "vtep_ip": self.vtep_ip,
            "vtep_ip6": self.vtep_ip6,
            "vtep_mac": self.vtep_mac,
            "overlays": {k: _copy_entry(v) for k, v in self.overlays.items()},
        }

    def copy(self) -> "Node":
        return Node(self.name, self.ip, self.role, self.vtep_ip, self.vtep_ip6, self.vtep_mac,
                    {k: _copy_entry(v) for k, v in self.overlays.items()})

    @classmethod
    def from_dict(cls, name: str, data: Dict[str, Any]) -> "Node":
        return cls(
            name=name,
            ip=data["ip"],
            role=data.get("role", "agent"),
            vtep_ip=data.get("vtep_ip"),
            vtep_ip6=data.get("vtep_ip6"),
            vtep_mac=data.get("vtep_mac"),
            overlays={k: _copy_entry(v) for k, v in (data.get("overlays") or {}).items()},
        )


def _copy_entry(entry: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"subnet": entry.get("subnet"), "subnet6": entry.get("subnet6")}
    if entry.get("netgroups"):
        out["netgroups"] = dict(entry["netgroups"])
    return out


@dataclass
class State:
    network: Optional[NetworkConfig] = None
    nodes: Dict[str, Node] = field(default_factory=dict)
    # netgroup name -> policy ID (a single bit of the group policy field)
    netgroups: Dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "schema_version": SCHEMA_VERSION,
            "network": self.network.to_dict() if self.network else None,
            "nodes": {name: node.to_dict() for name, node in self.nodes.items()},
        }
        if self.netgroups:
            out["netgroups"] = dict(self.netgroups)
        return out

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "State":
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise AllocationError(
                f"state: schema_version {version!r} is not supported (expected {SCHEMA_VERSION})"
            )
        network = parse_network(data["network"]) if data.get("network") else None
        nodes = {name: Node.from_dict(name, n) for name, n in (data.get("nodes") or {}).items()}
        return cls(network, nodes, dict(data.get("netgroups") or {}))

    def copy(self) -> "State":
        return State(self.network, {name: n.copy() for name, n in self.nodes.items()}, dict(self.netgroups))


@dataclass(frozen=True)
class NodeRequest:
    name: str
    ip: str
    role: str = "agent"


# ---------------------------------------------------------------------------
# Changing the configuration under existing allocations


def _check_network_change(old: Optional[NetworkConfig], new: NetworkConfig, nodes: Dict[str, Node]) -> None:
    """Refuse a new configuration that would move what was already given."""
    if old is None or not nodes:
        return
    if old.vtep_subnet != new.vtep_subnet:
        raise ConfigError(
            f"vtep_subnet: {new.vtep_subnet} differs from {old.vtep_subnet} under which"
            f" {len(nodes)} node(s) hold VTEP addresses; release them first"
        )
    if old.vtep_mac_oui != new.vtep_mac_oui:
        raise ConfigError(
            f"vtep_mac_oui: {new.vtep_mac_oui} differs from {old.vtep_mac_oui} under which"
            f" {len(nodes)} node(s) hold VTEP MACs; release them first"
        )
    if old.vtep_subnet6 and new.vtep_subnet6 != old.vtep_subnet6:
        raise ConfigError(
            f"vtep_subnet6: {new.vtep_subnet6} differs from {old.vtep_subnet6} under which"
            " nodes hold VTEP addresses; release them first"
        )
    for index, overlay in enumerate(new.overlays):
        before = old.overlay(overlay.name)
        if before is None:
            continue
        for key in ("subnet", "prefix"):
            if getattr(before, key) != getattr(overlay, key):
                raise ConfigError(
                    f"overlays[{index}].{key}: {getattr(overlay, key)} differs from"
                    f" {getattr(before, key)} of overlay {overlay.name!r} under which nodes"
                    " hold blocks; remove the overlay first or keep its addressing"
                )
        if before.subnet6 is not None and (before.subnet6, before.prefix6) != (overlay.subnet6, overlay.prefix6):
            raise ConfigError(
                f"overlays[{index}].subnet6: {overlay.subnet6}/{overlay.prefix6} differs from"
                f" {before.subnet6}/{before.prefix6} of overlay {overlay.name!r} under which"
                " nodes hold blocks"
            )


# ---------------------------------------------------------------------------
# Allocation


@dataclass
class Allocation:
    """What one call of :meth:`Allocator.allocate` did: the new state and the
    nodes added, removed and updated (names)."""

    state: State
    added: List[str]
    removed: List[str]
    updated: List[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.updated)


class Allocator:
    """Computes a new state from the old state, a configuration and nodes."""

    def __init__(self, network: NetworkConfig, state: Optional[State] = None) -> None:
        old = state or State()
        _check_network_change(old.network, network, old.nodes)
        self.network = network
        self.old = old

    def allocate(self, nodes: Sequence[NodeRequest], remove: Iterable[str] = (),
                 prune: bool = False) -> Allocation:
        new = self.old.copy()
        new.network = self.network
        dropped = set(remove)
        wanted = {n.name for n in nodes} - dropped
        removed = [name for name in new.nodes
                   if name in dropped or (prune and name not in wanted)]
        for name in removed:
            del new.nodes[name]
        requests = [n for n in nodes if n.name not in dropped]
        _check_requests(requests, new.nodes)

        updated: List[str] = []
        added: List[str] = []
        for req in requests:
            node = new.nodes.get(req.name)
            if node is None:
                new.nodes[req.name] = Node(req.name, req.ip, req.role)
                added.append(req.name)
            elif (node.ip, node.role) != (req.ip, req.role):
                node.ip, node.role = req.ip, req.role
                updated.append(req.name)
        # Overlays no longer in the configuration release their blocks.
        names = {o.name for o in self.network.overlays}
        seen = set(added) | set(updated)
        for node in new.nodes.values():
            gone = [k for k in node.overlays if k not in names]
            for key in gone:
                del node.overlays[key]
            if gone and node.name not in seen:
                updated.append(node.name)
                seen.add(node.name)
        new.netgroups = self._netgroup_ids(new.netgroups)
        updated += [n for n in self._fill(new) if n not in seen]
        return Allocation(new, added, removed, updated)

    def _netgroup_ids(self, held: Dict[str, int]) -> Dict[str, int]:
        """Keep every configured netgroup's ID, give new ones the lowest free bit."""
        kept = {name: held[name] for name in self.network.netgroups if name in held}
        used = set(kept.values())
        free = [1 << bit for bit in range(NETGROUP_BITS) if (1 << bit) not in used]
        out: Dict[str, int] = {}
        for name in self.network.netgroups:
            if name not in kept:
                if not free:
                    raise AllocationError(
                        f"netgroups: no policy ID left for {name!r} (capacity {NETGROUP_BITS})"
                    )
                kept[name] = free.pop(0)
            out[name] = kept[name]
        return out

    def _fill(self, state: State) -> List[str]:
        """Give every node whatever it lacks; return the names that changed."""
        net = self.network
        changed: Dict[str, None] = {}  # an ordered set of names
        nodes = list(state.nodes.values())

        def mark(node: Node) -> None:
            changed[node.name] = None

        vteps = [("vtep_ip", "vtep_subnet", net.vtep_subnet)]
        if net.vtep_subnet6 is not None:
            vteps.append(("vtep_ip6", "vtep_subnet6", net.vtep_subnet6))
        for attr, field_name, subnet in vteps:
            pool = _address_pool(subnet, (getattr(n, attr) for n in nodes if getattr(n, attr)))
            for node in nodes:
                if getattr(node, attr) is None:
                    index = pool.take()
                    if index is None:
                        raise AllocationError(
                            f"{field_name} {subnet}: no VTEP address left for {node.name!r}"
                            f" (capacity {pool.capacity} nodes)"
                        )
                    setattr(node, attr, _address(subnet, index))
                    mark(node)
        for node in nodes:
            mac = vtep_mac(node.vtep_ip, net.vtep_mac_oui)
            if node.vtep_mac != mac:
                node.vtep_mac = mac
                mark(node)
        for overlay in net.enabled_overlays:
            self._fill_overlay(overlay, nodes, mark, net.netgroups)
        return list(changed)

    @staticmethod
    def _fill_overlay(overlay: Overlay, nodes: List[Node], mark, netgroups: Sequence[str] = ()) -> None:
        held = [n.overlays.get(overlay.name) or {} for n in nodes]
        families = [("subnet", overlay.subnet, overlay.prefix)]
        if overlay.subnet6 is not None:
            families.append(("subnet6", overlay.subnet6, overlay.prefix6))
        for key, net, prefix in families:
            used = [h[key] for h in held if h.get(key)]
            if key == "subnet":
                used += [b for h in held for b in (h.get("netgroups") or {}).values()]
            pool = _block_pool(net, prefix, used)
            for node in nodes:
                entry = node.overlays.setdefault(overlay.name, {"subnet": None, "subnet6": None})
                if entry.get(key):
                    continue
                index = pool.take()
                if index is None:
                    raise AllocationError(
                        f"overlay {overlay.name!r}: {key} {net} has no /{prefix} block left"
                        f" for {node.name!r} (capacity {pool.capacity} blocks)"
                    )
                entry[key] = _block(net, prefix, index)
                mark(node)
            if key == "subnet":
                Allocator._fill_netgroups(overlay, nodes, netgroups, pool, mark)

    @staticmethod
    def _fill_netgroups(overlay: Overlay, nodes: List[Node], netgroups: Sequence[str],
                        pool: Pool, mark) -> None:
        """Per agent and netgroup a block for the docker network of (overlay, netgroup).

        Blocks of netgroups no longer configured are released; held ones never move.
        """
        for node in nodes:
            entry = node.overlays[overlay.name]
            blocks = entry.get("netgroups") or {}
            wanted = list(netgroups) if node.role == "agent" else []
            kept = {g: b for g, b in blocks.items() if g in wanted}
            if kept != blocks:
                mark(node)
            for group in wanted:
                if group in kept:
                    continue
                index = pool.take()
                if index is None:
                    raise AllocationError(
                        f"overlay {overlay.name!r}: subnet {overlay.subnet} has no /{overlay.prefix}"
                        f" block left for netgroup {group!r} on {node.name!r}"
                        f" (capacity {pool.capacity} blocks)"
                    )
                kept[group] = _block(overlay.subnet, overlay.prefix, index)
                mark(node)
            if kept:
                # in the configuration's order, however they were held (a recovery seeds
                # them in name order), so that a recovered document is the lost one
                entry["netgroups"] = {g: kept[g] for g in wanted}
            else:
                entry.pop("netgroups", None)


def check_capacity(network: NetworkConfig, nodes: int) -> None:
    """Refuse a cluster of ``nodes`` nodes that a pool of ``network`` cannot hold.

    Every node takes one VTEP address (and one IPv6 one) and one block of every
    enabled overlay; this is checked before anything else runs, so an
    operator learns it before any node is touched.
    """
    pools = [("vtep_subnet", network.vtep_subnet, network.vtep_subnet.num_addresses - 2, "addresses")]
    if network.vtep_subnet6 is not None:
        pools.append(("vtep_subnet6", network.vtep_subnet6, network.vtep_subnet6.num_addresses - 2, "addresses"))
    for index, overlay in enumerate(network.overlays):
        if not overlay.enabled:
            continue
        pools.append((f"overlays[{index}].subnet", overlay.subnet,
                      1 << (overlay.prefix - overlay.subnet.prefixlen), f"/{overlay.prefix} blocks"))
        if overlay.subnet6 is not None:
            pools.append((f"overlays[{index}].subnet6", overlay.subnet6,
                          1 << (overlay.prefix6 - overlay.subnet6.prefixlen), f"/{overlay.prefix6} blocks"))
    for path, subnet, room, unit in pools:
        if nodes > room:
            raise AllocationError(
                f"{path}: {subnet} holds {room} {unit}, too few for the {nodes} nodes of the cluster"
            )


def _check_requests(requests: Sequence[NodeRequest], known: Dict[str, Node]) -> None:
    names: Dict[str, int] = {}
    by_ip: Dict[str, str] = {}
    for index, req in enumerate(requests):
        if not req.name:
            raise ConfigError(f"agents[{index}].name: {req.name!r} is empty")
        if req.name in names:
            raise ConfigError(f"agents[{index}].name: {req.name!r} is listed twice")
        names[req.name] = index
        try:
            ipaddress.IPv4Address(req.ip)
        except (ValueError, TypeError):
            raise ConfigError(f"agents[{index}].ip: {req.ip!r} is not an IPv4 address") from None
        if req.role not in ("agent", "master"):
            raise ConfigError(f"agents[{index}].role: {req.role!r} is not agent or master")
        if req.ip in by_ip:
            raise ConfigError(
                f"agents[{index}].ip: {req.ip} of {req.name!r} is also the IP of {by_ip[req.ip]!r}"
            )
        by_ip[req.ip] = req.name
    for name, node in known.items():
        if name in names:
            continue
        other = by_ip.get(node.ip)
        if other is not None:
            raise ConfigError(
                f"agents[{names[other]}].ip: {node.ip} of {other!r} is already the IP of"
                f" known node {name!r} (release it with remove first)"
            )


# ---------------------------------------------------------------------------
# Published form


def publish(state: State, include_disabled: bool = False) -> Dict[str, Dict[str, Any]]:
    """The ``allocations`` return value: every node, enabled overlays only."""
    network = state.network
    enabled = [o.name for o in network.overlays if include_disabled or o.enabled] if network else []
    out: Dict[str, Dict[str, Any]] = {}
    for name, node in state.nodes.items():
        overlays: Dict[str, Dict[str, Any]] = {}
        for oname in enabled:
            entry = node.overlays.get(oname)
            if not entry or not entry.get("subnet"):
                continue
            mesos, docker = halves(entry["subnet"])
            mesos6 = docker6 = None
            if entry.get("subnet6"):
                mesos6, docker6 = halves(entry["subnet6"])
            overlays[oname] = {
                "subnet": entry["subnet"],
                "mesos_subnet": mesos,
                "docker_subnet": docker,
                "subnet6": entry.get("subnet6"),
                "mesos_subnet6": mesos6,
                "docker_subnet6": docker6,
            }
            if entry.get("netgroups"):
                overlays[oname]["netgroups"] = dict(entry["netgroups"])
        out[name] = {
            "ip": node.ip,
            "role": node.role,
            "vtep_ip": node.vtep_ip,
            "vtep_ip6": node.vtep_ip6,
            "vtep_mac": node.vtep_mac,
            "overlays": overlays,
        }
    return out


def iter_blocks(state: State) -> Iterator[Tuple[str, str, str]]:
    """(node, overlay, block) for every v4 and v6 block held."""
    for name, node in state.nodes.items():
        for oname, entry in node.overlays.items():
            for key in ("subnet", "subnet6"):
                if entry.get(key):
                    yield name, oname, entry[key]
            for block in (entry.get("netgroups") or {}).values():
                yield name, oname, block
