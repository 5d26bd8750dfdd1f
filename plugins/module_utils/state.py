# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allocation state file: JSON, versioned, atomic, locked.

* Reads and the read-modify-write of an allocation happen under an exclusive
  ``flock`` on ``<file>.lock``, so two runs at once never hand out one address.
* A write goes to a temporary file in the same directory, is fsynced, then
  renamed over the file; the directory is fsynced too.  The previous version
  is kept as ``<file>.bak`` (written the same way, before the swap).
* Nothing is written when the new content equals the old byte for byte.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from typing import Any, Dict, Iterator, Optional, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    AllocationError,
    State,
)
from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError


class StateFileError(OverlayError, RuntimeError):
    """The state file cannot be read, parsed or written."""


def serialize(state: State) -> str:
    """Stable text of a state: the same state always gives the same bytes."""
    return json.dumps(state.to_dict(), indent=2, sort_keys=False) + "\n"


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_write(path: str, text: str, mode: int = 0o644) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


class StateStore:
    """The state file at ``path``; use :meth:`locked` around read-modify-write."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock_path = path + ".lock"
        self.backup_path = path + ".bak"

    @contextlib.contextmanager
    def locked(self) -> Iterator["StateStore"]:
        """Hold the exclusive lock (creating the directory if needed).

        Read-only users (check mode) need no lock: the file is only ever
        replaced by rename, so a reader sees one whole version.
        """
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(directory, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StateFileError(
                f"state_file: cannot lock {self.lock_path!r}: {exc.strerror}"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield self
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def read_text(self) -> Optional[str]:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateFileError(f"state_file: cannot read {self.path!r}: {exc.strerror}") from None

    def load(self) -> Tuple[State, Optional[str]]:
        """The stored state (empty when there is no file) and its text."""
        text = self.read_text()
        if text is None or not text.strip():
            return State(), text
        try:
            data: Dict[str, Any] = json.loads(text)
        except ValueError as exc:
            raise StateFileError(f"state_file: {self.path!r} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise StateFileError(f"state_file: {self.path!r} does not hold an object")
        try:
            return State.from_dict(data), text
        except (AllocationError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StateFileError(f"state_file: {self.path!r} is not a valid state: {exc}") from None

    def save(self, state: State, previous: Optional[str]) -> bool:
        """Write ``state`` unless unchanged; keep ``previous`` as the backup."""
        text = serialize(state)
        if text == previous:
            return False
        try:
            if previous is not None:
                _atomic_write(self.backup_path, previous)
            _atomic_write(self.path, text)
        except OSError as exc:
            raise StateFileError(f"state_file: cannot write {self.path!r}: {exc.strerror}") from None
        return True
