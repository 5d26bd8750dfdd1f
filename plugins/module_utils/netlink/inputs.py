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
from typing import Any, List, Optional, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import AF_INET, AF_INET6

MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
IFNAME_RE = re.compile(r"^[^/\s:]{1,15}$")


class InputError(ValueError):
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
    if not isinstance(value, str) or not MAC_RE.match(value.strip()):
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
    if not isinstance(value, str) or not IFNAME_RE.match(value):
        raise InputError(f"{path}: {value!r} is not a network device name (1 to 15 characters, no '/', ':' or space)")
    return value
