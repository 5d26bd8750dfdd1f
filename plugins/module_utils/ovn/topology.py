# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``ovn_topology`` module's run: the seed 002 topology built from the
options (:mod:`.model`), reconciled with the Northbound database
(:mod:`.nbdb`).

The rest of the package imports nothing of the collection (the CNI plugin is
installed on its own), so its errors become :class:`OverlayError` here."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.ovn import model, nbdb


def run_topology(module: Any) -> Dict[str, Any]:
    """The ``ovn_topology`` module: the wanted rows (from the options), the
    rows in the Northbound database, the plan, applied in one transaction
    unless in check mode; returns the actions (the plan)."""
    try:
        return _run(module)
    except (model.TopologyError, nbdb.CentralError, nbdb.OwnershipError) as exc:
        raise OverlayError(str(exc)) from None


def _run(module: Any) -> Dict[str, Any]:
    p = module.params
    if p["state"] == "present":
        if not p["cluster_subnet"]:
            raise model.TopologyError("cluster_subnet: required with state=present")
        topo = model.build(p["cluster_subnet"], model.parse_nodes(p["nodes"]),
                           model.parse_gateway(p["gateway"]), p["join_subnet"])
    else:
        topo = model.Topology()
    api = nbdb.connect(p["nb"], "OVN_Northbound", timeout=p["timeout"])
    try:
        plan = nbdb.plan(api, topo.rows, purge=p["purge"] or p["state"] == "absent")
        if not module.check_mode:
            nbdb.apply(api, plan, timeout=p["timeout"])
    finally:
        nbdb.close(api)
    out = {"changed": plan.changed, "actions": plan.actions(),
           "nodes": {name: a.to_dict() for name, a in topo.nodes.items()}}
    if module._diff:
        out["diff"] = plan.diff()
    return out
