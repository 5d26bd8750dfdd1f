# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allocations that already exist outside the state: claims, seeding, renumbering.

A *claim* is what a node already holds (VTEP addresses, MAC, blocks, the
blocks of its docker networks of netgroups, and the netgroups' policy IDs
its netgroup policy uses), from one of three sources:

* a dump of the DC/OS overlay master's ``/overlay-master/state``
  (``claims_from_dump``; agents matched to nodes by underlay IP);
* a state document of this collection, e.g. the file of another store
  (``claims_from_document``; nodes by name, in the document's order);
* the nodes' own records, the agent role's local fact
  (``claims_from_records``).

``seed`` puts claims into a state exactly as they are, refusing a claim that
does not fit the configuration, the stored state or another claim, with the
reason (two nodes claiming one address or block, two policy IDs for one
netgroup, one ID for two netgroups).  ``renumbered`` lists the nodes whose
allocation differs from what they hold, which the caller refuses before
anything is written or touched.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    NETGROUP_BITS,
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
# an overlay entry's netgroup -> block of the docker network of that overlay and netgroup
NETGROUP_BLOCKS = "netgroups"


def netgroup_label(overlay: str, group: str) -> str:
    """How a netgroup's docker block is named in messages (names hold no spaces)."""
    return f"{overlay} netgroup {group}"


def policy_id_label(group: str) -> str:
    return f"netgroup {group} policy ID"


@dataclass
class Claim:
    """What node ``name`` holds, and where that was read (for messages).

    ``overlays`` maps an overlay to its ``subnet``, ``subnet6`` and, with
    netgroups, ``netgroups`` (netgroup -> docker block); ``netgroup_ids`` are the
    policy IDs the node's netgroup policy uses (one map for the whole cluster).
    """

    name: str
    source: str
    vtep_ip: Optional[str] = None
    vtep_ip6: Optional[str] = None
    vtep_mac: Optional[str] = None
    overlays: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    ip: Optional[str] = None
    role: Optional[str] = None
    netgroup_ids: Dict[str, Any] = field(default_factory=dict)

    def items(self) -> Iterable[Tuple[str, str]]:
        """(label, value) of every address and block held, e.g. ('vxlan-1.subnet', '9.0.3.0/24')."""
        data = {key: getattr(self, key) for key in FIELDS}
        for label, value, _scope in _held(dict(data, overlays=self.overlays)):
            yield label, value


def _held(data: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
    """(label, value, scope) of the addresses and blocks in a node's dict, a published
    allocation or a claim; overlays in name order. ``scope`` is where a value must
    be unique: its VTEP pool, the MACs, or its overlay, whose own blocks and the
    blocks of its netgroups' docker networks come from one pool."""
    out = [(key, data[key], key) for key in FIELDS if data.get(key)]
    overlays = data.get("overlays") or {}
    for name in sorted(overlays):
        entry = overlays[name] if isinstance(overlays[name], Mapping) else {}
        out += [(f"{name}.{key}", entry[key], f"overlay {name}") for key in BLOCK_KEYS if entry.get(key)]
        blocks = entry.get(NETGROUP_BLOCKS)
        if isinstance(blocks, Mapping):
            out += [(netgroup_label(name, group), blocks[group], f"overlay {name}")
                    for group in sorted(blocks) if blocks[group]]
    return out


def _items(node: Any) -> Dict[str, str]:
    """label -> value of what a node is given: a Node, its dict or a published allocation."""
    data = node.to_dict() if isinstance(node, Node) else (node or {})
    return {label: value for label, value, _scope in _held(data)}


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
                  {k: _entry(v) for k, v in node.overlays.items()}, node.ip, node.role,
                  dict(state.netgroups))
            for name, node in state.nodes.items()]


def _entry(entry: Any) -> Dict[str, Any]:
    """An overlay entry of a claim: its blocks, and its netgroups' docker blocks if any."""
    entry = entry if isinstance(entry, Mapping) else {}
    out: Dict[str, Any] = {key: entry.get(key) for key in BLOCK_KEYS}
    if isinstance(entry.get(NETGROUP_BLOCKS), Mapping) and entry[NETGROUP_BLOCKS]:
        out[NETGROUP_BLOCKS] = dict(entry[NETGROUP_BLOCKS])
    return out


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
    """What a node's record says it holds (None: it holds nothing).

    The netgroup policy IDs are the record's ``netgroups.ids`` (the agent role
    writes the whole map its policy uses). A record written before the records
    held the docker blocks of netgroups simply claims none.
    """
    if not isinstance(record, Mapping):
        return None
    vtep = record.get("vtep") or {}
    if not vtep.get("ip"):
        return None
    overlays = {oname: _entry(entry) for oname, entry in (record.get("overlays") or {}).items()}
    policy = record.get("netgroups")
    ids = policy.get("ids") if isinstance(policy, Mapping) else None
    return Claim(name, f"the record on {name}", vtep.get("ip"), vtep.get("ip6"),
                 (vtep.get("mac") or "").lower() or None, overlays,
                 netgroup_ids=dict(ids) if isinstance(ids, Mapping) else {})


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
        _check_netgroup_blocks(claim, name, entry, overlay, network)
    _check_policy_ids(claim, network)


def _check_netgroup_blocks(claim: Claim, name: str, entry: Dict[str, Any], overlay: Any,
                           network: NetworkConfig) -> None:
    """The docker blocks of netgroups: /prefix blocks of the overlay's IPv4 subnet.

    Those of a netgroup no longer configured are not claimed: the allocator frees
    them, as it does when a netgroup is removed from the configuration.
    """
    blocks = entry.pop(NETGROUP_BLOCKS, None)
    if not blocks:
        return
    if not isinstance(blocks, Mapping):
        raise ClaimError(
            f"{claim.source}: overlays.{name}.netgroups {blocks!r} is not a mapping of netgroup to block"
        )
    kept = {}
    for group, value in sorted(blocks.items()):
        if group not in network.netgroups or not value:
            continue
        label = netgroup_label(name, group)
        try:
            block = ipaddress.ip_network(str(value))
        except ValueError:
            raise ClaimError(f"{claim.source}: {label} {value!r} is not a block") from None
        if block.version != 4 or block.prefixlen != overlay.prefix or not block.subnet_of(overlay.subnet):
            raise ClaimError(
                f"{claim.source}: {label} {value} is not a /{overlay.prefix} block of"
                f" {overlay.subnet} (overlay {name!r})"
            )
        kept[group] = str(block)
    if kept:
        entry[NETGROUP_BLOCKS] = kept


def _check_policy_ids(claim: Claim, network: NetworkConfig) -> None:
    """Each policy ID a single bit of the netgroups' ones; netgroups no longer configured dropped."""
    kept = {}
    for group, value in sorted(claim.netgroup_ids.items()):
        if group not in network.netgroups:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0 \
                or value & (value - 1) or value >= 1 << NETGROUP_BITS:
            raise ClaimError(
                f"{claim.source}: {policy_id_label(group)} {value!r} is not a single bit of"
                f" {(1 << NETGROUP_BITS) - 1:#06x}"
            )
        kept[group] = value
    claim.netgroup_ids = kept


# ---------------------------------------------------------------------------
# Seeding


def seed(state: State, network: NetworkConfig, claims: Sequence[Claim]) -> List[str]:
    """Put ``claims`` into ``state`` as they are; return the names added or filled.

    A node already in the state must hold the same values (a claim may only
    fill what the state lacks); no address, MAC or block may be held twice
    (an overlay's own blocks and its netgroups' docker blocks share one pool).
    A netgroup has one policy ID and an ID one netgroup, across the claims and
    the stored state. Nothing is changed when a claim is refused.
    """
    if not claims:  # every ordinary run: no index of 10,000 nodes' addresses to build
        return []
    for claim in claims:
        _check_fits(claim, network)
    owners: Dict[str, Tuple[str, str, str]] = {}  # value -> (name, label, source)
    for name, node in state.nodes.items():
        for label, value, scope in _held(node.to_dict()):
            owners[_key(scope, value)] = (name, label, f"the stored state ({name})")
    new_ids = _claimed_ids(state, network, claims)
    seen = set()
    for claim in claims:
        if claim.name in seen:
            raise ClaimError(f"{claim.source}: node {claim.name!r} is claimed twice")
        seen.add(claim.name)
        stored = state.nodes.get(claim.name)
        have = _items(stored) if stored else {}
        data = {key: getattr(claim, key) for key in FIELDS}
        for label, value, scope in _held(dict(data, overlays=claim.overlays)):
            if label in have and have[label] != value:
                raise ClaimError(
                    f"{claim.source}: {claim.name} holds {label} {value}, the stored state"
                    f" gives it {have[label]}; fix or release one of them, nothing was changed"
                )
            owner = owners.get(_key(scope, value))
            if owner is not None and owner[:2] != (claim.name, label):
                mine = owner[0] == claim.name
                raise ClaimError(
                    f"{claim.source}: {claim.name} claims {label} {value}, which {owner[0]}"
                    f" holds{'' if owner[1] == label else ' as ' + owner[1]} ({owner[2]});"
                    + (" one block cannot serve two networks" if mine else " two nodes cannot hold one address")
                    + ", nothing was changed"
                )
            owners[_key(scope, value)] = (claim.name, label, claim.source)
    state.netgroups.update(new_ids)
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
            for group, block in (entry.get(NETGROUP_BLOCKS) or {}).items():
                held.setdefault(NETGROUP_BLOCKS, {}).setdefault(group, block)
        if node.to_dict() != before:
            changed.append(claim.name)
    return changed


def _key(scope: str, value: str) -> str:
    """Uniqueness key: a VTEP address is unique in its pool, a block in its overlay."""
    if scope in ("vtep_ip", "vtep_ip6"):
        return f"{scope}={ipaddress.ip_interface(value).ip}"
    return f"{scope}={value.lower()}"


def _claimed_ids(state: State, network: NetworkConfig, claims: Sequence[Claim]) -> Dict[str, int]:
    """The netgroup policy IDs the claims add to the state.

    The IDs are on the wire (VXLAN-GBP): every node must use the same. A netgroup
    with two IDs, or an ID for two netgroups, among the claims and the stored
    state's configured netgroups, is refused.
    """
    by_group: Dict[str, Tuple[int, str]] = {}
    by_id: Dict[int, Tuple[str, str]] = {}
    for group, pid in state.netgroups.items():
        if group in network.netgroups:
            by_group[group] = (pid, "the stored state")
            by_id[pid] = (group, "the stored state")
    new: Dict[str, int] = {}
    for claim in claims:
        for group, pid in sorted(claim.netgroup_ids.items()):
            held = by_group.get(group)
            if held is not None and held[0] != pid:
                raise ClaimError(
                    f"{claim.source}: {claim.name} holds {policy_id_label(group)} {pid}, {held[1]}"
                    f" gives it {held[0]}; one netgroup cannot have two policy IDs (the nodes"
                    " would disagree on the wire): fix or remove the wrong record, nothing was changed"
                )
            other = by_id.get(pid)
            if other is not None and other[0] != group:
                raise ClaimError(
                    f"{claim.source}: {claim.name} holds {policy_id_label(group)} {pid}, which is the"
                    f" policy ID of netgroup {other[0]!r} ({other[1]}); two netgroups cannot share one"
                    " ID, nothing was changed"
                )
            if held is None:
                by_group[group] = (pid, claim.source)
                by_id[pid] = (group, claim.source)
                new[group] = pid
    return new


# ---------------------------------------------------------------------------
# Renumbering


def renumber_line(name: str, record: Any, allocation: Any,
                  netgroups: Optional[Mapping[str, Any]] = None) -> str:
    """What ``name`` holds (its record) against what ``allocation`` and the policy IDs
    ``netgroups`` give it; '' if no move.

    Only values held on both sides count: a node gaining an overlay, IPv6 or a
    netgroup is not renumbered, nor one losing an overlay or netgroup that was
    removed.
    """
    claim = claim_from_record(name, record)
    if claim is None or not allocation:
        return ""
    want: Dict[str, Any] = _items(allocation)
    want.update({policy_id_label(group): pid for group, pid in (netgroups or {}).items()})
    ids = [(policy_id_label(group), pid) for group, pid in sorted(claim.netgroup_ids.items())]
    held, would = [], []
    for label, value in list(claim.items()) + ids:
        if want.get(label) and want[label] != value:
            held.append((label, value))
            would.append((label, want[label]))
    if not held:
        return ""
    return f"{name} holds {_describe(held)}; the allocation would give it {_describe(would)}"


def renumbered(state: State, records: Mapping[str, Any], skip: Iterable[str] = ()) -> List[str]:
    """One line per node of ``state`` whose allocation differs from its record."""
    skip = set(skip)
    lines = [renumber_line(name, records[name], state.nodes.get(name), state.netgroups)
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
