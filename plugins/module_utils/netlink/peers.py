# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peer reconciler: for all other nodes at once, the permanent neighbour
entries and FDB entries on the VTEP device, the routes to their subnets, the
table-42 routes to their underlay addresses and the ``from <overlay subnet>
lookup 42`` rules.

Read the kernel once (kernel-side filtered dumps, ``struct`` parsing), plan
the difference (pure), apply it in one batch.  Only routes and rules carrying
the route protocol :data:`ROUTE_PROTO` are ever deleted; neighbour and FDB
entries only on the VTEP device and only permanent ones.
"""

from __future__ import annotations

import errno as errno_mod
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import Failed, Result
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import (
    AF_BRIDGE,
    AF_INET,
    AF_INET6,
    DEFAULT_TABLE,
    FR_ACT_TO_TBL,
    FRA_PRIORITY,
    FRA_PROTOCOL,
    FRA_SRC,
    FRA_TABLE,
    NDA_DST,
    NDA_IFINDEX,
    NDA_LLADDR,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REPLACE,
    NTF_SELF,
    NUD_NOARP,
    NUD_PERMANENT,
    ROUTE_PROTO,
    RT_SCOPE_UNIVERSE,
    RT_TABLE_MAIN,
    RT_TABLE_UNSPEC,
    RTA_DST,
    RTA_GATEWAY,
    RTA_OIF,
    RTA_TABLE,
    RTM_DELNEIGH,
    RTM_DELROUTE,
    RTM_DELRULE,
    RTM_GETNEIGH,
    RTM_GETROUTE,
    RTM_GETRULE,
    RTM_NEWNEIGH,
    RTM_NEWROUTE,
    RTM_NEWRULE,
    RTN_UNICAST,
    RTNH_F_ONLINK,
    RULE_SELECTORS,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.inputs import (
    Peer,
    parse_ifname,
    parse_peers,
    parse_rule_subnets,
    parse_table,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.rtnl import (
    FIB_RULE_HDR,
    NDMSG,
    RTMSG,
    U32,
    Netlink,
    NetlinkError,
    family_of,
    ip_text,
    link_index,
    mac_text,
    nla,
    nla_u8,
    nla_u32,
    parse_nlas,
    require_pyroute2,
)


# How many planned changes a run returns (``changes``); the counts have them all.
CHANGES_SHOWN = 100


# ---------------------------------------------------------------------------
# The peer model: what is wanted, what is there, and the difference.

NeighKey = bytes  # the neighbour's IP (4 or 16 bytes)
FdbKey = Tuple[bytes, bytes]  # (MAC, underlay IP)
RouteKey = Tuple[int, bytes, int]  # (table, destination, prefix length)
RuleKey = Tuple[bytes, int]  # (source subnet, prefix length)


@dataclass
class PeerTables:
    """Neighbours, FDB entries, routes and rules, as wanted or as found."""

    neigh: Dict[NeighKey, bytes] = field(default_factory=dict)  # IP -> MAC
    fdb: Set[FdbKey] = field(default_factory=set)
    routes: Dict[RouteKey, bytes] = field(default_factory=dict)  # -> gateway
    rules: Dict[RuleKey, List[Tuple[int, bool]]] = field(default_factory=dict)  # -> [(priority, ours)]


def want_tables(peers: Sequence[Peer], rule_subnets: Sequence[Tuple[bytes, int]], table: int) -> PeerTables:
    want = PeerTables()
    for p in peers:
        want.neigh[p.vtep_ip] = p.vtep_mac
        want.fdb.add((p.vtep_mac, p.agent_ip))
        for net, plen in p.subnets:
            want.routes[(RT_TABLE_MAIN, net, plen)] = p.vtep_ip
        want.routes[(table, p.agent_ip, 32)] = p.vtep_ip
        if p.vtep_ip6 is not None:
            want.neigh[p.vtep_ip6] = p.vtep_mac
            for net, plen in p.subnets6:
                want.routes[(RT_TABLE_MAIN, net, plen)] = p.vtep_ip6
    for key in rule_subnets:
        want.rules[key] = [(0, True)]
    return want


@dataclass
class PeerPlan:
    neigh_add: List[Tuple[bytes, bytes]] = field(default_factory=list)
    neigh_change: List[Tuple[bytes, bytes]] = field(default_factory=list)
    neigh_del: List[Tuple[bytes, bytes]] = field(default_factory=list)
    fdb_add: List[FdbKey] = field(default_factory=list)
    fdb_del: List[FdbKey] = field(default_factory=list)
    route_add: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    route_change: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    route_del: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    rule_add: List[RuleKey] = field(default_factory=list)
    rule_del: List[Tuple[RuleKey, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def counts(self) -> Dict[str, Dict[str, int]]:
        return {
            "neighbours": {"added": len(self.neigh_add), "updated": len(self.neigh_change), "removed": len(self.neigh_del)},
            "fdb": {"added": len(self.fdb_add), "updated": 0, "removed": len(self.fdb_del)},
            "routes": {"added": len(self.route_add), "updated": len(self.route_change), "removed": len(self.route_del)},
            "rules": {"added": len(self.rule_add), "updated": 0, "removed": len(self.rule_del)},
        }


def _adds_and_changes(want: Dict[Any, Any], have: Dict[Any, Any]) -> Tuple[List[Any], List[Any]]:
    """(key, value) pairs missing from ``have``, and those whose value differs."""
    adds: List[Any] = []
    changes: List[Any] = []
    for key, value in want.items():
        cur = have.get(key)
        if cur is None:
            adds.append((key, value))
        elif cur != value:
            changes.append((key, value))
    return adds, changes


def plan_peers(want: PeerTables, have: PeerTables, purge: bool) -> PeerPlan:
    """The changes that turn ``have`` into ``want`` (pure)."""
    plan = PeerPlan()
    plan.neigh_add, plan.neigh_change = _adds_and_changes(want.neigh, have.neigh)
    plan.fdb_add = sorted(want.fdb - have.fdb)
    plan.route_add, plan.route_change = _adds_and_changes(want.routes, have.routes)
    for key in want.rules:
        if key not in have.rules:
            plan.rule_add.append(key)
    if purge:
        plan.neigh_del = [(ip, mac) for ip, mac in have.neigh.items() if ip not in want.neigh]
        plan.fdb_del = sorted(have.fdb - want.fdb)
        plan.route_del = [(key, gw) for key, gw in have.routes.items() if key not in want.routes]
        for key, found in have.rules.items():
            ours = [prio for prio, mine in found if mine]
            if key not in want.rules:
                plan.rule_del.extend((key, prio) for prio in ours)
            elif len(found) > 1:
                # a duplicate of ours (one copy stays; foreign copies are left)
                keep_foreign = any(not mine for _p, mine in found)
                plan.rule_del.extend((key, prio) for prio in (ours if keep_foreign else ours[1:]))
    return plan


def table_name(table: int) -> str:
    return "main" if table == RT_TABLE_MAIN else str(table)


def describe_tables(tables: PeerTables, table: int) -> Dict[str, List[str]]:
    """Readable, sorted lists (for diff mode)."""
    return {
        "neighbours": sorted(f"{ip_text(ip)} lladdr {mac_text(mac)}" for ip, mac in tables.neigh.items()),
        "fdb": sorted(f"{mac_text(mac)} dst {ip_text(dst)}" for mac, dst in tables.fdb),
        "routes": sorted(
            f"{ip_text(dst)}/{plen} via {ip_text(gw)} table {table_name(t)}" for (t, dst, plen), gw in tables.routes.items()
        ),
        "rules": sorted(f"from {ip_text(src)}/{plen} lookup {table}" for src, plen in tables.rules),
    }


def apply_plan_to(have: PeerTables, plan: PeerPlan) -> PeerTables:
    """What ``have`` becomes after ``plan`` (pure; for diff mode)."""
    after = PeerTables(dict(have.neigh), set(have.fdb), dict(have.routes), {k: list(v) for k, v in have.rules.items()})
    for ip, _mac in plan.neigh_del:
        after.neigh.pop(ip, None)
    for ip, mac in plan.neigh_add + plan.neigh_change:
        after.neigh[ip] = mac
    after.fdb -= set(plan.fdb_del)
    after.fdb |= set(plan.fdb_add)
    for key, _gw in plan.route_del:
        after.routes.pop(key, None)
    for key, gw in plan.route_add + plan.route_change:
        after.routes[key] = gw
    for key, prio in plan.rule_del:
        left = [item for item in after.rules.get(key, []) if item[0] != prio]
        if left:
            after.rules[key] = left
        else:
            after.rules.pop(key, None)
    for key in plan.rule_add:
        after.rules[key] = [(0, True)]
    return after


# ---------------------------------------------------------------------------
# Peer messages (struct; byte for byte what pyroute2's classes encode).


def neigh_body(ifindex: int, ip: bytes, mac: Optional[bytes]) -> bytes:
    body = NDMSG.pack(family_of(ip), ifindex, NUD_PERMANENT, 0, 0) + nla(NDA_DST, ip)
    if mac is not None:
        body += nla(NDA_LLADDR, mac)
    return body


def fdb_body(ifindex: int, mac: bytes, dst: bytes) -> bytes:
    return (
        NDMSG.pack(AF_BRIDGE, ifindex, NUD_PERMANENT | NUD_NOARP, NTF_SELF, 0)
        + nla(NDA_LLADDR, mac)
        + nla(NDA_DST, dst)
    )


def route_body(ifindex: int, key: RouteKey, gateway: bytes, proto: int) -> bytes:
    table, dst, plen = key
    return (
        RTMSG.pack(
            family_of(dst), plen, 0, 0, table if table < 256 else RT_TABLE_UNSPEC, proto, RT_SCOPE_UNIVERSE, RTN_UNICAST, RTNH_F_ONLINK
        )
        + nla_u32(RTA_TABLE, table)
        + nla(RTA_DST, dst)
        + nla(RTA_GATEWAY, gateway)
        + nla_u32(RTA_OIF, ifindex)
    )


def rule_body(key: RuleKey, table: int, proto: int, priority: int = 0) -> bytes:
    src, plen = key
    body = FIB_RULE_HDR.pack(family_of(src), 0, plen, 0, table if table < 256 else RT_TABLE_UNSPEC, 0, 0, FR_ACT_TO_TBL, 0)
    body += nla(FRA_SRC, src) + nla_u32(FRA_TABLE, table) + nla_u8(FRA_PROTOCOL, proto)
    if priority:
        body += nla_u32(FRA_PRIORITY, priority)
    return body


def iter_requests(plan: PeerPlan, ifindex: int, table: int, proto: int) -> Iterator[Tuple[int, int, bytes, str]]:
    """The batch for a plan, (type, flags, body, description) each: removals
    first, then additions and changes.  The descriptions name the change (they
    are the plan check mode returns, and the subject of a failure)."""
    create = NLM_F_CREATE | NLM_F_REPLACE
    for key, prio in plan.rule_del:
        yield RTM_DELRULE, 0, rule_body(key, table, proto, prio), f"delete rule from {ip_text(key[0])}/{key[1]} lookup {table}"
    for key, gw in plan.route_del:
        yield RTM_DELROUTE, 0, route_body(ifindex, key, gw, proto), f"delete route {ip_text(key[1])}/{key[2]} table {table_name(key[0])}"
    for mac, dst in plan.fdb_del:
        body = NDMSG.pack(AF_BRIDGE, ifindex, 0, NTF_SELF, 0) + nla(NDA_LLADDR, mac) + nla(NDA_DST, dst)
        yield RTM_DELNEIGH, 0, body, f"delete fdb {mac_text(mac)} dst {ip_text(dst)}"
    for ip, _mac in plan.neigh_del:
        yield RTM_DELNEIGH, 0, neigh_body(ifindex, ip, None), f"delete neighbour {ip_text(ip)}"
    for verb, entries in (("add", plan.neigh_add), ("change", plan.neigh_change)):
        for ip, mac in entries:
            yield RTM_NEWNEIGH, create, neigh_body(ifindex, ip, mac), f"{verb} neighbour {ip_text(ip)} lladdr {mac_text(mac)}"
    for mac, dst in plan.fdb_add:
        yield RTM_NEWNEIGH, create, fdb_body(ifindex, mac, dst), f"add fdb {mac_text(mac)} dst {ip_text(dst)}"
    for verb, routes in (("add", plan.route_add), ("change", plan.route_change)):
        for key, gw in routes:
            what = f"{verb} route {ip_text(key[1])}/{key[2]} via {ip_text(gw)} table {table_name(key[0])}"
            yield RTM_NEWROUTE, create, route_body(ifindex, key, gw, proto), what
    for key in plan.rule_add:
        what = f"add rule from {ip_text(key[0])}/{key[1]} lookup {table}"
        yield RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule_body(key, table, proto), what


def plan_requests(plan: PeerPlan, ifindex: int, table: int, proto: int) -> List[Tuple[int, int, bytes, str]]:
    """All of :func:`iter_requests`."""
    return list(iter_requests(plan, ifindex, table, proto))


def plan_changes(plan: PeerPlan, table: int, limit: int = CHANGES_SHOWN) -> List[str]:
    """The first ``limit`` changes of the plan, readable, and a last line
    saying how many more there are (what check mode returns)."""
    total = sum(len(getattr(plan, name)) for name in plan.__dataclass_fields__)
    shown = [what for _k, _f, _b, what in islice(iter_requests(plan, 0, table, ROUTE_PROTO), limit)]
    if total > len(shown):
        shown.append(f"... and {total - len(shown)} more")
    return shown


# ---------------------------------------------------------------------------
# Reading the peer tables (kernel-side filtering, struct parsing).


def _permanent_entries(nl: Netlink, ifindex: int, family: int, body: bytes, what: str) -> Iterator[Dict[int, bytes]]:
    """The attributes of every permanent neighbour-table entry of the device."""
    for _t, data, off, length in nl.dump(RTM_GETNEIGH, body, what):
        fam, idx, state, _flags, _type = NDMSG.unpack_from(data, off + 16)
        if idx == ifindex and fam == family and state & NUD_PERMANENT:
            yield parse_nlas(data, off + 28, off + length)


def read_neigh(nl: Netlink, ifindex: int, family: int, have: PeerTables) -> None:
    body = NDMSG.pack(family, 0, 0, 0, 0) + nla_u32(NDA_IFINDEX, ifindex)
    for attrs in _permanent_entries(nl, ifindex, family, body, f"dump neighbours of ifindex {ifindex}"):
        ip = attrs.get(NDA_DST)
        mac = attrs.get(NDA_LLADDR)
        if ip is not None and mac is not None:
            have.neigh[ip] = mac


def read_fdb(nl: Netlink, ifindex: int, have: PeerTables) -> None:
    body = NDMSG.pack(AF_BRIDGE, ifindex, 0, 0, 0)
    for attrs in _permanent_entries(nl, ifindex, AF_BRIDGE, body, f"dump fdb of ifindex {ifindex}"):
        mac = attrs.get(NDA_LLADDR)
        dst = attrs.get(NDA_DST)
        if mac is not None and dst is not None:
            have.fdb.add((mac, dst))


def _table_of(attrs: Dict[int, bytes], kind: int, header_table: int) -> int:
    """The table of a route or rule: its 32-bit attribute, else the header's byte."""
    raw = attrs.get(kind)
    return U32.unpack(raw)[0] if raw else header_table


def read_routes(nl: Netlink, ifindex: int, family: int, table: int, proto: int, have: PeerTables) -> None:
    body = RTMSG.pack(family, 0, 0, 0, table if table < 256 else RT_TABLE_UNSPEC, proto, 0, 0, 0)
    body += nla_u32(RTA_TABLE, table) + nla_u32(RTA_OIF, ifindex)
    for _t, data, off, length in nl.dump(RTM_GETROUTE, body, f"dump routes of table {table_name(table)}"):
        fam, plen, _s, _tos, tbl, rproto, _scope, rtype, _flags = RTMSG.unpack_from(data, off + 16)
        if fam != family or rproto != proto or rtype != RTN_UNICAST:
            continue
        attrs = parse_nlas(data, off + 28, off + length)
        if _table_of(attrs, RTA_TABLE, tbl) != table:
            continue
        oif = attrs.get(RTA_OIF)
        if oif is None or U32.unpack(oif)[0] != ifindex:
            continue
        dst = attrs.get(RTA_DST, bytes(4 if family == AF_INET else 16))
        gw = attrs.get(RTA_GATEWAY)
        if gw is not None:
            have.routes[(table, dst, plen)] = gw


def read_rules(nl: Netlink, family: int, table: int, proto: int, have: PeerTables) -> None:
    body = FIB_RULE_HDR.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    for _t, data, off, length in nl.dump(RTM_GETRULE, body, "dump rules"):
        fam, dst_len, src_len, _tos, tbl, _r1, _r2, action, _flags = FIB_RULE_HDR.unpack_from(data, off + 16)
        if fam != family or action != FR_ACT_TO_TBL or dst_len:
            continue
        attrs = parse_nlas(data, off + 28, off + length)
        if _table_of(attrs, FRA_TABLE, tbl) != table:
            continue
        src = attrs.get(FRA_SRC)
        if src is None or any(k in attrs for k in RULE_SELECTORS):
            continue
        prio = U32.unpack(attrs[FRA_PRIORITY])[0] if FRA_PRIORITY in attrs else 0
        ours = attrs.get(FRA_PROTOCOL, b"\0")[0] == proto
        have.rules.setdefault((src, src_len), []).append((prio, ours))


def read_peer_tables(nl: Netlink, ifindex: int, table: int, proto: int, rule_families: Sequence[int]) -> PeerTables:
    """Every kind once; read again (up to 3 times) when a concurrent change
    interrupted a dump."""
    for _attempt in range(3):
        nl.dump_interrupted = False
        have = PeerTables()
        for family in (AF_INET, AF_INET6):
            read_neigh(nl, ifindex, family, have)
            read_routes(nl, ifindex, family, RT_TABLE_MAIN, proto, have)
        read_fdb(nl, ifindex, have)
        read_routes(nl, ifindex, AF_INET, table, proto, have)
        for family in rule_families:
            read_rules(nl, family, table, proto, have)
        if not nl.dump_interrupted:
            break
    return have


def reconcile_peers(
    device: str,
    peers: Sequence[Peer],
    rule_subnets: Sequence[Tuple[bytes, int]] = (),
    table: int = DEFAULT_TABLE,
    purge: bool = True,
    check: bool = False,
    diff: bool = False,
    proto: int = ROUTE_PROTO,
    nl: Optional[Netlink] = None,
) -> Result:
    """Make the device's peer entries, table ``table`` and its rules match."""
    own = nl is None
    nl = nl or Netlink()
    try:
        ifindex = link_index(nl, device)
        families = sorted({family_of(src) for src, _plen in rule_subnets} | {AF_INET})
        if ifindex is not None:
            have = read_peer_tables(nl, ifindex, table, proto, families)
        elif check:
            # check mode on a fresh node: the device is not there yet (its own
            # task only reported it would make it); everything is to be added
            have = PeerTables()
            for family in families:
                read_rules(nl, family, table, proto, have)
        else:
            raise NetlinkError(errno_mod.ENODEV, f"device {device}", "not found: create it first (overlay_vtep)")
        want = want_tables(peers, rule_subnets, table)
        plan = plan_peers(want, have, purge)
        result = Result(changed=not plan.empty, before={}, after={}, counts=plan.counts(), changes=plan_changes(plan, table))
        if diff:
            result.before = describe_tables(have, table)
            result.after = describe_tables(apply_plan_to(have, plan), table)
        if not plan.empty and not check and ifindex is not None:
            failures = nl.batch(plan_requests(plan, ifindex, table, proto))
            result.failures = [str(f) for f in failures]
        return result
    finally:
        if own:
            nl.close()


def run_peers(module: Any) -> Dict[str, Any]:
    """The ``overlay_peers`` module: check the input, reconcile (nothing
    written in check mode), return the plan; failed requests fail the task
    with what was done."""
    require_pyroute2()
    p = module.params
    device = parse_ifname("device", p["device"])
    peers = parse_peers(p["peers"])
    rule_subnets = parse_rule_subnets(p["rule_subnets"])
    table = parse_table("table", p["table"])
    result = reconcile_peers(device, peers, rule_subnets, table=table, purge=p["purge"], check=module.check_mode, diff=module._diff)
    out = {
        "changed": result.changed,
        "changes": result.changes,
        "counts": result.counts,
        "peers": len(peers),
        "route_proto": ROUTE_PROTO,
    }
    if module._diff:
        out["diff"] = {"before": result.before, "after": result.after}
    if result.failures:
        shown = result.failures[:20]
        more = len(result.failures) - len(shown)
        raise Failed(
            f"{len(result.failures)} netlink request(s) failed: " + "; ".join(shown) + (f"; and {more} more" if more else ""),
            failures=result.failures,
            **out,
        )
    return out
