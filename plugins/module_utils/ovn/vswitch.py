# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A node's Open vSwitch database as a chassis needs it (ovsdbapp, one transaction).

Managed: the given keys of ``Open_vSwitch.external_ids`` (system-id, ovn-remote,
ovn-encap-*, ovn-bridge-mappings, ...); bridges with their datapath type, the
given ``other_config`` keys and ports; each port's interface type, MAC and the
given ``external_ids`` keys. Other keys, bridges and ports are left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..common import OverlayError
from . import nbdb
from .model import OWNER, OWNER_KEY


@dataclass
class PortSpec:
    name: str
    type: str = ""
    mac: Optional[str] = None
    mtu_request: Optional[int] = None
    external_ids: Dict[str, str] = field(default_factory=dict)


@dataclass
class BridgeSpec:
    name: str
    datapath_type: str = ""
    other_config: Dict[str, str] = field(default_factory=dict)
    ports: List[PortSpec] = field(default_factory=list)
    external_ids: Dict[str, str] = field(default_factory=dict)


def parse_bridges(value: Any) -> List[BridgeSpec]:
    out = []
    for i, b in enumerate(value or []):
        if not isinstance(b, dict) or not b.get("name"):
            raise OverlayError("bridges[%d]: needs a name, got %r" % (i, b))
        ports = []
        for j, p in enumerate(b.get("ports") or []):
            if isinstance(p, str):
                p = {"name": p}
            if not isinstance(p, dict) or not p.get("name"):
                raise OverlayError("bridges[%d].ports[%d]: needs a name, got %r" % (i, j, p))
            ports.append(PortSpec(str(p["name"]), str(p.get("type") or ""), p.get("mac"),
                                  int(p["mtu_request"]) if p.get("mtu_request") else None,
                                  {str(k): str(v) for k, v in (p.get("external_ids") or {}).items()}))
        out.append(BridgeSpec(str(b["name"]), str(b.get("datapath_type") or ""),
                              {str(k): str(v) for k, v in (b.get("other_config") or {}).items()}, ports,
                              {OWNER_KEY: OWNER}))
    return out


def _find(api, table: str, name: str):
    for row in api.tables[table].rows.values():
        if row.name == name:
            return row
    return None


def _missing_keys(have: Dict[str, str], want: Dict[str, str]) -> Dict[str, str]:
    return {k: v for k, v in want.items() if have.get(k) != v}


def plan(api, external_ids: Dict[str, str], bridges: List[BridgeSpec]) -> List[Dict[str, Any]]:
    """The changes, each ``{what, before, after}`` (what: 'Open_vSwitch', 'Bridge X', 'Port X')."""
    changes: List[Dict[str, Any]] = []
    root = next(iter(api.tables["Open_vSwitch"].rows.values()), None)
    if root is None:
        raise nbdb.CentralError("the Open_vSwitch database has no root row (is ovs-vswitchd initialised?)")
    need = _missing_keys(dict(root.external_ids), external_ids)
    if need:
        changes.append({"what": "Open_vSwitch", "before": {k: root.external_ids.get(k) for k in need},
                        "after": need, "external_ids": need})
    for br in bridges:
        row = _find(api, "Bridge", br.name)
        if row is None:
            changes.append({"what": "Bridge %s" % br.name, "before": None,
                            "after": {"datapath_type": br.datapath_type, "other_config": br.other_config}, "create": br})
        else:
            cols = {}
            if br.datapath_type and row.datapath_type != br.datapath_type:
                cols["datapath_type"] = br.datapath_type
            oc = _missing_keys(dict(row.other_config), br.other_config)
            if oc:
                cols["other_config"] = oc
            if cols:
                changes.append({"what": "Bridge %s" % br.name,
                                "before": {"datapath_type": row.datapath_type, "other_config": dict(row.other_config)},
                                "after": cols, "update": br, "cols": cols})
        present = {p.name: p for p in (row.ports if row is not None else [])}
        for port in br.ports:
            prow = present.get(port.name)
            if prow is None:
                changes.append({"what": "Port %s" % port.name, "before": None,
                                "after": {"bridge": br.name, "type": port.type, "mac": port.mac,
                                          "mtu_request": port.mtu_request,
                                          "external_ids": port.external_ids}, "add_port": (br, port)})
                continue
            iface = next((i for i in prow.interfaces if i.name == port.name), None)
            cols = {}
            if iface is not None:
                if iface.type != port.type:
                    cols["type"] = port.type
                if port.mac and (iface.mac or [None])[0] != port.mac:
                    cols["mac"] = port.mac
                if port.mtu_request and (iface.mtu_request or [None])[0] != port.mtu_request:
                    cols["mtu_request"] = port.mtu_request
                ids = _missing_keys(dict(iface.external_ids), port.external_ids)
                if ids:
                    cols["external_ids"] = ids
            if cols:
                changes.append({"what": "Port %s" % port.name,
                                "before": {"type": iface.type, "mac": (iface.mac or [None])[0],
                                           "mtu_request": (iface.mtu_request or [None])[0],
                                           "external_ids": dict(iface.external_ids)},
                                "after": cols, "iface": (port, cols)})
    return changes


def _iface_columns(port: PortSpec, cols: Dict[str, Any]) -> List[Any]:
    out: List[Any] = []
    if "type" in cols:
        out.append(("type", port.type))
    if "mac" in cols:
        out.append(("mac", port.mac))
    if "mtu_request" in cols:
        out.append(("mtu_request", port.mtu_request))
    if "external_ids" in cols:
        out.append(("external_ids", cols["external_ids"]))
    return out


def apply(api, changes: List[Dict[str, Any]], timeout: float = 20.0) -> None:
    if not changes:
        return
    with api.transaction(check_error=True, timeout=timeout) as txn:
        for ch in changes:
            if "external_ids" in ch and ch["what"] == "Open_vSwitch":
                txn.add(api.db_set("Open_vSwitch", ".", ("external_ids", ch["external_ids"])))
            elif "create" in ch:
                br = ch["create"]
                txn.add(api.add_br(br.name, may_exist=True, datapath_type=br.datapath_type or None))
                if br.other_config or br.external_ids:
                    txn.add(api.db_set("Bridge", br.name, ("other_config", br.other_config),
                                       ("external_ids", br.external_ids)))
            elif "update" in ch:
                br = ch["update"]
                txn.add(api.db_set("Bridge", br.name, *list(ch["cols"].items())))
            elif "add_port" in ch:
                br, port = ch["add_port"]
                txn.add(api.add_port(br.name, port.name, may_exist=True))
                cols = _iface_columns(port, {"type": 1, "mac": 1, "mtu_request": 1, "external_ids": port.external_ids})
                cols = [(k, v) for k, v in cols if v not in (None, "", {})]
                if cols:
                    txn.add(api.db_set("Interface", port.name, *cols))
            elif "iface" in ch:
                port, cols = ch["iface"]
                txn.add(api.db_set("Interface", port.name, *_iface_columns(port, cols)))
