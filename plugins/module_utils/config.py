# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading and validation of the overlay network configuration.

The configuration is the ``NetworkConfig`` of the DC/OS overlay modules:
``vtep_subnet``, ``vtep_subnet6``, ``vtep_mac_oui``, ``vtep_mtu`` and a list of
``overlays``.  It may come as a dict, or from a file in one of the shapes the
overlay modules accepted:

* an object ``{"vtep_subnet": ..., "vtep_mac_oui": ..., "overlays": [...]}``;
* a bare list of overlays, the VTEP settings given beside it;
* the Mesos ``--modules`` JSON (``{"libraries": [{"modules": [...]}]}``) whose
  master module parameters point at an overlay file (``overlays``) or at a
  master config holding a ``network`` object (``master_config``).

Every error is a :class:`ConfigError` whose message names the field and the
offending value.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError

RESERVED_NAMES = frozenset(("host", "bridge", "default", "none"))
MAX_NAME_LENGTH = 13  # 15 (IFNAMSIZ - 1) minus the "m-" / "d-" bridge prefix
# Matched with fullmatch: the whole string ("$" would let a trailing newline through).
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAC_RE = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}")
MIN_VTEP_MTU = 552
# A block must leave room for two halves that each hold a gateway and a host.
MAX_PREFIX = 30
MAX_PREFIX6 = 126

NETWORK_KEYS = ("vtep_subnet", "vtep_subnet6", "vtep_mac_oui", "vtep_mtu", "overlays", "netgroups")
OVERLAY_KEYS = ("name", "subnet", "prefix", "subnet6", "prefix6", "enabled", "isolated")
# Netgroup names end up in ipset names ("mo-ng-<name>", at most 31 characters),
# docker labels and the comma-separated Mesos label "netgroups".
NETGROUP_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
MAX_NETGROUP_LENGTH = 24
# One mark bit per netgroup (a task in several netgroups carries all of its bits
# in the 16-bit VXLAN-GBP field); 12 bits are ours (see netgroups.py).
MAX_NETGROUPS = 12

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class ConfigError(OverlayError, ValueError):
    """An invalid overlay configuration; the message names field and value."""


@dataclass(frozen=True)
class Overlay:
    name: str
    subnet: ipaddress.IPv4Network
    prefix: int
    subnet6: Optional[ipaddress.IPv6Network] = None
    prefix6: Optional[int] = None
    enabled: bool = True
    isolated: bool = False

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "name": self.name,
            "subnet": str(self.subnet),
            "prefix": self.prefix,
            "subnet6": str(self.subnet6) if self.subnet6 else None,
            "prefix6": self.prefix6,
            "enabled": self.enabled,
        }
        if self.isolated:
            out["isolated"] = True
        return out


@dataclass(frozen=True)
class NetworkConfig:
    vtep_subnet: ipaddress.IPv4Network
    vtep_mac_oui: str  # normalised: lower case, colon separated
    overlays: Tuple[Overlay, ...]
    vtep_subnet6: Optional[ipaddress.IPv6Network] = None
    vtep_mtu: Optional[int] = None
    netgroups: Tuple[str, ...] = ()

    @property
    def enabled_overlays(self) -> Tuple[Overlay, ...]:
        return tuple(o for o in self.overlays if o.enabled)

    def overlay(self, name: str) -> Optional[Overlay]:
        for o in self.overlays:
            if o.name == name:
                return o
        return None

    def to_dict(self) -> Dict[str, Any]:
        out = {
            "vtep_subnet": str(self.vtep_subnet),
            "vtep_subnet6": str(self.vtep_subnet6) if self.vtep_subnet6 else None,
            "vtep_mac_oui": self.vtep_mac_oui,
            "vtep_mtu": self.vtep_mtu,
            "overlays": [o.to_dict() for o in self.overlays],
        }
        if self.netgroups:
            out["netgroups"] = list(self.netgroups)
        return out


# ---------------------------------------------------------------------------
# Field parsers: each takes the field path for its messages.


def _subnet(path: str, value: Any, version: int) -> Network:
    kind = "IPv4" if version == 4 else "IPv6"
    if not isinstance(value, str) or "/" not in value:
        raise ConfigError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation")
    try:
        net = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ConfigError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation") from None
    if net.version != version:
        raise ConfigError(f"{path}: {value!r} is not an {kind} subnet")
    if net.network_address != ipaddress.ip_interface(value.strip()).ip:
        raise ConfigError(
            f"{path}: {value!r} has host bits set (the subnet is {net})"
        )
    return net


def _int(path: str, value: Any) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{path}: {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*", value):
        return int(value)
    raise ConfigError(f"{path}: {value!r} is not an integer")


def _bool(path: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ConfigError(f"{path}: {value!r} is not a boolean")


def parse_oui(path: str, value: Any) -> str:
    if not isinstance(value, str) or not MAC_RE.fullmatch(value.strip()):
        raise ConfigError(f"{path}: {value!r} is not a MAC address of six bytes (like 70:B3:D5:00:00:00)")
    octets = [int(b, 16) for b in value.strip().split(":")]
    if any(octets[3:]):
        raise ConfigError(f"{path}: {value!r} must have its lower three bytes 0 (like 70:B3:D5:00:00:00)")
    if octets[0] & 0x01:
        raise ConfigError(f"{path}: {value!r} is a multicast OUI (the lowest bit of the first byte is set)")
    return ":".join(f"{b:02x}" for b in octets)


def _check_keys(path: str, data: Dict[str, Any], allowed: Tuple[str, ...]) -> None:
    for key in data:
        if key not in allowed:
            where = f"{path}." if path else ""
            raise ConfigError(
                f"{where}{key}: unknown field (expected one of {', '.join(allowed)})"
            )


def _prefix(path: str, value: Any, subnet: Network, longest: int) -> int:
    prefix = _int(path, value)
    if prefix <= subnet.prefixlen:
        raise ConfigError(f"{path}: {prefix} is not longer than subnet {subnet}")
    if prefix > longest:
        raise ConfigError(
            f"{path}: {prefix} leaves no room for two halves of a block (at most {longest})"
        )
    return prefix


def _overlay(index: int, data: Any) -> Overlay:
    path = f"overlays[{index}]"
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {data!r} is not an object")
    _check_keys(path, data, OVERLAY_KEYS)
    for key in ("name", "subnet", "prefix"):
        if data.get(key) is None:
            raise ConfigError(f"{path}.{key}: missing")
    name = data["name"]
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path}.name: {name!r} is not a name")
    if any(not ch.isprintable() for ch in name):
        raise ConfigError(f"{path}.name: {name!r} contains a control or non-printable character")
    if len(name) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"{path}.name: {name!r} is longer than {MAX_NAME_LENGTH} characters"
            f" (bridge m-{name} would exceed 15)"
        )
    if name.lower() in RESERVED_NAMES:
        raise ConfigError(f"{path}.name: {name!r} is reserved ({', '.join(sorted(RESERVED_NAMES))})")
    if not NAME_RE.fullmatch(name):
        raise ConfigError(
            f"{path}.name: {name!r} may hold only letters, digits, '_', '.' and '-',"
            " starting with a letter or digit"
        )
    subnet = _subnet(f"{path}.subnet", data["subnet"], 4)
    prefix = _prefix(f"{path}.prefix", data["prefix"], subnet, MAX_PREFIX)
    subnet6 = prefix6 = None
    has6 = data.get("subnet6") is not None, data.get("prefix6") is not None
    if has6 == (True, False):
        raise ConfigError(f"{path}.prefix6: missing (subnet6 {data['subnet6']!r} is given)")
    if has6 == (False, True):
        raise ConfigError(f"{path}.subnet6: missing (prefix6 {data['prefix6']!r} is given)")
    if all(has6):
        subnet6 = _subnet(f"{path}.subnet6", data["subnet6"], 6)
        prefix6 = _prefix(f"{path}.prefix6", data["prefix6"], subnet6, MAX_PREFIX6)
    enabled = _bool(f"{path}.enabled", data.get("enabled", True))
    isolated = _bool(f"{path}.isolated", data.get("isolated", False))
    return Overlay(name, subnet, prefix, subnet6, prefix6, enabled, isolated)


def _netgroups(value: Any) -> Tuple[str, ...]:
    """The cluster's netgroup names: unique, short, safe in ipset names and labels."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"netgroups: {value!r} is not a list of names")
    if len(value) > MAX_NETGROUPS:
        raise ConfigError(
            f"netgroups: {len(value)} netgroups, at most {MAX_NETGROUPS} (one mark bit each)"
        )
    seen: Dict[str, int] = {}
    for index, name in enumerate(value):
        path = f"netgroups[{index}]"
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{path}: {name!r} is not a name")
        if len(name) > MAX_NETGROUP_LENGTH:
            raise ConfigError(f"{path}: {name!r} is longer than {MAX_NETGROUP_LENGTH} characters")
        if not NETGROUP_RE.fullmatch(name):
            raise ConfigError(
                f"{path}: {name!r} may hold only letters, digits, '_', '.' and '-',"
                " starting with a letter or digit"
            )
        if name in seen:
            raise ConfigError(f"{path}: {name!r} is already netgroups[{seen[name]}]")
        seen[name] = index
    return tuple(value)


def _no_overlap(items: List[Tuple[str, Optional[Network]]]) -> None:
    seen: List[Tuple[str, Network]] = []
    for path, net in items:
        if net is None:
            continue
        for other_path, other in seen:
            if net.overlaps(other):
                raise ConfigError(f"{path}: {net} overlaps {other_path} {other}")
        seen.append((path, net))


def parse_network(data: Any) -> NetworkConfig:
    """Validate a NetworkConfig given as a dict; return the model."""
    if not isinstance(data, dict):
        raise ConfigError(f"network: {data!r} is not an object")
    _check_keys("", data, NETWORK_KEYS)
    for key in ("vtep_subnet", "vtep_mac_oui", "overlays"):
        if data.get(key) is None:
            raise ConfigError(f"{key}: missing")
    vtep_subnet = _subnet("vtep_subnet", data["vtep_subnet"], 4)
    if not 8 <= vtep_subnet.prefixlen <= 30:
        raise ConfigError(
            f"vtep_subnet: {vtep_subnet} must have a prefix length from 8 to 30"
        )
    vtep_subnet6 = None
    if data.get("vtep_subnet6") is not None:
        vtep_subnet6 = _subnet("vtep_subnet6", data["vtep_subnet6"], 6)
        if vtep_subnet6.prefixlen > 126:
            raise ConfigError(f"vtep_subnet6: {vtep_subnet6} must have a prefix length of 126 or less")
    oui = parse_oui("vtep_mac_oui", data["vtep_mac_oui"])
    mtu = None
    if data.get("vtep_mtu") is not None:
        mtu = _int("vtep_mtu", data["vtep_mtu"])
        if not MIN_VTEP_MTU <= mtu <= 65535:
            raise ConfigError(f"vtep_mtu: {mtu} must be from {MIN_VTEP_MTU} to 65535")
    raw = data["overlays"]
    if not isinstance(raw, list):
        raise ConfigError(f"overlays: {raw!r} is not a list")
    if not raw:
        raise ConfigError("overlays: [] must hold at least one overlay")
    overlays = tuple(_overlay(i, o) for i, o in enumerate(raw))
    names: Dict[str, int] = {}
    for i, o in enumerate(overlays):
        if o.name in names:
            raise ConfigError(
                f"overlays[{i}].name: {o.name!r} is already the name of overlays[{names[o.name]}]"
            )
        names[o.name] = i
    _no_overlap([("vtep_subnet", vtep_subnet)]
                + [(f"overlays[{i}].subnet", o.subnet) for i, o in enumerate(overlays)])
    _no_overlap([("vtep_subnet6", vtep_subnet6)]
                + [(f"overlays[{i}].subnet6", o.subnet6) for i, o in enumerate(overlays)])
    netgroups = _netgroups(data.get("netgroups"))
    return NetworkConfig(vtep_subnet, oui, overlays, vtep_subnet6, mtu, netgroups)


# ---------------------------------------------------------------------------
# Files


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{what}: {path!r} is not valid JSON: {exc}") from None


def _module_parameters(doc: Dict[str, Any], path: str) -> Dict[str, str]:
    """The parameters of the overlay master module in a Mesos modules JSON."""
    libraries = doc.get("libraries")
    if not isinstance(libraries, list):
        raise ConfigError(f"network_file: {path!r}: libraries: {libraries!r} is not a list")
    found: List[Dict[str, str]] = []
    for lib in libraries:
        for module in (lib or {}).get("modules") or []:
            params = {
                p.get("key"): p.get("value")
                for p in module.get("parameters") or []
                if isinstance(p, dict)
            }
            if "overlays" in params or "master_config" in params:
                found.append(params)
    if not found:
        raise ConfigError(
            f"network_file: {path!r} has no overlay master module"
            " (a module with an 'overlays' or 'master_config' parameter)"
        )
    return found[0]


def load_network_file(path: str, defaults: Optional[Dict[str, Any]] = None) -> NetworkConfig:
    """Load a configuration file of any published shape.

    ``defaults`` supplies the VTEP settings (``vtep_subnet``, ``vtep_mac_oui``
    ...) for a bare list of overlays; values in the file win over them.
    """
    return parse_network(read_network_document(path, defaults or {}))


def read_network_document(path: str, defaults: Dict[str, Any]) -> Dict[str, Any]:
    doc = _read_json(path, "network_file")
    base = os.path.dirname(os.path.abspath(path))
    if isinstance(doc, list):
        merged = {k: v for k, v in defaults.items() if k != "overlays"}
        merged["overlays"] = doc
        return merged
    if not isinstance(doc, dict):
        raise ConfigError(f"network_file: {path!r} holds {type(doc).__name__}, not an object or a list")
    if "libraries" in doc:
        params = _module_parameters(doc, path)
        if params.get("master_config"):
            inner = _resolve(base, params["master_config"])
            return read_network_document(inner, _vtep_settings(params, defaults))
        inner = _resolve(base, params["overlays"])
        return read_network_document(inner, _vtep_settings(params, defaults))
    if "network" in doc and isinstance(doc["network"], dict):
        # A master config of the overlay module: {"network": {...}, ...}
        doc = doc["network"]
    merged = {k: v for k, v in defaults.items() if k not in doc}
    merged.update(doc)
    return merged


def _resolve(base: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"network_file: module parameter {value!r} is not a path")
    return value if os.path.isabs(value) else os.path.join(base, value)


def _vtep_settings(params: Dict[str, Any], defaults: Dict[str, Any]) -> Dict[str, Any]:
    merged = dict(defaults)
    for key in ("vtep_subnet", "vtep_subnet6", "vtep_mac_oui", "vtep_mtu"):
        if params.get(key) is not None:
            merged[key] = params[key]
    return merged


def load(network: Optional[Dict[str, Any]] = None, network_file: Optional[str] = None,
         defaults: Optional[Dict[str, Any]] = None) -> NetworkConfig:
    """One entry point: exactly one of ``network`` or ``network_file``."""
    if (network is None) == (network_file is None):
        raise ConfigError("network, network_file: give exactly one of them")
    if network is not None:
        return parse_network(network)
    return load_network_file(network_file, defaults)


__all__ = [
    "ConfigError", "NetworkConfig", "Overlay", "load", "load_network_file",
    "parse_network", "RESERVED_NAMES",
]
