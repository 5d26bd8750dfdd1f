# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allocations that already exist outside the state: claims, seeding, renumbering.

A *claim* is what a node already holds (VTEP addresses, MAC, blocks), from
one of three sources:

* a dump of the DC/OS overlay master's ``/overlay-master/state``
  (``claims_from_dump``; agents matched to nodes by underlay IP);
* a state document of this collection, e.g. the file of another store
  (``claims_from_document``; nodes by name, in the document's order);
* the nodes' own records, the agent role's local fact
  (``claims_from_records``).

``seed`` puts claims into a state exactly as they are, refusing a claim that
does not fit the configuration, the stored state or another claim, with the
reason.  ``renumbered`` lists the nodes whose allocation differs from what
they hold, which the caller refuses before anything is written or touched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    Node,
    NodeRequest,
    State,
    halves,
    vtep_mac,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    ConfigError,
    NetworkConfig,
    parse_network,
)


class ClaimError(ConfigError):
    """A claim that cannot be seeded (it conflicts); the message says why."""


FIELDS = ("vtep_ip", "vtep_ip6", "vtep_mac")
BLOCK_KEYS = ("subnet", "subnet6")


@dataclass
class Claim:
    """What node ``name`` holds, and where that was read (for messages)."""

    name: str
    source: str
    vtep_ip: Optional[str] = None
    vtep_ip6: Optional[str] = None
    vtep_mac: Optional[str] = None
    overlays: Dict[str, Dict[str, Optional[str]]] = field(default_factory=dict)
    ip: Optional[str] = None
    role: Optional[str] = None

    def items(self) -> Iterable[Tuple[str, str]]:
        """(label, value) of everything held, e.g. ('vxlan-1.subnet', '9.0.3.0/24')."""
        for key in FIELDS:
            if getattr(self, key):
                yield key, getattr(self, key)
        for name in sorted(self.overlays):
            for key in BLOCK_KEYS:
                if self.overlays[name].get(key):
                    yield f"{name}.{key}", self.overlays[name][key]


def _items(node: Any) -> Dict[str, str]:
    """label -> value of what a node is given: a Node, its dict or a published allocation."""
    data = node.to_dict() if isinstance(node, Node) else (node or {})
    out = {key: data.get(key) for key in FIELDS if data.get(key)}
    for name, entry in (data.get("overlays") or {}).items():
        for key in BLOCK_KEYS:
            if (entry or {}).get(key):
                out[f"{name}.{key}"] = entry[key]
    return out


def _describe(items: Iterable[Tuple[str, str]]) -> str:
    return ", ".join(f"{label} {value}" for label, value in items) or "nothing"


def _vtep_key(claim: Claim) -> Tuple[int, str]:
    try:
        return int(ipaddress.IPv4Interface(claim.vtep_ip).ip), claim.name
    except (ValueError, TypeError):
        return 1 << 32, claim.name


# ---------------------------------------------------------------------------
# Sources


def claims_from_dump(dump: Any, network: NetworkConfig, requests: Sequence[NodeRequest]) -> List[Claim]:
    """Claims of the agents of a ``/overlay-master/state`` dump, by underlay IP.

    Every agent of the dump must be one of ``requests`` (matched by ``ip``),
    and the dump's network must be the configuration's, else nothing is seeded.
    """
    if not isinstance(dump, Mapping) or not isinstance(dump.get("agents"), list):
        raise ClaimError("import_state: not a dump of /overlay-master/state (no 'agents' list)")
    if isinstance(dump.get("network"), Mapping):
        _same_network(dump["network"], network)
    by_ip = {r.ip: r for r in requests}
    claims: List[Claim] = []
    for index, agent in enumerate(dump["agents"]):
        where = f"import_state: agents[{index}]"
        if not isinstance(agent, Mapping) or not agent.get("ip"):
            raise ClaimError(f"{where}: has no 'ip'")
        request = by_ip.get(agent["ip"])
        if request is None:
            raise ClaimError(
                f"{where}: agent {agent['ip']} is not a node of this run (no node has"
                f" overlay_agent_ip {agent['ip']}); add it to the inventory, or take it out"
                " of the dump to release its addresses"
            )
        claim = Claim(request.name, f"{where} ({agent['ip']})", ip=request.ip, role=request.role)
        for entry in agent.get("overlays") or []:
            _dump_overlay(claim, entry, where)
        if claim.vtep_ip:
            claims.append(claim)
    return sorted(claims, key=_vtep_key)


def _same_network(data: Mapping[str, Any], network: NetworkConfig) -> None:
    try:
        theirs = parse_network(dict(data))
    except ConfigError as exc:
        raise ClaimError(f"import_state: network: {exc}") from None
    pairs = [("vtep_subnet", theirs.vtep_subnet, network.vtep_subnet),
             ("vtep_mac_oui", theirs.vtep_mac_oui, network.vtep_mac_oui)]
    if theirs.vtep_subnet6:
        pairs.append(("vtep_subnet6", theirs.vtep_subnet6, network.vtep_subnet6))
    for overlay in theirs.overlays:
        ours = network.overlay(overlay.name)
        if ours is None:
            raise ClaimError(
                f"import_state: network.overlays: {overlay.name!r} is not in the configuration;"
                " its blocks would be lost: add it (enabled: false keeps them reserved)"
            )
        pairs += [(f"overlays {overlay.name!r} {key}", getattr(overlay, key), getattr(ours, key))
                  for key in ("subnet", "prefix", "subnet6", "prefix6") if getattr(overlay, key)]
    for label, dumped, configured in pairs:
        if dumped != configured:
            raise ClaimError(
                f"import_state: network {label}: {dumped} in the dump, {configured} in the"
                " configuration; the configuration must be the one the cluster runs with"
            )


def _dump_overlay(claim: Claim, entry: Any, where: str) -> None:
    info = (entry or {}).get("info") or {}
    name = info.get("name")
    if not name:
        raise ClaimError(f"{where}: an overlay without info.name")
    vxlan = ((entry.get("backend") or {}).get("vxlan")) or {}
    for key in FIELDS:
        value = vxlan.get(key)
        if value is None:
            continue
        value = value.lower() if key == "vtep_mac" else value
        held = getattr(claim, key)
        if held is not None and held != value:
            raise ClaimError(f"{where}: overlay {name!r} has {key} {value}, another overlay {held}")
        setattr(claim, key, value)
    blocks = {key: entry.get(key) for key in BLOCK_KEYS}
    for key, ip_key in (("subnet", "ip"), ("subnet6", "ip6")):
        _check_halves(f"{where}: overlay {name!r}", blocks[key], entry, ip_key)
    if blocks["subnet"] or blocks["subnet6"]:
        claim.overlays[name] = blocks


def _check_halves(where: str, block: Optional[str], entry: Mapping[str, Any], ip_key: str) -> None:
    """The dump's bridges must be the block's halves (lower Mesos, upper Docker), as here."""
    if not block:
        return
    try:
        want = [ipaddress.ip_network(h) for h in halves(str(ipaddress.ip_network(block)))]
    except ValueError:
        return  # the block itself is refused with its reason when the claim is checked
    for index, bridge in enumerate(("mesos_bridge", "docker_bridge")):
        got = (entry.get(bridge) or {}).get(ip_key)
        if got and ipaddress.ip_network(got, strict=False) != want[index]:
            raise ClaimError(
                f"{where}: {bridge}.{ip_key} {got} is not {want[index]}, the"
                f" {'lower' if index == 0 else 'upper'} half of {block}"
            )


def claims_from_document(doc: Mapping[str, Any], source: str = "import_state") -> List[Claim]:
    """Claims of every node of a state document of this collection, in its order."""
    try:
        state = State.from_dict(dict(doc))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ClaimError(f"{source}: not a state document: {exc}") from None
    return [Claim(name, f"{source} node {name!r}", node.vtep_ip, node.vtep_ip6, node.vtep_mac,
                  {k: dict(v) for k, v in node.overlays.items()}, node.ip, node.role)
            for name, node in state.nodes.items()]


def claims_from_records(records: Mapping[str, Any], requests: Sequence[NodeRequest]) -> List[Claim]:
    """Claims of the nodes of this run from their local facts (``mesos_overlay``)."""
    by_name = {r.name: r for r in requests}
    claims = []
    for name, record in records.items():
        claim = claim_from_record(name, record)
        if claim is None or name not in by_name:
            continue
        claim.ip, claim.role = by_name[name].ip, by_name[name].role
        claims.append(claim)
    return sorted(claims, key=_vtep_key)


def claim_from_record(name: str, record: Any) -> Optional[Claim]:
    """What a node's record says it holds (None: it holds nothing)."""
    if not isinstance(record, Mapping):
        return None
    vtep = record.get("vtep") or {}
    if not vtep.get("ip"):
        return None
    overlays = {oname: {key: (entry or {}).get(key) for key in BLOCK_KEYS}
                for oname, entry in (record.get("overlays") or {}).items()}
    return Claim(name, f"the record on {name}", vtep.get("ip"), vtep.get("ip6"),
                 (vtep.get("mac") or "").lower() or None, overlays)


def load_import(value: Any, network: NetworkConfig, requests: Sequence[NodeRequest]) -> List[Claim]:
    """Claims of ``import_state``: a DC/OS dump or a state document."""
    if isinstance(value, Mapping) and "nodes" in value and "schema_version" in value:
        return claims_from_document(value)
    return claims_from_dump(value, network, requests)


# ---------------------------------------------------------------------------
# Checking a claim against the configuration


def _check_fits(claim: Claim, network: NetworkConfig) -> None:
    where = claim.source

    def inside(label: str, value: str, net, exact_prefix: bool, version: int) -> str:
        if net is None:
            raise ClaimError(f"{where}: {label} {value}: the configuration has no such pool")
        try:
            iface = ipaddress.ip_interface(value)
        except ValueError:
            raise ClaimError(f"{where}: {label} {value!r} is not an address with prefix length") from None
        if iface.version != version or iface.ip not in net or \
                (exact_prefix and iface.network.prefixlen != net.prefixlen):
            raise ClaimError(f"{where}: {label} {value} is not an address of {net}")
        if iface.ip in (net.network_address, net.broadcast_address):
            raise ClaimError(f"{where}: {label} {value} is the network or broadcast address of {net}")
        return f"{iface.ip}/{iface.network.prefixlen}"

    if claim.vtep_ip:
        claim.vtep_ip = inside("vtep_ip", claim.vtep_ip, network.vtep_subnet, True, 4)
        mac = vtep_mac(claim.vtep_ip, network.vtep_mac_oui)
        if claim.vtep_mac and claim.vtep_mac.lower() != mac:
            raise ClaimError(
                f"{where}: vtep_mac {claim.vtep_mac} is not {mac}, the MAC of vtep_ip"
                f" {claim.vtep_ip} under vtep_mac_oui {network.vtep_mac_oui}"
            )
        claim.vtep_mac = mac
    if claim.vtep_ip6:
        claim.vtep_ip6 = inside("vtep_ip6", claim.vtep_ip6, network.vtep_subnet6, True, 6)
    for name, entry in claim.overlays.items():
        overlay = network.overlay(name)
        if overlay is None:
            raise ClaimError(
                f"{where}: overlay {name!r} is not in the configuration; its blocks would be"
                " lost: add it (enabled: false keeps them reserved)"
            )
        for key, net, prefix in (("subnet", overlay.subnet, overlay.prefix),
                                 ("subnet6", overlay.subnet6, overlay.prefix6)):
            value = entry.get(key)
            if not value:
                continue
            try:
                block = ipaddress.ip_network(value)
            except ValueError:
                raise ClaimError(f"{where}: {name}.{key} {value!r} is not a block") from None
            if net is None or block.version != net.version or block.prefixlen != prefix \
                    or not block.subnet_of(net):
                raise ClaimError(
                    f"{where}: {name}.{key} {value} is not a /{prefix} block of"
                    f" {net} (overlay {name!r})"
                )
            entry[key] = str(block)


# ---------------------------------------------------------------------------
# Seeding


def seed(state: State, network: NetworkConfig, claims: Sequence[Claim]) -> List[str]:
    """Put ``claims`` into ``state`` as they are; return the names added or filled.

    A node already in the state must hold the same values (a claim may only
    fill what the state lacks); no address, MAC or block may be held twice.
    Nothing is changed when a claim is refused.
    """
    if not claims:  # every ordinary run: no index of 10,000 nodes' addresses to build
        return []
    for claim in claims:
        _check_fits(claim, network)
    owners: Dict[str, Tuple[str, str]] = {}  # value -> (name, source)
    for name, node in state.nodes.items():
        for label, value in _items(node).items():
            owners[_key(label, value)] = (name, f"the stored state ({name})")
    seen = set()
    for claim in claims:
        if claim.name in seen:
            raise ClaimError(f"{claim.source}: node {claim.name!r} is claimed twice")
        seen.add(claim.name)
        stored = state.nodes.get(claim.name)
        have = _items(stored) if stored else {}
        for label, value in claim.items():
            if label in have and have[label] != value:
                raise ClaimError(
                    f"{claim.source}: {claim.name} holds {label} {value}, the stored state"
                    f" gives it {have[label]}; fix or release one of them, nothing was changed"
                )
            owner = owners.get(_key(label, value))
            if owner is not None and owner[0] != claim.name:
                raise ClaimError(
                    f"{claim.source}: {claim.name} claims {label} {value}, which {owner[0]}"
                    f" holds ({owner[1]}); two nodes cannot hold one address, nothing was changed"
                )
            owners[_key(label, value)] = (claim.name, claim.source)
    changed = []
    for claim in claims:
        node = state.nodes.get(claim.name)
        if node is None:
            node = state.nodes[claim.name] = Node(claim.name, claim.ip or "", claim.role or "agent")
        before = node.to_dict()
        for key in FIELDS:
            if getattr(node, key) is None and getattr(claim, key):
                setattr(node, key, getattr(claim, key))
        for oname, entry in claim.overlays.items():
            held = node.overlays.setdefault(oname, {"subnet": None, "subnet6": None})
            for key in BLOCK_KEYS:
                if not held.get(key) and entry.get(key):
                    held[key] = entry[key]
        if node.to_dict() != before:
            changed.append(claim.name)
    return changed


def _key(label: str, value: str) -> str:
    """Uniqueness key: a VTEP address is unique in its pool, a block in its overlay."""
    if label in ("vtep_ip", "vtep_ip6"):
        return f"{label}={ipaddress.ip_interface(value).ip}"
    return f"{label}={value.lower()}"


# ---------------------------------------------------------------------------
# Renumbering


def renumber_line(name: str, record: Any, allocation: Any) -> str:
    """What ``name`` holds (its record) against what ``allocation`` gives it; '' if no move.

    Only values held on both sides count: a node gaining an overlay or IPv6
    is not renumbered, nor one losing an overlay that was removed.
    """
    claim = claim_from_record(name, record)
    if claim is None or not allocation:
        return ""
    want = _items(allocation)
    held, would = [], []
    for label, value in claim.items():
        if want.get(label) and want[label] != value:
            held.append((label, value))
            would.append((label, want[label]))
    if not held:
        return ""
    return f"{name} holds {_describe(held)}; the allocation would give it {_describe(would)}"


def renumbered(state: State, records: Mapping[str, Any], skip: Iterable[str] = ()) -> List[str]:
    """One line per node of ``state`` whose allocation differs from its record."""
    skip = set(skip)
    lines = [renumber_line(name, records[name], state.nodes.get(name))
             for name in sorted(records) if name not in skip]
    return [line for line in lines if line]


def records_of(names: Iterable[str], hostvars: Mapping[str, Any]) -> Dict[str, Any]:
    """The records (local fact ``mesos_overlay``) of ``names`` that have one in ``hostvars``."""
    out = {}
    for name in names:
        record = ((hostvars.get(name) or {}).get("ansible_local") or {}).get("mesos_overlay")
        if isinstance(record, Mapping) and (record.get("vtep") or {}).get("ip"):
            out[name] = dict(record)
    return out


RESOLVE = (
    "To keep the addresses, run again with overlay_recover: true (recover), which rebuilds the"
    " state from the nodes' records; to renumber a node on purpose, release it first"
    " (playbooks/remove_agents.yml), which takes its overlay and its containers' addresses away."
)


def renumbering_message(lines: Sequence[str], store: str) -> str:
    return (
        f"refusing to renumber {len(lines)} node(s), nothing was written or touched: "
        + "; ".join(lines)
        + f". The state ({store}) does not record what these nodes hold (lost, replaced by an"
        " older copy, or another cluster's). " + RESOLVE
    )
