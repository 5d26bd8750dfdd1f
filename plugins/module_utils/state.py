# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allocation state stores and the one way to update them.

The state document (``serialize``) is the same bytes whichever store holds
it, so a cluster moves between stores without an address moving.  A store
has ``describe()``, ``session(write)`` (what guards a read-modify-write),
``read()`` (a :class:`Snapshot`) and ``write(text, snapshot)``, which raises
:class:`StateConflict` when the stored document is no longer the one read.
:func:`update` is the read-compute-write loop over any store; a lost race
re-reads and recomputes, at most ``attempts`` times.

The file store (:class:`StateStore`), JSON, versioned, atomic, locked:

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
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Optional, Sequence, Tuple, TypeVar

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    AllocationError,
    State,
)
from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError


class StateFileError(OverlayError, RuntimeError):
    """The state cannot be read, parsed or written."""


class StateConflict(StateFileError):
    """The stored document changed between read and write (a lost race)."""


@dataclass
class Snapshot:
    """A document as read: its state, its text (None: nothing stored), its version."""

    state: State
    text: Optional[str]
    version: Any = None
    attempt: int = 1


def parse(text: Optional[str], where: str) -> State:
    """The state of a stored document (empty when there is none)."""
    if text is None or not text.strip():
        return State()
    try:
        data: Dict[str, Any] = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StateFileError(f"{where} does not hold an object")
    try:
        return State.from_dict(data)
    except (AllocationError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateFileError(f"{where} is not a valid state: {exc}") from None


def serialize(state: State) -> str:
    """Stable text of a state: the same state always gives the same bytes.

    One node per line: readable, diffable, and written by json's C encoder
    (``indent`` would switch json to its pure-Python encoder, seconds at
    10,000 nodes).
    """
    data = state.to_dict()
    nodes = data.pop("nodes")
    head = json.dumps(data, indent=2)
    if not nodes:
        return head[:-2] + ',\n  "nodes": {}\n}\n'
    dump = json.JSONEncoder(separators=(", ", ": ")).encode
    body = ",\n".join(f"    {dump(name)}: {dump(node)}" for name, node in nodes.items())
    return head[:-2] + ',\n  "nodes": {\n' + body + "\n  }\n}\n"


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

    def describe(self) -> str:
        return f"state_file {self.path!r}"

    def session(self, write: bool):
        """The lock around a read-modify-write (none for a read only)."""
        return self.locked() if write else contextlib.nullcontext(self)

    def read(self) -> Snapshot:
        text = self.read_text()
        return Snapshot(parse(text, f"state_file: {self.path!r}"), text)

    def load(self) -> Tuple[State, Optional[str]]:
        """The stored state (empty when there is no file) and its text."""
        snap = self.read()
        return snap.state, snap.text

    def write(self, text: str, snapshot: Snapshot) -> None:
        """Replace the file (called under :meth:`locked`, so no race is possible)."""
        self._write_text(text, snapshot.text)

    def save(self, state: State, previous: Optional[str]) -> bool:
        """Write ``state`` unless unchanged; keep ``previous`` as the backup."""
        text = serialize(state)
        if text == previous:
            return False
        self._write_text(text, previous)
        return True

    def _write_text(self, text: str, previous: Optional[str]) -> None:
        try:
            if previous is not None:
                _atomic_write(self.backup_path, previous)
            _atomic_write(self.path, text)
        except OSError as exc:
            raise StateFileError(f"state_file: cannot write {self.path!r}: {exc.strerror}") from None


T = TypeVar("T")
ATTEMPTS = 8


def update(store: Any, compute: Callable[[State], Tuple[State, T]], write: bool = True,
           attempts: int = ATTEMPTS) -> Tuple[Snapshot, State, T, bool]:
    """Read, compute, write only when changed; on a lost race start over.

    ``compute(old_state)`` returns the new state and anything the caller wants
    back; it must be pure (it may run once per attempt).  Returns the snapshot
    read, the new state, compute's extra and whether the document changed.
    With ``write`` false (check mode) nothing is written or locked.
    """
    for attempt in range(1, attempts + 1):
        with store.session(write):
            snap = store.read()
            snap.attempt = attempt
            new, extra = compute(snap.state)
            # the data, not the text: a document in an older layout is only
            # rewritten when an allocation changes (and a no-op serialises nothing)
            changed = new != snap.state
            if changed and write:
                try:
                    store.write(serialize(new), snap)
                except StateConflict:
                    continue
            return snap, new, extra, changed
    raise StateFileError(
        f"{store.describe()}: another run changed the state each time this run was about to"
        f" write it ({attempts} attempts); nothing was written by this run, run it again"
    )


BACKENDS = ("file", "zookeeper")


@contextlib.contextmanager
def open_store(backend: str = "file", state_file: Optional[str] = None,
               zookeeper_hosts: Sequence[str] = (), zookeeper_path: Optional[str] = None,
               zookeeper_timeout: float = 10.0) -> Iterator[Any]:
    """The store of ``backend``, connected for the duration of the block."""
    if backend == "file":
        if not state_file:
            raise StateFileError("state_file: required with state_backend file")
        yield StateStore(state_file)
    elif backend == "zookeeper":
        # Imported here: state_zk builds on this module.
        from ansible_collections.mesos.overlay.plugins.module_utils.state_zk import (
            DEFAULT_PATH,
            ZooKeeperStore,
        )
        store = ZooKeeperStore(zookeeper_hosts, zookeeper_path or DEFAULT_PATH, zookeeper_timeout)
        with store.connected():
            yield store
    else:
        raise StateFileError(f"state_backend: {backend!r} is not one of {', '.join(BACKENDS)}")
