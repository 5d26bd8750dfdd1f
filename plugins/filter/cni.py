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

import ipaddress
from typing import Any, Dict, List, Optional

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter

PLUGINS = ("port-mapper", "bridge")
NETGROUPS_PLUGIN = "mesos-overlay-netgroups"
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
               data_dir: str = "/var/run/mesos/cni/networks", cni_version: str = "0.2.0",
               netgroups: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The CNI config of the Mesos half of ``name`` (see overlay_cni_config.yml)."""
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
    if netgroups is not None and not isinstance(netgroups, dict):
        raise ValueError(f"netgroups: {netgroups!r} is not a mapping of netgroup to ipset")
    if plugin == "bridge":
        bridge = dict({"cniVersion": str(cni_version), "name": name}, **bridge)
        if not netgroups:
            return bridge
        return {"cniVersion": str(cni_version), "name": name, "type": NETGROUPS_PLUGIN,
                "netgroups": dict(netgroups), "delegate": bridge}
    if netgroups:
        bridge = {"type": NETGROUPS_PLUGIN, "netgroups": dict(netgroups), "delegate": bridge}
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


def _differences(existing: Dict[str, Any], wanted: Dict[str, Any]) -> List[str]:
    """What of ``wanted`` the existing network (``docker network inspect``) lacks."""
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
    return problems


def docker_conflict(existing: Optional[Dict[str, Any]], wanted: Dict[str, Any]) -> str:
    """Why the existing network (``docker network inspect`` output) is not ``wanted``; '' if it is.

    Options of the existing network that ``wanted`` does not set are ignored: they do
    not stop the overlay from working and ``docker_network`` leaves them alone.
    """
    problems = _differences(existing, wanted) if existing else []
    if not problems:
        return ""
    return (f"docker network {wanted['name']!r} exists and was not made by mesos.overlay: "
            + "; ".join(problems) + "; left alone (remove or rename it, then re-run)")


def docker_recreate(existing: Optional[Dict[str, Any]], wanted: Dict[str, Any]) -> str:
    """Why recreating our own network would disturb containers; '' if it would not.

    ``docker_network`` recreates a network whose subnets or options change (adding
    IPv6 to an overlay does), disconnecting every container on it.
    """
    problems = _differences(existing, wanted) if existing else []
    containers = sorted(str((c or {}).get("Name") or cid)[:63]
                        for cid, c in ((existing or {}).get("Containers") or {}).items())
    if not problems or not containers:
        return ""
    return (f"docker network {wanted['name']!r} would be recreated ({'; '.join(problems)}) with"
            f" {len(containers)} container(s) on it: {', '.join(containers)}; refused, they would"
            " be disconnected. Stop them or move them to another network, or set"
            " overlay_docker_recreate: true to recreate it anyway")


def docker_plan(overlays: Dict[str, Any], info: Any, ours: Any = (), mtu: int = 1420,
                allow_recreate: bool = False) -> List[Dict[str, Any]]:
    """Per overlay: the wanted network and why an existing one conflicts ('' if none).

    ``info`` is the registered loop result of ``community.docker.docker_network_info``
    over the overlay names. A network recorded in ``ours`` (made by an earlier run) is
    not a foreign network: ``docker_network`` recreates it with the wanted options,
    unless containers are on it and ``allow_recreate`` is false (then it conflicts).
    """
    existing: Dict[str, Any] = {}
    for item in (info or {}).get("results", []) if isinstance(info, dict) else []:
        if isinstance(item, dict) and item.get("exists") and item.get("network"):
            existing[str(item.get("item"))] = item["network"]
    ours = set(ours or ())
    plan = []
    for name in sorted(overlays or {}):
        wanted = docker_network(overlays[name], name, mtu)
        if name not in ours:
            conflict = docker_conflict(existing.get(name), wanted)
        elif not allow_recreate:
            conflict = docker_recreate(existing.get(name), wanted)
        else:
            conflict = ""
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
