# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Status of the overlays: per node (the local fact), the master's state view, capacity.

* ``overlay_node_fact``: what the agent role keeps in
  ``/etc/ansible/facts.d/mesos_overlay.fact`` (per overlay status, what it made);
* ``overlay_state_view``: the ``/overlay-master/state`` JSON of the DC/OS overlay
  master module, from the allocations and every node's fact;
* ``overlay_status_table``: the same as a readable table, node x overlay;
* ``overlay_capacity``: per overlay, blocks used and left.

The functions without the ``overlay_`` prefix hold the logic and are what the
unit tests call.
"""

from __future__ import annotations


import ipaddress
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter

HINT = " (are these the facts published by the master role?)"

OK = "STATUS_OK"
FAILED = "STATUS_FAILED"
CONFIGURING = "STATUS_CONFIGURING"
FACT_VERSION = 1


def _set(target: Dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        target[key] = value


def _state(status: str, error: Optional[str] = None) -> Dict[str, str]:
    out = {"status": status}
    if error:
        out["error"] = error
    return out


# --------------------------------------------------------------------------
# The node's local fact


def node_fact(allocation: Mapping[str, Any], errors: Optional[Mapping[str, Any]] = None,
              mesos_bridge: bool = True, docker_bridge: bool = True,
              cni_files: Iterable[str] = (), docker_networks: Iterable[str] = (),
              configuring: Iterable[str] = (), vtep: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The local fact of a node after a run.

    ``errors`` maps an overlay to a list of messages (or one string): any message
    makes its status FAILED with the messages joined by ``; ``. Overlays named in
    ``configuring`` are CONFIGURING (used before the work starts). Everything else
    allocated is OK. No timestamps: an unchanged node writes an identical fact.
    """
    errors = merge_errors(errors)
    configuring = set(configuring)
    overlays: Dict[str, Any] = {}
    for name, block in (allocation.get("overlays") or {}).items():
        errs = errors.get(name) or []
        if isinstance(errs, str):
            errs = [errs]
        errs = [str(e) for e in errs if e]
        entry = {k: block.get(k) for k in ("subnet", "mesos_subnet", "docker_subnet",
                                           "subnet6", "mesos_subnet6", "docker_subnet6")}
        if errs:
            entry["state"] = _state(FAILED, "; ".join(errs))
        elif name in configuring:
            entry["state"] = _state(CONFIGURING)
        else:
            entry["state"] = _state(OK)
        overlays[name] = entry
    return {
        "version": FACT_VERSION,
        "ip": allocation.get("ip"),
        "vtep": dict(vtep or {}, ip=allocation.get("vtep_ip"), ip6=allocation.get("vtep_ip6"),
                     mac=allocation.get("vtep_mac")),
        "mesos_bridge": bool(mesos_bridge),
        "docker_bridge": bool(docker_bridge),
        "overlays": overlays,
        "cni_files": sorted(set(cni_files)),
        "docker_networks": sorted(set(docker_networks)),
    }


def merge_errors(errors: Any) -> Dict[str, List[str]]:
    """One ``{overlay: [messages]}`` from a dict of those, or a list of them."""
    if not errors:
        return {}
    if isinstance(errors, Mapping):
        errors = [errors]
    out: Dict[str, List[str]] = {}
    for part in errors:
        for name, msgs in (part or {}).items():
            if isinstance(msgs, str):
                msgs = [msgs]
            out.setdefault(name, []).extend(str(m) for m in msgs if m)
    return out


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def failures(result: Any, part: str, key: str = "item.key", names: Iterable[str] = ()) -> Dict[str, List[str]]:
    """``{overlay: ["<part>: <msg>"]}`` for the failed items of a registered task result.

    A loop result is split by ``key`` (a dotted path into each item's result, the
    overlay's name). A task that is not a loop, or ``names`` given, charges a failure
    to every overlay of ``names``. Skipped or successful items give nothing.
    """
    if not isinstance(result, Mapping):
        return {}
    names = list(names)
    items = result.get("results") if "results" in result else [result]
    out: Dict[str, List[str]] = {}
    for item in items or []:
        if not isinstance(item, Mapping) or not item.get("failed"):
            continue
        msg = str(item.get("msg") or "failed").strip()
        targets = names or [_dig(item, key)]
        for name in targets:
            if name is not None:
                out.setdefault(str(name), []).append(f"{part}: {msg}")
    return out


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


def state_view(config: Mapping[str, Any], allocations: Mapping[str, Any],
               facts: Optional[Mapping[str, Any]] = None, vni: int = 1024,
               vtep_name: str = "vtep1024") -> Dict[str, Any]:
    """``{network, agents}`` as ``/overlay-master/state`` served it."""
    facts = facts or {}
    infos = {o["name"]: o for o in config.get("overlays") or []}
    agents = []
    for node, alloc in allocations.items():
        fact = facts.get(node) or {}
        reported = fact.get("overlays") or {}
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
            state = (reported.get(name) or {}).get("state")
            if not state:
                state = _state(CONFIGURING, "no status reported by the node yet" if not fact else
                               "the node has not configured this overlay yet")
            entry["state"] = dict(state)
            overlays.append(entry)
        agents.append({"ip": alloc.get("ip"), "overlays": overlays})
    return {"network": network_view(config), "agents": agents}


# --------------------------------------------------------------------------
# A readable table


def status_rows(allocations: Mapping[str, Any], facts: Optional[Mapping[str, Any]] = None) -> List[Dict[str, str]]:
    facts = facts or {}
    rows = []
    for node, alloc in allocations.items():
        reported = ((facts.get(node) or {}).get("overlays")) or {}
        for name, block in (alloc.get("overlays") or {}).items():
            state = (reported.get(name) or {}).get("state") or _state(CONFIGURING, "not reported")
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


def capacity(config: Mapping[str, Any], allocations: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """Per overlay: blocks in total (2^(prefix - subnet length)), used, left; v6 beside."""
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
            used = sum(1 for a in allocations.values()
                       if ((a.get("overlays") or {}).get(name) or {}).get("subnet" + suffix))
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
# Filters


overlay_node_fact = as_filter(node_fact, "overlay_node_fact", HINT)
overlay_failures = as_filter(failures, "overlay_failures", HINT)
overlay_state_view = as_filter(state_view, "overlay_state_view", HINT)
overlay_status_table = as_filter(status_table, "overlay_status_table", HINT)
overlay_capacity = as_filter(capacity, "overlay_capacity", HINT)
overlay_capacity_table = as_filter(capacity_table, "overlay_capacity_table", HINT)


class FilterModule:
    """mesos.overlay status filters."""

    def filters(self):
        return {
            "overlay_node_fact": overlay_node_fact,
            "overlay_failures": overlay_failures,
            "overlay_state_view": overlay_state_view,
            "overlay_status_table": overlay_status_table,
            "overlay_capacity": overlay_capacity,
            "overlay_capacity_table": overlay_capacity_table,
        }
