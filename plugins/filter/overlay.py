# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over overlay allocations: halves of a block, VTEP MACs, peer lists."""

from __future__ import annotations

from typing import Any, Dict, List

from ansible.errors import AnsibleFilterError

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import halves, vtep_mac
from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError, parse_oui


def overlay_halves(block: Any) -> List[str]:
    """``[mesos_half, docker_half]`` of an overlay block."""
    if not isinstance(block, str):
        raise AnsibleFilterError(f"overlay_halves: {block!r} is not a subnet in CIDR notation")
    try:
        return list(halves(block))
    except ValueError as exc:
        raise AnsibleFilterError(f"overlay_halves: {block!r} is not a block that can be halved: {exc}") from None


def overlay_vtep_mac(vtep_ip: Any, oui: Any) -> str:
    """The VTEP MAC for a VTEP IPv4 address (with or without prefix) and an OUI."""
    try:
        oui = parse_oui("oui", oui)
    except ConfigError as exc:
        raise AnsibleFilterError(f"overlay_vtep_mac: {exc}") from None
    try:
        return vtep_mac(str(vtep_ip), oui)
    except ValueError:
        raise AnsibleFilterError(f"overlay_vtep_mac: {vtep_ip!r} is not an IPv4 address") from None


def peer_list(allocations: Dict[str, Dict[str, Any]], self_name: str) -> List[Dict[str, Any]]:
    """The peers of ``self_name``: every other node with a VTEP, in map order."""
    peers = []
    for name, node in allocations.items():
        if name == self_name or not node.get("vtep_ip"):
            continue
        # a list: Ansible 2.19 hands in lazy views that can be walked only once
        overlays = list((node.get("overlays") or {}).values())
        peers.append({
            "name": name,
            "vtep_ip": node["vtep_ip"],
            "vtep_mac": node["vtep_mac"],
            "agent_ip": node["ip"],
            "subnets": [o["subnet"] for o in overlays if o.get("subnet")]
            + [b for o in overlays for b in (o.get("netgroups") or {}).values()],
            "vtep_ip6": node.get("vtep_ip6"),
            "subnets6": [o["subnet6"] for o in overlays if o.get("subnet6")],
        })
    return peers


def overlay_peer_list(allocations: Any, self_name: Any) -> List[Dict[str, Any]]:
    """Filter wrapper of :func:`peer_list` with errors a user can act on."""
    if not isinstance(allocations, dict):
        raise AnsibleFilterError(
            f"overlay_peer_list: allocations must be the dict published by the master role, not {type(allocations).__name__}"
        )
    try:
        return peer_list(allocations, str(self_name))
    except (KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError(f"overlay_peer_list: a malformed allocation ({exc!r})") from None


class FilterModule:
    """mesos.overlay filters."""

    def filters(self):
        return {
            "overlay_halves": overlay_halves,
            "overlay_vtep_mac": overlay_vtep_mac,
            "overlay_peer_list": overlay_peer_list,
        }
