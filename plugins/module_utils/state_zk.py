# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The allocation state in one ZooKeeper znode (kazoo), compare-and-set.

The znode holds the same document as the state file, byte for byte (see
``state.serialize``), so moving between the two stores moves no address.
Every write names the znode version it read: ``set(path, data, version)``,
or ``create`` when there was no znode.  Another writer in between makes the
write fail (``BadVersionError`` / ``NodeExistsError``), which becomes a
``StateConflict``; ``state.update`` then re-reads and recomputes.  No lock
is taken: a run that only reads (check mode, a no-op) never blocks another.

A document over ZooKeeper's default limit (``jute.maxbuffer``, 1 MiB) is
stored zlib-compressed; it is read back either way.
"""

from __future__ import annotations

import contextlib
import socket
import zlib
from typing import Iterator, List, Optional, Sequence

from ansible_collections.mesos.overlay.plugins.module_utils.state import (
    Snapshot,
    StateConflict,
    StateFileError,
    parse,
)

try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import (
        BadVersionError,
        KazooException,
        NodeExistsError,
        NoNodeError,
    )
    from kazoo.handlers.threading import KazooTimeoutError
    from kazoo.retry import KazooRetry
    HAS_KAZOO = True
except ImportError:  # pragma: no cover - reported when the backend is used
    HAS_KAZOO = False

DEFAULT_PATH = "/mesos-overlay/state"
# Documents up to this size are stored as plain JSON (readable with zkCli);
# larger ones compressed.  ZooKeeper refuses data over jute.maxbuffer
# (0xfffff bytes by default) including the request's own overhead.
PLAIN_LIMIT = 1000 * 1000
ZLIB_MAGIC = 0x78


def encode(text: str) -> bytes:
    data = text.encode("utf-8")
    return data if len(data) <= PLAIN_LIMIT else zlib.compress(data, 9)


def decode(data: bytes, where: str) -> str:
    if data[:1] == bytes([ZLIB_MAGIC]):
        try:
            data = zlib.decompress(data)
        except zlib.error as exc:
            raise StateFileError(f"{where}: compressed data is corrupt: {exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StateFileError(f"{where}: not UTF-8 text: {exc}") from None


def check_path(path: str) -> str:
    """A znode path: absolute, no empty, '.' or '..' component, no trailing '/'."""
    parts = path.split("/")
    if not path.startswith("/") or path == "/" or any(p in ("", ".", "..") for p in parts[1:]):
        raise StateFileError(
            f"zookeeper_path: {path!r} is not a znode path (absolute, like {DEFAULT_PATH!r})"
        )
    return path


def check_hosts(hosts: Sequence[str]) -> List[str]:
    """``host:port`` entries (a ``zk://`` prefix and a trailing chroot are not accepted here)."""
    out = [h.strip() for h in hosts if h and h.strip()]
    if not out:
        raise StateFileError("zookeeper_hosts: give at least one host:port of the ZooKeeper ensemble")
    for index, host in enumerate(out):
        name, sep, port = host.rpartition(":")
        if "/" in host or not sep or not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise StateFileError(
                f"zookeeper_hosts[{index}]: {host!r} is not host:port (e.g. 10.0.0.2:2181);"
                " give the znode with zookeeper_path"
            )
    return out


def probe(hosts: Sequence[str], timeout: float = 1.0) -> List[str]:
    """What a plain TCP connection to each host says, for error messages."""
    notes = []
    for host in hosts:
        name, _sep, port = host.rpartition(":")
        try:
            with socket.create_connection((name.strip("[]"), int(port)), timeout=timeout):
                notes.append(f"{host}: TCP connects, but no ZooKeeper session was established")
        except socket.gaierror as exc:
            notes.append(f"{host}: name does not resolve ({exc.strerror})")
        except socket.timeout:
            notes.append(f"{host}: no answer within {timeout:g} s")
        except OSError as exc:
            notes.append(f"{host}: {exc.strerror or exc}")
    return notes


class ZooKeeperStore:
    """The state document in the znode ``path`` of the ensemble ``hosts``."""

    def __init__(self, hosts: Sequence[str], path: str = DEFAULT_PATH, timeout: float = 10.0) -> None:
        self.hosts = check_hosts(hosts)
        self.path = check_path(path)
        self.timeout = timeout
        self.client = None

    def describe(self) -> str:
        return f"zookeeper {','.join(self.hosts)} znode {self.path!r}"

    def _fail(self, what: str, exc: BaseException) -> StateFileError:
        detail = str(exc) or type(exc).__name__
        return StateFileError(f"{self.describe()}: cannot {what}: {type(exc).__name__}: {detail}")

    @contextlib.contextmanager
    def connected(self) -> Iterator["ZooKeeperStore"]:
        """A session with the ensemble for the duration of the block."""
        if not HAS_KAZOO:
            raise StateFileError(
                "state_backend zookeeper: the Python package kazoo is missing on the controller"
                " (pip install kazoo)"
            )
        client = KazooClient(
            hosts=",".join(self.hosts), timeout=self.timeout,
            connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=1),
            command_retry=KazooRetry(max_tries=3, delay=0.1, max_delay=1),
        )
        try:
            client.start(timeout=self.timeout)
        except KazooTimeoutError:
            client.close()
            raise StateFileError(
                f"zookeeper_hosts {','.join(self.hosts)}: no ZooKeeper session within"
                f" {self.timeout:g} s: " + "; ".join(probe(self.hosts))
            ) from None
        self.client = client
        try:
            yield self
        finally:
            self.client = None
            with contextlib.suppress(Exception):
                client.stop()
            client.close()

    def session(self, write: bool):  # pylint: disable=unused-argument
        """Nothing to hold: writes are compare-and-set."""
        return contextlib.nullcontext(self)

    def read(self) -> Snapshot:
        where = f"{self.describe()}"
        try:
            data, stat = self.client.get(self.path)
        except NoNodeError:
            return Snapshot(parse(None, where), None, None)
        except KazooException as exc:
            raise self._fail("read", exc) from None
        text = decode(data or b"", where) if data else None
        return Snapshot(parse(text, where), text, stat.version)

    def write(self, text: str, snapshot: Snapshot) -> None:
        data = encode(text)
        try:
            if snapshot.version is None:
                self.client.create(self.path, data, makepath=True)
            else:
                self.client.set(self.path, data, version=snapshot.version)
        except (BadVersionError, NodeExistsError, NoNodeError):
            raise StateConflict(f"{self.describe()}: changed since it was read") from None
        except KazooException as exc:
            raise self._fail("write", exc) from None

    def read_text(self) -> Optional[str]:
        return self.read().text
