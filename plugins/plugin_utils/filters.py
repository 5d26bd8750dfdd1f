# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection's filter plugins share: turning errors into messages."""

from __future__ import annotations

from typing import Any, Callable

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
