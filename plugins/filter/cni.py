# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container network configs of an overlay on an agent, produced from data.

* ``overlay_cni_config``: the CNI config of the Mesos half (bridge ``m-<name>``);
* ``overlay_docker_network``: the parameters of ``community.docker.docker_network``
  for the Docker half (bridge ``d-<name>``);
* ``overlay_docker_conflict``: why an existing Docker network of that name can't
  be used (empty when it can).

The functions without the ``overlay_`` prefix hold the logic and are what the
unit tests call.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_cni_config
short_description: The CNI config of an overlay's Mesos half
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - Builds the CNI network config the Mesos containerizer reads from
    C(overlay_cni_dir)/C(<name>.conf) for one overlay of one agent, as the DC/OS overlay
    agent module wrote it. Render it with C(to_nice_json).
  - V(port-mapper) gives the C(mesos-cni-port-mapper) config delegating to the C(bridge)
    plugin (bridge C(m-<name>), iptables chain C(M-<NAME>)), which needs Mesos' port-mapper
    plugin on the agent.
  - V(bridge) gives the delegate alone, with C(cniVersion) and C(name), that is the plain CNI
    C(bridge) plugin, for agents without the port-mapper.
  - IP addresses come from C(host-local) IPAM over the agent's Mesos half. With an IPv6
    Mesos half, IPAM uses C(ranges) with both halves and a default route for each family.
  - "Other filters of this file, documented in C(docs/agent.md):
    C(overlay_docker_network(allocation, name, mtu=1420)) gives the options of
    M(community.docker.docker_network) for the Docker half;
    C(overlay_docker_conflict(existing, wanted)) says why an existing Docker network
    (the C(network) of M(community.docker.docker_network_info)) conflicts, or an empty string;
    C(overlay_docker_plan(overlays, info_results, ours, mtu)) does both for every overlay."
options:
  _input:
    description: The agent's allocation of this overlay (C(overlay_allocation.overlays[name])).
    type: dict
    required: true
  name:
    description: The overlay's name.
    type: str
    required: true
  plugin:
    description: The config's format.
    type: str
    choices: [port-mapper, bridge]
    default: port-mapper
  mtu:
    description: The MTU of the containers' interfaces.
    type: int
    default: 1420
  data_dir:
    description: The C(dataDir) of the C(host-local) IPAM plugin.
    type: str
    default: /var/run/mesos/cni/networks
  cni_version:
    description:
      - The C(cniVersion) of the V(bridge) format. Only the versions whose result has the
        C(ip4)/C(ip6) shape that Mesos reads are accepted (a 0.3+ result gives a Mesos task
        no address).
    type: str
    choices: [0.1.0, 0.2.0]
    default: 0.2.0
"""

EXAMPLES = r"""
- name: Write the CNI config of every overlay
  ansible.builtin.copy:
    dest: "/var/lib/mesos/cni/{{ item.key }}.conf"
    content: "{{ item.value | mesos.overlay.overlay_cni_config(item.key) | to_nice_json }}\n"
    mode: "0644"
  loop: "{{ overlay_allocation.overlays | dict2items }}"

# {"name": "dcos", "type": "mesos-cni-port-mapper", "excludeDevices": ["m-dcos"],
#  "chain": "M-DCOS", "delegate": {"type": "bridge", "bridge": "m-dcos", "isGateway": true,
#  "ipMasq": false, "hairpinMode": true, "mtu": 1420, "ipam": {"type": "host-local",
#  "dataDir": "/var/run/mesos/cni/networks", "subnet": "9.0.3.0/25",
#  "routes": [{"dst": "0.0.0.0/0"}]}}}
"""

RETURN = r"""
_value:
  description: The CNI config as a dict.
  type: dict
"""

import ipaddress
from typing import Any, Dict, List, Optional

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter

PLUGINS = ("port-mapper", "bridge")
# The cniVersions whose result Mesos's spec.proto reads (ip4/ip6); the port-mapper's
# delegate has none, which the plugins read as 0.1.0.
MESOS_CNI_VERSIONS = ("0.1.0", "0.2.0")
DOCKER_OPTIONS = (
    "com.docker.network.bridge.name",
    "com.docker.network.bridge.enable_ip_masquerade",
    "com.docker.network.driver.mtu",
)


def _net(value: Any, field: str) -> Optional[str]:
    if value in (None, ""):
        return None
    try:
        return str(ipaddress.ip_network(str(value), strict=True))
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a network in CIDR notation") from None


def cni_config(allocation: Dict[str, Any], name: str, plugin: str = "port-mapper", mtu: int = 1420,
               data_dir: str = "/var/run/mesos/cni/networks", cni_version: str = "0.2.0") -> Dict[str, Any]:
    """The CNI config of the Mesos half of ``name`` (see the module DOCUMENTATION)."""
    if plugin not in PLUGINS:
        raise ValueError(f"plugin: {plugin!r} is not one of {', '.join(PLUGINS)}")
    if str(cni_version) not in MESOS_CNI_VERSIONS:
        raise ValueError(f"cni_version: {cni_version!r} is not one of {', '.join(MESOS_CNI_VERSIONS)}: "
                         "Mesos reads only the CNI 0.1/0.2 result (ip4/ip6); a 0.3+ result gives its "
                         "tasks no address")
    if not isinstance(allocation, dict):
        raise ValueError(f"allocation of {name!r}: expected a dict with mesos_subnet, got {allocation!r}")
    v4 = _net(allocation.get("mesos_subnet"), f"{name}.mesos_subnet")
    v6 = _net(allocation.get("mesos_subnet6"), f"{name}.mesos_subnet6")
    if not v4 and not v6:
        raise ValueError(f"{name}: the allocation has neither mesos_subnet nor mesos_subnet6")
    try:
        mtu = int(mtu)
    except (TypeError, ValueError):
        raise ValueError(f"mtu: {mtu!r} is not a number") from None
    ipam: Dict[str, Any] = {"type": "host-local", "dataDir": str(data_dir)}
    if v6:
        ipam["ranges"] = [[{"subnet": s}] for s in (v4, v6) if s]
        ipam["routes"] = ([{"dst": "0.0.0.0/0"}] if v4 else []) + [{"dst": "::/0"}]
    else:
        ipam["subnet"] = v4
        ipam["routes"] = [{"dst": "0.0.0.0/0"}]
    bridge = {
        "type": "bridge",
        "bridge": "m-" + name,
        "isGateway": True,
        "ipMasq": False,
        "hairpinMode": True,
        "mtu": mtu,
        "ipam": ipam,
    }
    if plugin == "bridge":
        return dict({"cniVersion": str(cni_version), "name": name}, **bridge)
    return {
        "name": name,
        "type": "mesos-cni-port-mapper",
        "excludeDevices": ["m-" + name],
        "chain": "M-" + name.upper(),
        "delegate": bridge,
    }


def docker_network(allocation: Dict[str, Any], name: str, mtu: int = 1420) -> Dict[str, Any]:
    """Options of ``community.docker.docker_network`` for the Docker half of ``name``."""
    if not isinstance(allocation, dict):
        raise ValueError(f"allocation of {name!r}: expected a dict with docker_subnet, got {allocation!r}")
    v4 = _net(allocation.get("docker_subnet"), f"{name}.docker_subnet")
    v6 = _net(allocation.get("docker_subnet6"), f"{name}.docker_subnet6")
    if not v4:
        raise ValueError(f"{name}: the allocation has no docker_subnet")
    return {
        "name": name,
        "driver": "bridge",
        "driver_options": {
            "com.docker.network.bridge.name": "d-" + name,
            "com.docker.network.bridge.enable_ip_masquerade": "false",
            "com.docker.network.driver.mtu": str(int(mtu)),
        },
        "ipam_config": [{"subnet": s} for s in (v4, v6) if s],
        "enable_ipv6": bool(v6),
    }


def _norm(value: Any) -> str:
    try:
        return str(ipaddress.ip_network(str(value), strict=False))
    except ValueError:
        return str(value)


def docker_conflict(existing: Optional[Dict[str, Any]], wanted: Dict[str, Any]) -> str:
    """Why the existing network (``docker network inspect`` output) is not ``wanted``; '' if it is.

    Options of the existing network that ``wanted`` does not set are ignored: they do
    not stop the overlay from working and ``docker_network`` leaves them alone.
    """
    if not existing:
        return ""
    problems: List[str] = []
    driver = existing.get("Driver")
    if driver != wanted["driver"]:
        problems.append(f"driver {driver!r} (want {wanted['driver']!r})")
    options = existing.get("Options") or {}
    for key, value in wanted["driver_options"].items():
        if key not in options:
            problems.append(f"option {key} unset (want {value!r})")
        elif options[key] != value:
            problems.append(f"option {key}={options[key]!r} (want {value!r})")
    have = sorted(_norm(c.get("Subnet")) for c in ((existing.get("IPAM") or {}).get("Config") or []) if c.get("Subnet"))
    want = sorted(_norm(c["subnet"]) for c in wanted["ipam_config"])
    if have != want:
        problems.append(f"subnets {', '.join(have) or 'none'} (want {', '.join(want)})")
    if not problems:
        return ""
    return (f"docker network {wanted['name']!r} exists and was not made by mesos.overlay: "
            + "; ".join(problems) + "; left alone (remove or rename it, then re-run)")


def docker_plan(overlays: Dict[str, Any], info: Any, ours: Any = (), mtu: int = 1420) -> List[Dict[str, Any]]:
    """Per overlay: the wanted network and why an existing one conflicts ('' if none).

    ``info`` is the registered loop result of ``community.docker.docker_network_info``
    over the overlay names. A network recorded in ``ours`` (made by an earlier run) is
    never a conflict: ``docker_network`` recreates it with the wanted options.
    """
    existing: Dict[str, Any] = {}
    for item in (info or {}).get("results", []) if isinstance(info, dict) else []:
        if isinstance(item, dict) and item.get("exists") and item.get("network"):
            existing[str(item.get("item"))] = item["network"]
    ours = set(ours or ())
    plan = []
    for name in sorted(overlays or {}):
        wanted = docker_network(overlays[name], name, mtu)
        conflict = "" if name in ours else docker_conflict(existing.get(name), wanted)
        plan.append({"name": name, "network": wanted, "conflict": conflict, "exists": name in existing})
    return plan


overlay_cni_config = as_filter(cni_config, "overlay_cni_config")
overlay_docker_network = as_filter(docker_network, "overlay_docker_network")
overlay_docker_conflict = as_filter(docker_conflict, "overlay_docker_conflict")
overlay_docker_plan = as_filter(docker_plan, "overlay_docker_plan")


class FilterModule:
    """mesos.overlay container network filters."""

    def filters(self):
        return {
            "overlay_cni_config": overlay_cni_config,
            "overlay_docker_network": overlay_docker_network,
            "overlay_docker_conflict": overlay_docker_conflict,
            "overlay_docker_plan": overlay_docker_plan,
        }
