# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every part of the core shares: its errors and the shape of a
reconciler's result.

Every error the core raises for the user derives from :class:`OverlayError`
(its message names the field and the value); ``entrypoint.run_module`` turns
them into ``fail_json``.  Imports nothing but the standard library (no
Ansible, no backend).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


class OverlayError(Exception):
    """An error for the user: bad input, a refused request, a state we cannot
    work with.  ``str()`` is the whole message."""

    def fail_fields(self) -> Dict[str, Any]:
        """Fields the task's failure result carries beside ``msg``."""
        return {}


class MissingLibrary(OverlayError):
    """A Python library the module needs is not installed on the host."""

    def __init__(self, library: str, import_error: Optional[str]) -> None:
        self.library = library
        self.import_error = import_error
        super().__init__(f"{library} is required: {import_error}")


class Failed(OverlayError):
    """A run that failed part way; ``fields`` is what it did (``changed``,
    counts...), returned with the failure."""

    def __init__(self, msg: str, **fields: Any) -> None:
        self.fields = fields
        super().__init__(msg)

    def fail_fields(self) -> Dict[str, Any]:
        return dict(self.fields)


@dataclass
class Result:
    """The outcome of one reconciler run (also of a check-mode run: then
    what would change).  ``before``/``after`` describe the object for diff
    mode; ``counts``, ``reasons``, ``failures`` and ``changes`` (the
    planned changes, readable) are filled by the reconcilers that have them."""

    changed: bool
    before: Dict[str, Any]
    after: Dict[str, Any]
    counts: Dict[str, Any] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)
    changes: List[str] = field(default_factory=list)
