# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's filter plugins share: turning errors into messages."""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from ansible.errors import AnsibleFilterError

DATA_ERRORS = (ValueError, KeyError, TypeError, AttributeError)


def as_filter(func: Callable[..., Any], label: str, hint: str = "") -> Callable[..., Any]:
    """``func`` as a filter named ``label`` whose data errors say which filter failed."""

    def filt(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DATA_ERRORS as exc:
            raise AnsibleFilterError(f"{label}: {exc}{hint}") from None

    filt.__name__ = label
    filt.__doc__ = func.__doc__
    return filt


# The top-level fields of the overlay configuration (config.parse_network).
CONFIG_FIELDS = ("vtep_subnet", "vtep_subnet6", "vtep_mac_oui", "vtep_mtu", "overlays", "netgroups", "network")
_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def role_error(msg: Any, names: Mapping[str, Any]) -> str:
    """``msg`` with its leading module option replaced by ``names[option]``."""
    msg = str(msg or "")
    head = _HEAD.match(msg)
    word = head.group(0) if head else ""
    if word and word != "_config" and word in names:
        return str(names[word]) + msg[len(word):]
    if word in CONFIG_FIELDS and names.get("_config"):
        prefix = str(names["_config"])
        return prefix + ("" if prefix.endswith(".") else " ") + msg
    return msg
