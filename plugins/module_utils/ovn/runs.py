# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OVN modules' runs (``entrypoint.run_module(module, run_...)``): read
the parameters, read the database, plan, apply unless in check mode, return
the result. ``module`` is the AnsibleModule (``params``, ``check_mode``,
``_diff``)."""

from __future__ import annotations

from typing import Any, Dict

from . import model, nbdb, status, tenants, vswitch


def run_topology(module: Any) -> Dict[str, Any]:
    p = module.params
    purge = p["purge"] or p["state"] == "absent"
    if p["state"] == "present":
        if not p["cluster_subnet"]:
            raise model.TopologyError("cluster_subnet: required with state=present")
        nodes = model.parse_nodes(p["nodes"])
        topo = model.build(p["cluster_subnet"], nodes, model.parse_gateway(p["gateway"]), p["join_subnet"])
        names = [n.name for n in nodes]
        wanted_tenants = tenants.parse_tenants(p["tenants"])
        tenants.build_tenants(wanted_tenants, names)  # bad input fails before the database is asked
    else:
        topo = model.Topology()
        names = []
        wanted_tenants = []
    api = nbdb.connect(p["nb"], "OVN_Northbound", timeout=p["timeout"])
    try:
        # Gateways keep the join addresses they hold: read them before building.
        held = tenants.read_join_addresses(nbdb.rows(api, "Logical_Router_Port"))
        rows = topo.rows + tenants.build_tenants(wanted_tenants, names, held, purge)
        plan = nbdb.plan(api, rows, purge=purge, nodes=names)
        if not module.check_mode:
            nbdb.apply(api, plan, timeout=p["timeout"])
    finally:
        nbdb.close(api)
    out = {"changed": plan.changed, "actions": plan.actions(),
           "nodes": {name: a.to_dict() for name, a in topo.nodes.items()}}
    if module._diff:
        out["diff"] = plan.diff()
    return out


def run_chassis(module: Any) -> Dict[str, Any]:
    p = module.params
    bridges = vswitch.parse_bridges(p["bridges"])
    external_ids = {str(k): str(v) for k, v in p["external_ids"].items()}
    api = nbdb.connect(p["db"], "Open_vSwitch", timeout=p["timeout"])
    try:
        changes = vswitch.plan(api, external_ids, bridges)
        if not module.check_mode:
            vswitch.apply(api, changes, timeout=p["timeout"])
    finally:
        nbdb.close(api)
    out = {"changed": bool(changes), "actions": [c["what"] for c in changes]}
    if module._diff:
        out["diff"] = {"before": {c["what"]: c["before"] for c in changes},
                       "after": {c["what"]: c["after"] for c in changes}}
    return out


def run_chassis_record(module: Any) -> Dict[str, Any]:
    p = module.params
    api = nbdb.connect(p["sb"], "OVN_Southbound", timeout=p["timeout"])
    try:
        present = {row.name for row in nbdb.rows(api, "Chassis")}
        doomed = [name for name in p["absent"] if name in present]
        if doomed and not module.check_mode:
            with api.transaction(check_error=True, timeout=p["timeout"]) as txn:
                for name in doomed:
                    txn.add(api.chassis_del(name, if_exists=True))
                for row in nbdb.rows(api, "Chassis_Private"):
                    if row.name in doomed:
                        txn.add(api.db_destroy("Chassis_Private", row.uuid))
    finally:
        nbdb.close(api)
    return {"changed": bool(doomed), "removed": doomed}


def run_status(module: Any) -> Dict[str, Any]:
    p = module.params
    sb = nbdb.connect(p["sb"], "OVN_Southbound", timeout=p["timeout"])
    try:
        chassis = status.read_chassis(sb)
    finally:
        nbdb.close(sb)
    nb = nbdb.connect(p["nb"], "OVN_Northbound", timeout=p["timeout"])
    try:
        switches = status.read_switches(nb)
        tenant_view = status.read_tenants(nb)
    finally:
        nbdb.close(nb)
    nodes = status.node_status(p["nodes"], chassis, switches)
    return {"changed": False, "nodes": nodes, "table": status.table(nodes),
            "networks": {p["network"]: {"router": model.ROUTER, "switches": switches}}, "tenants": tenant_view}
