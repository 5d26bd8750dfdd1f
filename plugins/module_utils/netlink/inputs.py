# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the modules' input (pure and fast: thousands of peers).

Every check returns the value in the form the kernel wants (packed addresses,
prefix lengths) or raises :class:`InputError` naming the field and the value.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import AF_INET, AF_INET6
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.rtnl import ip_text, mac_text

# Matched with fullmatch: the whole string ("$" would let a trailing newline through).
MAC_RE = re.compile(r"[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}")
# an interface name: 1-15 printable characters, no "/", ":" or white space
IFNAME_RE = re.compile(r"[^/\s:\x00-\x1f\x7f]{1,15}")


class InputError(OverlayError, ValueError):
    """Bad input; the message names the field and the value."""


def parse_ip(path: str, value: Any, version: int, allow_prefix: bool = False) -> Tuple[bytes, Optional[int]]:
    """Address text -> (packed address, prefix length or None)."""
    kind = "IPv4" if version == 4 else "IPv6"
    if not isinstance(value, str):
        raise InputError(f"{path}: {value!r} is not an {kind} address")
    text = value.strip()
    plen: Optional[int] = None
    if "/" in text:
        if not allow_prefix:
            raise InputError(f"{path}: {value!r} is not an {kind} address (no /prefix here)")
        text, _sep, ptext = text.partition("/")
        if not ptext.isdigit() or int(ptext) > (32 if version == 4 else 128):
            raise InputError(f"{path}: {value!r} has an invalid prefix length")
        plen = int(ptext)
    try:
        raw = socket.inet_pton(AF_INET if version == 4 else AF_INET6, text)
    except (OSError, ValueError):
        raise InputError(f"{path}: {value!r} is not an {kind} address") from None
    return raw, plen


def parse_net(path: str, value: Any, version: int) -> Tuple[bytes, int]:
    """Subnet text (CIDR, host bits clear) -> (packed network, prefix length)."""
    kind = "IPv4" if version == 4 else "IPv6"
    if not isinstance(value, str) or "/" not in value:
        raise InputError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation")
    raw, plen = parse_ip(path, value, version, allow_prefix=True)
    if plen is None:
        raise InputError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation")
    bits = len(raw) * 8
    number = int.from_bytes(raw, "big")
    if number & ((1 << (bits - plen)) - 1):
        net = ipaddress.ip_network(value.strip(), strict=False)
        raise InputError(f"{path}: {value!r} has host bits set (the subnet is {net})")
    return raw, plen


def parse_mac(path: str, value: Any) -> bytes:
    if not isinstance(value, str) or not MAC_RE.fullmatch(value.strip()):
        raise InputError(f"{path}: {value!r} is not a MAC address")
    raw = bytes.fromhex(value.strip().replace(":", "").replace("-", ""))
    if raw[0] & 1:
        raise InputError(f"{path}: {value!r} is a multicast MAC address")
    return raw


def as_list(path: str, value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{path}: {value!r} is not a list")
    return list(value)


def parse_ifname(path: str, value: Any) -> str:
    if not isinstance(value, str) or not IFNAME_RE.fullmatch(value):
        raise InputError(f"{path}: {value!r} is not a network device name (1 to 15 characters, no '/', ':' or space)")
    return value


def parse_table(path: str, value: Any) -> int:
    """A routing table of our own: not main, local or default."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**32 or value in (253, 254, 255):
        raise InputError(f"{path}: {value!r} is not a table of its own (1 to 4294967295, not 253/254/255)")
    return value


# ---------------------------------------------------------------------------
# Peers (the output of the overlay_peer_list filter).


@dataclass(frozen=True)
class Peer:
    """One other node, as the ``overlay_peer_list`` filter describes it."""

    vtep_ip: bytes
    vtep_mac: bytes
    agent_ip: bytes
    subnets: Tuple[Tuple[bytes, int], ...] = ()
    vtep_ip6: Optional[bytes] = None
    subnets6: Tuple[Tuple[bytes, int], ...] = ()


PEER_KEYS = ("name", "vtep_ip", "vtep_mac", "agent_ip", "subnets", "vtep_ip6", "subnets6")


def parse_peer(path: str, raw: Any) -> Peer:
    if not isinstance(raw, dict):
        raise InputError(f"{path}: {raw!r} is not a dict")
    unknown = sorted(set(raw) - set(PEER_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(PEER_KEYS)})")
    for key in ("vtep_ip", "vtep_mac", "agent_ip"):
        if raw.get(key) in (None, ""):
            raise InputError(f"{path}.{key}: missing")
    vtep_ip, _plen = parse_ip(f"{path}.vtep_ip", raw["vtep_ip"], 4, allow_prefix=True)
    vtep_ip6 = None
    if raw.get("vtep_ip6") not in (None, ""):
        vtep_ip6, _plen6 = parse_ip(f"{path}.vtep_ip6", raw["vtep_ip6"], 6, allow_prefix=True)
    subnets = tuple(parse_net(f"{path}.subnets[{i}]", s, 4) for i, s in enumerate(as_list(f"{path}.subnets", raw.get("subnets"))))
    subnets6 = tuple(
        parse_net(f"{path}.subnets6[{i}]", s, 6) for i, s in enumerate(as_list(f"{path}.subnets6", raw.get("subnets6")))
    )
    if subnets6 and vtep_ip6 is None:
        raise InputError(f"{path}.subnets6: {raw.get('subnets6')!r} given but vtep_ip6 is not")
    return Peer(
        vtep_ip=vtep_ip,
        vtep_mac=parse_mac(f"{path}.vtep_mac", raw["vtep_mac"]),
        agent_ip=parse_ip(f"{path}.agent_ip", raw["agent_ip"], 4)[0],
        subnets=subnets,
        vtep_ip6=vtep_ip6,
        subnets6=subnets6,
    )


def parse_peers(raw: Any, field_name: str = "peers") -> List[Peer]:
    """Validate the ``peers`` list; duplicates that would fight over one
    kernel entry are errors naming both places."""
    peers = []
    for i, item in enumerate(as_list(field_name, raw)):
        try:
            peers.append(parse_peer(f"{field_name}[{i}]", item))
        except InputError as exc:
            name = item.get("name") if isinstance(item, dict) else None
            if name:
                raise InputError(f"{exc} (node {name})") from None
            raise
    seen: Dict[Tuple[str, bytes], int] = {}

    def claim(kind: str, key: bytes, i: int, text: str) -> None:
        other = seen.setdefault((kind, key), i)
        if other != i:
            raise InputError(f"{field_name}[{i}].{kind}: {text!r} is also {field_name}[{other}].{kind}")

    for i, p in enumerate(peers):
        claim("vtep_ip", p.vtep_ip, i, ip_text(p.vtep_ip))
        claim("vtep_mac", p.vtep_mac, i, mac_text(p.vtep_mac))
        claim("agent_ip", p.agent_ip, i, ip_text(p.agent_ip))
        if p.vtep_ip6 is not None:
            claim("vtep_ip6", p.vtep_ip6, i, ip_text(p.vtep_ip6))
        for net, plen in p.subnets:
            claim("subnets", net + bytes((plen,)), i, f"{ip_text(net)}/{plen}")
        for net, plen in p.subnets6:
            claim("subnets6", net + bytes((plen,)), i, f"{ip_text(net)}/{plen}")
    return peers


def parse_rule_subnets(raw: Any, field_name: str = "rule_subnets") -> List[Tuple[bytes, int]]:
    out: List[Tuple[bytes, int]] = []
    for i, value in enumerate(as_list(field_name, raw)):
        version = 6 if isinstance(value, str) and ":" in value else 4
        item = parse_net(f"{field_name}[{i}]", value, version)
        if item not in out:
            out.append(item)
    return out
