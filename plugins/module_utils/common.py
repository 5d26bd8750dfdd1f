# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every reconciler of the collection shares: the shape of its result.

Imports nothing but the standard library (no Ansible, no backend).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List


@dataclass
class Result:
    """The outcome of one reconciler run (also of a check-mode run: then
    what would change).  ``before``/``after`` describe the object for diff
    mode; ``counts``, ``reasons`` and ``failures`` are filled by the
    reconcilers that have them."""

    changed: bool
    before: Dict[str, Any]
    after: Dict[str, Any]
    counts: Dict[str, Any] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)
