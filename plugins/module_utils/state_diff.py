# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``--diff`` of a change to the allocation state, by node and overlay.

A text diff of the state file pairs unrelated lines (a node given ``vxlan-3``
reads as its ``vxlan-2`` changing). This one compares by key instead: per node
what is allocated, changed and released, per overlay block the same, then the
network configuration, overlays matched by name. Pure functions over the
published allocations (``{node: {ip, vtep_ip, ..., overlays: {name: block}}}``)
and the configuration dicts, so that the module only hands them over.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

BLOCK_FAMILIES = (("subnet", "mesos_subnet", "docker_subnet"), ("subnet6", "mesos_subnet6", "docker_subnet6"))


def _keys(*maps: Optional[Mapping[str, Any]]) -> List[str]:
    """The keys of all maps, in first-seen order."""
    seen: Dict[str, None] = {}
    for m in maps:
        for key in m or {}:
            seen.setdefault(key, None)
    return list(seen)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) + "}"
    return "null" if value is None else str(value)


def block_text(block: Mapping[str, Any]) -> str:
    """``192.168.0.0/24 (mesos 192.168.0.0/25, docker 192.168.0.128/25)``, IPv6 beside."""
    parts = []
    known = set()
    for whole, mesos, docker in BLOCK_FAMILIES:
        known.update((whole, mesos, docker))
        if block.get(whole):
            halves = [f"{label} {block[key]}" for label, key in (("mesos", mesos), ("docker", docker)) if block.get(key)]
            parts.append(str(block[whole]) + (f" ({', '.join(halves)})" if halves else ""))
    parts += [f"{k} {_value(v)}" for k, v in block.items() if k not in known and v is not None]
    return ", ".join(parts) or "nothing"


def _pairs(label: str, old: Any, new: Any, render=_value) -> List[str]:
    """``- label old`` / ``+ label new`` for a value that differs (absent sides left out)."""
    if old == new:
        return []
    lines = []
    if old is not None:
        lines.append(f"-   {label} {render(old)}")
    if new is not None:
        lines.append(f"+   {label} {render(new)}")
    return lines


def node_lines(name: str, before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]]) -> List[str]:
    """One node's change: a headline and its lines; empty when nothing changed."""
    lines: List[str] = []
    for key in _keys(after, before):
        if key == "overlays":
            continue
        lines += _pairs(key, (before or {}).get(key), (after or {}).get(key))
    old_blocks = (before or {}).get("overlays") or {}
    new_blocks = (after or {}).get("overlays") or {}
    for overlay in _keys(new_blocks, old_blocks):
        lines += _pairs(f"overlay {overlay}", old_blocks.get(overlay), new_blocks.get(overlay), block_text)
    if not lines:
        return []
    ip = (after or before or {}).get("ip")
    what = "allocated" if before is None else "released" if after is None else "changed"
    return [f"node {name}" + (f" ({ip})" if ip else "") + f": {what}"] + lines


def _overlay_text(overlay: Mapping[str, Any]) -> str:
    parts = [f"{overlay.get('subnet')} prefix {overlay.get('prefix')}"]
    if overlay.get("subnet6"):
        parts.append(f"{overlay['subnet6']} prefix {overlay.get('prefix6')}")
    rest = {k: v for k, v in overlay.items() if k not in ("name", "subnet", "prefix", "subnet6", "prefix6")}
    if rest.get("enabled", True) is False:
        parts.append("disabled")
    rest.pop("enabled", None)
    parts += [f"{k} {_value(v)}" for k, v in rest.items() if v is not None]
    return ", ".join(parts)


def network_lines(before: Optional[Mapping[str, Any]], after: Optional[Mapping[str, Any]]) -> List[str]:
    """The configuration's change, overlays matched by name."""
    lines: List[str] = []
    for key in _keys(after, before):
        if key != "overlays":
            lines += _pairs(key, (before or {}).get(key), (after or {}).get(key))
    old = {o["name"]: o for o in (before or {}).get("overlays") or []}
    new = {o["name"]: o for o in (after or {}).get("overlays") or []}
    for name in _keys(new, old):
        lines += _pairs(f"overlay {name}", old.get(name), new.get(name), _overlay_text)
    return (["network:"] + lines) if lines else []


def state_diff(before: Mapping[str, Any], after: Mapping[str, Any], store: str,
               network_before: Optional[Mapping[str, Any]] = None,
               network_after: Optional[Mapping[str, Any]] = None,
               nodes: Optional[Iterable[str]] = None) -> Dict[str, str]:
    """The module's ``diff``: ``{"prepared": text}``, which Ansible prints as it is.

    ``before``/``after`` are the published allocations of every node (disabled
    overlays included: their blocks stay reserved in the state); ``store``
    names where the state lives (the state file, or the ZooKeeper znode), as
    the headers; ``nodes`` limits the report to those names (all by default).
    """
    names = list(nodes) if nodes is not None else _keys(after, before)
    lines = [f"--- {store} (before)", f"+++ {store} (after)"]
    lines += network_lines(network_before, network_after)
    for name in names:
        lines += node_lines(name, before.get(name), after.get(name))
    if len(lines) == 2:
        lines.append("(no change)")
    return {"prepared": "\n".join(lines) + "\n"}
