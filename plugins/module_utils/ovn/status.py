# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OVN backend's status, read from the Northbound and Southbound databases:
per node its chassis (registered, Geneve endpoint) and its switch (block, own
port up, task ports); per network its router and switches."""

from __future__ import annotations

from typing import Any, Dict, List

from . import model, nbdb


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else (None if isinstance(value, list) else value)


def read_chassis(sb) -> Dict[str, Dict[str, Any]]:
    out = {}
    for row in nbdb.rows(sb, "Chassis"):
        out[row.name] = {"hostname": row.hostname,
                         "encaps": sorted("%s:%s" % (e.type, e.ip) for e in row.encaps)}
    return out


def read_switches(nb) -> Dict[str, Dict[str, Any]]:
    out = {}
    for row in nbdb.rows(nb, "Logical_Switch"):
        if not nbdb.is_ours(row):
            continue
        ports = []
        for port in row.ports:
            ports.append({"name": port.name, "kind": port.external_ids.get(model.KIND_KEY, "foreign"),
                          "type": port.type, "up": bool(_first(port.up)),
                          "addresses": list(port.addresses), "dynamic_addresses": _first(port.dynamic_addresses)})
        out[row.name] = {"subnet": row.other_config.get("subnet"), "node": row.external_ids.get(model.NODE_KEY),
                         "ports": sorted(ports, key=lambda p: p["name"])}
    return out


def read_tenants(nb) -> Dict[str, Dict[str, Any]]:
    """Per tenant (seed 004): its networks (subnet, MTU, task ports), gateway routers
    (chassis, external address) and load balancers (VIP -> backends)."""
    out: Dict[str, Dict[str, Any]] = {}

    def tenant(row) -> Dict[str, Any]:
        name = row.external_ids.get(model.TENANT_KEY)
        return out.setdefault(name, {"networks": {}, "gateways": {}, "load_balancers": {}})

    for row in nbdb.rows(nb, "Logical_Switch"):
        if nbdb.is_ours(row) and row.external_ids.get(model.TENANT_KEY) and row.other_config.get("subnet"):
            tenant(row)["networks"][row.name] = {
                "subnet": row.other_config.get("subnet"), "mtu": row.external_ids.get(model.MTU_KEY),
                "tasks": sorted(p.name for p in row.ports if p.external_ids.get(model.KIND_KEY) == model.KIND_TASK)}
    for row in nbdb.rows(nb, "Logical_Router"):
        if nbdb.is_ours(row) and row.external_ids.get(model.TENANT_KEY) and row.options.get("chassis"):
            external = [n for p in row.ports if p.name.startswith("rtoe-") for n in p.networks]
            tenant(row)["gateways"][row.name] = {"chassis": row.options["chassis"], "external": external}
    for row in nbdb.rows(nb, "Load_Balancer"):
        if nbdb.is_ours(row) and row.external_ids.get(model.TENANT_KEY):
            tenant(row)["load_balancers"][row.name] = {"vips": dict(row.vips), "protocol": _first(row.protocol)}
    return out


def node_status(nodes: List[str], chassis: Dict[str, Any], switches: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    out = {}
    for node in nodes:
        problems = []
        if node not in chassis:
            problems.append("no chassis %s in the Southbound database (is ovn-controller running?)" % node)
        switch = switches.get(model.node_switch(node))
        if switch is None:
            problems.append("no logical switch %s" % model.node_switch(node))
            tasks = 0
        else:
            own = [p for p in switch["ports"] if p["name"] == model.node_port(node)]
            if not own or not own[0]["up"]:
                problems.append("the node's own port %s is not up" % model.node_port(node))
            tasks = sum(1 for p in switch["ports"] if p["kind"] == model.KIND_TASK)
        out[node] = {"status": "STATUS_FAILED" if problems else "STATUS_OK", "error": "; ".join(problems) or None,
                     "chassis": chassis.get(node), "subnet": switch["subnet"] if switch else None, "tasks": tasks}
    return out


def table(status: Dict[str, Dict[str, Any]]) -> List[str]:
    rows = [("node", "status", "subnet", "tasks", "geneve", "error")]
    for node, s in status.items():
        rows.append((node, s["status"].replace("STATUS_", ""), s["subnet"] or "-", str(s["tasks"]),
                     ",".join((s["chassis"] or {}).get("encaps", [])) or "-", s["error"] or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return ["  ".join(r[i].ljust(widths[i]) for i in range(5)) + ("  " + r[5] if r[5] else "") for r in rows]
