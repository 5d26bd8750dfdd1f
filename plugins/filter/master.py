# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the master role works out once for the whole play.

* ``overlay_network_check``: the configuration validated, and every pool
  checked against the number of nodes of the cluster.
* ``overlay_unaddressed``: the nodes whose underlay address is not known yet
  (no ``overlay_agent_ip``, no gathered default IPv4 address).
* ``overlay_nodes``: the ``agents`` option of ``overlay_allocate``, read from
  the inventory's host variables in one pass.

A task that runs per host costs Ansible tens of milliseconds per host; these
filters let the role do that work in one task (docs/performance.md).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import check_capacity
from ansible_collections.mesos.overlay.plugins.module_utils.config import load_network_file, parse_network
from ansible.errors import AnsibleFilterError

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import DATA_ERRORS, as_filter, role_error

# At most this many names in a message; the count says how many in all.
SHOWN = 10


def network_check(network: Any, network_file: Optional[str] = None, nodes: int = 0) -> Dict[str, Any]:
    """The normalised configuration; errors name the field (and the pool that is too small)."""
    if network_file:
        config = load_network_file(str(network_file), network or {})
    else:
        config = parse_network(network)
    check_capacity(config, int(nodes))
    return config.to_dict()


def underlay_ip(host: Mapping[str, Any]) -> str:
    """``overlay_agent_ip``, else the gathered default IPv4 address, else ''."""
    given = host.get("overlay_agent_ip")
    if given:
        return str(given)
    facts = host.get("ansible_facts") or {}
    default = facts.get("default_ipv4") or host.get("ansible_default_ipv4") or {}
    return str(default.get("address") or "")


def _members(names: Iterable[str], among: Optional[Iterable[str]]) -> List[str]:
    """``names`` in order, only those in ``among`` (all when None): a set, as
    Jinja's ``select('in', list)`` is quadratic (9 s for 1,000 hosts)."""
    if among is None:
        return list(names)
    among = set(among)
    return [name for name in names if name in among]


def unaddressed(names: Iterable[str], hostvars: Mapping[str, Any],
                among: Optional[Iterable[str]] = None) -> List[str]:
    """The nodes among ``names`` (and ``among``) whose underlay address is unknown."""
    return [name for name in _members(names, among) if not underlay_ip(hostvars[name])]


def _some(names: List[str]) -> str:
    shown = ", ".join(names[:SHOWN])
    return shown if len(names) <= SHOWN else f"{shown}, ... ({len(names)} in all)"


def nodes(names: Iterable[str], hostvars: Mapping[str, Any], masters: Iterable[str] = (),
          among: Optional[Iterable[str]] = None, skip: Iterable[str] = ()) -> List[Dict[str, str]]:
    """``[{name, ip, role}]`` for ``names`` (and ``among``) in order, leaving out ``skip``."""
    masters, skip = set(masters), set(skip)
    out, missing = [], []
    for name in _members(names, among):
        if name in skip:
            continue
        ip = underlay_ip(hostvars[name])
        if not ip:
            missing.append(name)
        out.append({"name": name, "ip": ip, "role": "master" if name in masters else "agent"})
    if missing:
        raise ValueError(f"overlay_agent_ip: not set for {_some(missing)}, and no default IPv4 address was found")
    return out


def overlay_network_check(network: Any, network_file: Optional[str] = None, nodes: int = 0,
                          names: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """:func:`network_check`; an error names the role variable at fault (``names``,
    as for ``overlay_role_error``)."""
    try:
        return network_check(network, network_file, nodes)
    except DATA_ERRORS as exc:
        raise AnsibleFilterError(role_error(str(exc), names or {})) from None


overlay_unaddressed = as_filter(unaddressed, "overlay_unaddressed")
overlay_nodes = as_filter(nodes, "overlay_nodes")


class FilterModule:
    """mesos.overlay filters of the master role."""

    def filters(self):
        return {
            "overlay_network_check": overlay_network_check,
            "overlay_unaddressed": overlay_unaddressed,
            "overlay_nodes": overlay_nodes,
        }
