# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Status of the overlays: per node (the local fact), the master's state view, capacity.

* ``overlay_state_view``: the ``/overlay-master/state`` JSON of the DC/OS overlay
  master module, from the allocations and every node's fact;
* ``overlay_status_table``: the same as a readable table, node x overlay;
* ``overlay_status_now``: a node's record, failed where the node no longer has what
  it should (checked by status.yml);
* ``overlay_status_summary``: counts per overlay and status, the failures, capacity;
  a screenful at any cluster size;
* ``overlay_capacity``: per overlay, blocks used and left.

The functions without the ``overlay_`` prefix hold the logic and are what the
unit tests call.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List, Mapping, Optional

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import CONFIGURING, FAILED
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import state as _state

HINT = " (are these the facts published by the master role?)"


def _set(target: Dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


# --------------------------------------------------------------------------
# The master's state view


def _info(overlay: Mapping[str, Any]) -> Dict[str, Any]:
    info: Dict[str, Any] = {"name": overlay["name"], "subnet": overlay["subnet"], "prefix": overlay["prefix"]}
    _set(info, "subnet6", overlay.get("subnet6"))
    _set(info, "prefix6", overlay.get("prefix6"))
    if overlay.get("enabled") is False:
        info["enabled"] = False
    return info


def network_view(config: Mapping[str, Any]) -> Dict[str, Any]:
    net: Dict[str, Any] = {"vtep_subnet": config["vtep_subnet"]}
    _set(net, "vtep_subnet6", config.get("vtep_subnet6"))
    net["vtep_mac_oui"] = config["vtep_mac_oui"]
    _set(net, "vtep_mtu", config.get("vtep_mtu"))
    net["overlays"] = [_info(o) for o in config.get("overlays") or []]
    return net


def _bridge(name: str, ip: Optional[str], ip6: Optional[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {"name": name}
    _set(out, "ip", ip)
    _set(out, "ip6", ip6)
    return out


def overlay_state(fact: Optional[Mapping[str, Any]], name: str) -> Dict[str, str]:
    """The state of overlay ``name`` in a node's record (as ``status_now`` left it).

    A record with an ``error`` (the node could not be reached or its record read)
    fails every overlay; no record, or none for this overlay, is CONFIGURING.
    """
    if not fact:
        return _state(CONFIGURING, "no status reported by the node yet")
    if fact.get("error"):
        return _state(FAILED, str(fact["error"]))
    state = ((fact.get("overlays") or {}).get(name) or {}).get("state")
    return dict(state) if state else _state(CONFIGURING, "the node has not configured this overlay yet")


def state_view(config: Mapping[str, Any], allocations: Mapping[str, Any],
               facts: Optional[Mapping[str, Any]] = None, vni: int = 1024,
               vtep_name: str = "vtep1024") -> Dict[str, Any]:
    """``{network, agents}`` as ``/overlay-master/state`` served it."""
    facts = facts or {}
    infos = {o["name"]: o for o in config.get("overlays") or []}
    agents = []
    for node, alloc in allocations.items():
        fact = facts.get(node) or {}
        is_master = alloc.get("role") == "master"
        mesos = fact.get("mesos_bridge", not is_master)
        docker = fact.get("docker_bridge", not is_master)
        overlays = []
        for name, block in (alloc.get("overlays") or {}).items():
            info = infos.get(name)
            if info is None:
                continue
            entry: Dict[str, Any] = {"info": _info(info), "subnet": block.get("subnet")}
            _set(entry, "subnet6", block.get("subnet6"))
            if mesos:
                entry["mesos_bridge"] = _bridge("m-" + name, block.get("mesos_subnet"), block.get("mesos_subnet6"))
            if docker:
                entry["docker_bridge"] = _bridge("d-" + name, block.get("docker_subnet"), block.get("docker_subnet6"))
            vxlan: Dict[str, Any] = {"vni": vni, "vtep_name": vtep_name, "vtep_ip": alloc.get("vtep_ip")}
            _set(vxlan, "vtep_ip6", alloc.get("vtep_ip6"))
            vxlan["vtep_mac"] = alloc.get("vtep_mac")
            entry["backend"] = {"vxlan": vxlan}
            entry["state"] = overlay_state(facts.get(node), name)
            overlays.append(entry)
        agent: Dict[str, Any] = {"ip": alloc.get("ip"), "overlays": overlays}
        if isinstance(fact.get("netgroups"), Mapping):
            agent["netgroups"] = dict(fact["netgroups"])
        agents.append(agent)
    return {"network": network_view(config), "agents": agents}


# --------------------------------------------------------------------------
# What a node has now


def _vtep_problem(vtep: Any, name: str) -> Optional[str]:
    if not isinstance(vtep, Mapping) or vtep.get("skipped"):
        return None
    if vtep.get("failed"):
        return f"{name}: cannot be checked: {str(vtep.get('msg') or 'failed').strip()}"
    # status.yml reports no change (changed_when: false): what would change is
    # read from the diff and the reasons
    diff = vtep.get("diff") or {}
    before = diff.get("before") or {}
    if before.get("state") == "absent":
        return f"{name} is missing"
    if vtep.get("reasons"):
        return f"{name} differs from the allocation: {'; '.join(str(r) for r in vtep['reasons'])}"
    if before != (diff.get("after") or {}):
        return f"{name} differs from the allocation (addresses, MTU or link state)"
    return None


def _peers_problem(peers: Any) -> Optional[str]:
    if not isinstance(peers, Mapping) or peers.get("skipped"):
        return None
    if peers.get("failed"):
        return f"peers: cannot be checked: {str(peers.get('msg') or 'failed').strip()}"
    parts = []
    for kind, count in sorted((peers.get("counts") or {}).items()):
        n = sum(int(v or 0) for v in (count or {}).values()) if isinstance(count, Mapping) else 0
        if n:
            parts.append(f"{n} {kind}")
    return ("peers: " + ", ".join(parts) + " missing or wrong") if parts else None


def status_now(record: Optional[Mapping[str, Any]], vtep: Any = None, peers: Any = None, cni: Any = None,
               vtep_name: str = "vtep1024", error: Optional[str] = None,
               netgroups: Any = None) -> Dict[str, Any]:
    """A node's record as it is now: what the last run recorded, failed where the node
    no longer has what it should.

    ``vtep`` and ``peers`` are the registered results of ``overlay_vtep`` (check mode,
    with diff) and ``overlay_peers`` (check mode) against the allocation: a change
    they would make (the VTEP's diff or reasons, the peers' counts) is a fault of
    every overlay. ``cni`` is a registered loop of
    ``stat`` over the record's CNI files: a missing file fails its overlay. ``error``
    (the node unreachable, its record unreadable) fails the node. The faults last
    until the next converge repairs them.
    """
    if error:
        return {"error": str(error)}
    if not record:
        return {}
    out = dict(record)
    node_faults = [p for p in (_vtep_problem(vtep, vtep_name), _peers_problem(peers)) if p]
    missing: Dict[str, List[str]] = {}
    items = cni.get("results", []) if isinstance(cni, Mapping) else []
    for item in items:
        if not isinstance(item, Mapping) or item.get("skipped"):
            continue
        path = str(item.get("item"))
        name = path.rsplit("/", 1)[-1][:-len(".conf")] if path.endswith(".conf") else path
        if item.get("failed"):
            missing.setdefault(name, []).append(f"cni: {path} cannot be checked: {item.get('msg')}")
        elif not (item.get("stat") or {}).get("exists"):
            missing.setdefault(name, []).append(f"cni: {path} is missing")
    overlays = {}
    for name, entry in (record.get("overlays") or {}).items():
        faults = node_faults + missing.get(name, [])
        entry = dict(entry)
        if faults:
            before = entry.get("state") or {}
            errors = ([before["error"]] if before.get("status") == FAILED and before.get("error") else [])
            entry["state"] = _state(FAILED, "; ".join(errors + [f"now: {f}" for f in faults]))
        overlays[name] = entry
    out["overlays"] = overlays
    if isinstance(record.get("netgroups"), Mapping):
        out["netgroups"] = _netgroups_now(record["netgroups"], node_faults, netgroups)
    return out


def _netgroups_now(entry: Mapping[str, Any], node_faults: List[str], rules: Any) -> Dict[str, Any]:
    """The node's netgroup record, failed when its VTEP, peers or rules (``overlay_netgroups``
    run in check mode) are not as they should be now."""
    faults = list(node_faults)
    if isinstance(rules, Mapping) and not rules.get("skipped"):
        if rules.get("failed"):
            faults.append(f"netgroup rules: cannot be checked: {str(rules.get('msg') or 'failed').strip()}")
        elif rules.get("changed"):
            faults.append("netgroup rules or sets are missing or differ")
    out = dict(entry)
    if faults:
        before = entry.get("state") or {}
        errors = [before["error"]] if before.get("status") == FAILED and before.get("error") else []
        out["state"] = _state(FAILED, "; ".join(errors + [f"now: {f}" for f in faults]))
    return out


# --------------------------------------------------------------------------
# A readable table


def status_rows(allocations: Mapping[str, Any], facts: Optional[Mapping[str, Any]] = None) -> List[Dict[str, str]]:
    facts = facts or {}
    rows = []
    for node, alloc in allocations.items():
        for name, block in (alloc.get("overlays") or {}).items():
            state = overlay_state(facts.get(node), name)
            subnet = block.get("subnet") or ""
            if block.get("subnet6"):
                subnet += " " + block["subnet6"]
            rows.append({"node": node, "ip": alloc.get("ip") or "", "overlay": name, "subnet": subnet,
                         "status": state.get("status", "").replace("STATUS_", ""),
                         "error": state.get("error") or ""})
    return rows


def status_table(allocations: Mapping[str, Any], facts: Optional[Mapping[str, Any]] = None) -> List[str]:
    """Node x overlay: subnet, status, error; one string per line, header first."""
    cols = ("node", "ip", "overlay", "subnet", "status", "error")
    rows = status_rows(allocations, facts)
    width = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in cols[:-1]}

    def line(r):
        return "  ".join(r[c].ljust(width[c]) for c in cols[:-1]) + "  " + r["error"]

    head = {c: c.upper() for c in cols}
    return [line(head).rstrip()] + [line(r).rstrip() for r in rows]


# --------------------------------------------------------------------------
# Capacity


def capacity(config: Mapping[str, Any], allocations: Mapping[str, Any],
             state: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
    """Per overlay: blocks in total (2^(prefix - subnet length)), used, left; v6 beside.

    A block is used when a node holds it: in ``allocations`` (enabled overlays) or in
    ``state`` (the allocation state file's document), where disabled overlays keep
    their blocks reserved.
    """
    held = {n: dict((a.get("overlays") or {})) for n, a in allocations.items()}
    for node, data in ((state or {}).get("nodes") or {}).items():
        for name, block in ((data or {}).get("overlays") or {}).items():
            mine = held.setdefault(node, {})
            mine[name] = dict(block or {}, **(mine.get(name) or {}))
    out = []
    for ov in config.get("overlays") or []:
        name = ov["name"]
        entry: Dict[str, Any] = {"name": name, "enabled": ov.get("enabled", True) is not False}
        for suffix in ("", "6"):
            subnet, prefix = ov.get("subnet" + suffix), ov.get("prefix" + suffix)
            if not subnet or prefix is None:
                continue
            length = ipaddress.ip_network(subnet, strict=False).prefixlen
            total = 2 ** (int(prefix) - length)
            used = sum(1 for blocks in held.values() if (blocks.get(name) or {}).get("subnet" + suffix))
            entry.update({"subnet" + suffix: subnet, "prefix" + suffix: int(prefix),
                          "blocks" + suffix: total, "used" + suffix: used, "left" + suffix: total - used})
        out.append(entry)
    return out


def capacity_table(rows: List[Mapping[str, Any]]) -> List[str]:
    lines = ["OVERLAY  SUBNET  PREFIX  BLOCKS  USED  LEFT"]
    table = []
    for r in rows:
        for suffix in ("", "6"):
            if "blocks" + suffix in r:
                table.append([r["name"] + ("" if r["enabled"] else " (disabled)"), r["subnet" + suffix],
                              "/" + str(r["prefix" + suffix]), str(r["blocks" + suffix]),
                              str(r["used" + suffix]), str(r["left" + suffix])])
    head = lines[0].split()
    width = [max([len(head[i])] + [len(t[i]) for t in table]) for i in range(len(head))]
    return ["  ".join(v.ljust(w) for v, w in zip(row, width)).rstrip() for row in [head] + table]


# --------------------------------------------------------------------------
# A summary that fits a screen at any size


def status_summary(config: Mapping[str, Any], allocations: Mapping[str, Any],
                   facts: Optional[Mapping[str, Any]] = None, state: Optional[Mapping[str, Any]] = None,
                   max_failures: int = 20) -> List[str]:
    """Counts per overlay and status, the failing node/overlay pairs (at most
    ``max_failures`` shown, with the number left out) and the capacity."""
    rows = status_rows(allocations, facts)
    statuses = ("OK", "FAILED", "CONFIGURING")
    counts: Dict[str, Dict[str, int]] = {}
    for r in rows:
        counts.setdefault(r["overlay"], {k: 0 for k in statuses})
        counts[r["overlay"]][r["status"] if r["status"] in statuses else "FAILED"] += 1
    names = [o["name"] for o in config.get("overlays") or [] if o["name"] in counts]
    table = [["OVERLAY", *statuses]] + [[n, *(str(counts[n][k]) for k in statuses)] for n in names]
    width = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
    lines = [f"{len(allocations)} nodes, {len(rows)} node/overlay pairs:"]
    lines += ["  " + "  ".join(v.ljust(w) for v, w in zip(t, width)).rstrip() for t in table]
    bad = [r for r in rows if r["status"] != "OK"]
    if bad:
        lines.append(f"not OK ({len(bad)}):")
        lines += [f"  {r['node']}/{r['overlay']}: {r['status']}" + (f": {r['error']}" if r["error"] else "")
                  for r in bad[:max_failures]]
        if len(bad) > max_failures:
            lines.append(f"  ... and {len(bad) - max_failures} more (overlay_status_json=FILE writes them all)")
    lines.append("capacity:")
    lines += ["  " + line for line in capacity_table(capacity(config, allocations, state))]
    return lines


# --------------------------------------------------------------------------
# Filters


overlay_state_view = as_filter(state_view, "overlay_state_view", HINT)
overlay_status_table = as_filter(status_table, "overlay_status_table", HINT)
overlay_capacity = as_filter(capacity, "overlay_capacity", HINT)
overlay_status_now = as_filter(status_now, "overlay_status_now", HINT)
overlay_status_summary = as_filter(status_summary, "overlay_status_summary", HINT)
overlay_capacity_table = as_filter(capacity_table, "overlay_capacity_table", HINT)


class FilterModule:
    """mesos.overlay status filters."""

    def filters(self):
        return {
            "overlay_state_view": overlay_state_view,
            "overlay_status_table": overlay_status_table,
            "overlay_capacity": overlay_capacity,
            "overlay_status_now": overlay_status_now,
            "overlay_status_summary": overlay_status_summary,
            "overlay_capacity_table": overlay_capacity_table,
        }
