# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for netgroup isolation: a node's policy and its docker networks of netgroups.

Each filter is documented in its own ``NAME.yml`` beside this file. The
functions without the ``overlay_`` prefix hold the logic and are what the unit
tests call.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Dict, List

from ansible_collections.mesos.overlay.plugins.module_utils.netgroups import (
    docker_bridge,
    docker_network_name,
    set_name,
)
from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter


def netgroup_policy(allocations: Dict[str, Any], self_name: str, network: Dict[str, Any],
                    netgroups: Dict[str, int]) -> Dict[str, Any]:
    """The options of ``overlay_netgroups`` for ``self_name``."""
    if not isinstance(allocations, dict) or self_name not in allocations:
        raise ValueError(f"allocations: no allocation for {self_name!r}")
    own = allocations[self_name].get("overlays") or {}
    docker_blocks: Dict[str, List[str]] = {name: [] for name in netgroups or {}}
    for name in sorted(own):
        for group, block in sorted((own[name].get("netgroups") or {}).items()):
            if group in docker_blocks:
                docker_blocks[group].append(block)
    nodes: List[str] = []
    for node in allocations.values():
        for address in (node.get("ip"), node.get("vtep_ip")):
            if address:
                nodes.append(str(ipaddress.ip_interface(address).ip))
    isolated = [o["subnet"] for o in (network or {}).get("overlays") or []
                if o.get("isolated") and o.get("enabled", True) and o["name"] in own]
    return {
        "netgroups": dict(netgroups or {}),
        "docker_blocks": docker_blocks,
        "isolated": isolated,
        "nodes": nodes,
    }


def netgroup_networks(allocation: Dict[str, Any], mtu: int = 1420) -> List[Dict[str, Any]]:
    """The docker networks of every (overlay, netgroup) of a node's allocation."""
    out: List[Dict[str, Any]] = []
    overlays = (allocation or {}).get("overlays") or {}
    for overlay in sorted(overlays):
        for group, block in sorted((overlays[overlay].get("netgroups") or {}).items()):
            out.append({
                "name": docker_network_name(overlay, group),
                "overlay": overlay,
                "netgroup": group,
                "bridge": docker_bridge(overlay, group),
                "driver": "bridge",
                "driver_options": {
                    "com.docker.network.bridge.name": docker_bridge(overlay, group),
                    "com.docker.network.bridge.enable_ip_masquerade": "false",
                    "com.docker.network.driver.mtu": str(int(mtu)),
                },
                "ipam_config": [{"subnet": str(ipaddress.ip_network(block))}],
                "labels": {"mesos.overlay.overlay": overlay, "mesos.overlay.netgroup": group},
            })
    return out


def netgroup_sets(netgroups: Dict[str, Any]) -> Dict[str, str]:
    """netgroup -> the name of its ipset on the nodes (what the CNI config carries)."""
    return {name: set_name(name) for name in sorted(netgroups or {})}


def _failures(label: str, result: Any) -> List[str]:
    """The failure messages of a registered result (a loop's items named by their item)."""
    if not isinstance(result, dict) or result.get("skipped"):
        return []
    out = []
    if result.get("failed") and not result.get("results"):
        out.append(f"{label}: {str(result.get('msg') or 'failed').strip()}")
    for item in result.get("results") or []:
        if isinstance(item, dict) and item.get("failed"):
            name = item.get("item")
            name = name.get("name") if isinstance(name, dict) else name
            out.append(f"{label} {name}: {str(item.get('msg') or 'failed').strip()}")
    return out


def netgroup_state(results: Dict[str, Any], foreign: Any = (), failure: Any = None) -> Dict[str, str]:
    """A node's netgroup status from the role's registered results."""
    errors = [f"node: {failure}"] if failure else []
    for label in sorted(results or {}):
        errors += _failures(label, results[label])
    for name in foreign or ():
        errors.append(f"docker: docker network {name!r} exists and was not made by mesos.overlay; left alone"
                      " (remove or rename it, then re-run)")
    if errors:
        return {"status": "STATUS_FAILED", "error": "; ".join(errors)}
    return {"status": "STATUS_OK"}


overlay_netgroup_policy = as_filter(netgroup_policy, "overlay_netgroup_policy")
overlay_netgroup_networks = as_filter(netgroup_networks, "overlay_netgroup_networks")
overlay_netgroup_sets = as_filter(netgroup_sets, "overlay_netgroup_sets")
overlay_netgroup_state = as_filter(netgroup_state, "overlay_netgroup_state")


class FilterModule:
    """mesos.overlay netgroup filters."""

    def filters(self):
        return {
            "overlay_netgroup_policy": overlay_netgroup_policy,
            "overlay_netgroup_networks": overlay_netgroup_networks,
            "overlay_netgroup_sets": overlay_netgroup_sets,
            "overlay_netgroup_state": overlay_netgroup_state,
        }
