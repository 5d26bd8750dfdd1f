"""A real ZooKeeper server for the tests (Debian's ``zookeeper`` package).

``scripts/host-packages.sh`` installs the package; the ``zookeeper`` fixture
starts one standalone server per test session on 127.0.0.1 and a free port,
with its own config and data directory, and stops it at the end.  Tests that
use it are marked ``zookeeper``.
"""

import os
import shutil
import socket
import subprocess
import time

import pytest

JARS = "/usr/share/java"
CONF = "/etc/zookeeper/conf"
MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ruok(port, timeout=0.5):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"ruok")
            return sock.recv(4) == b"imok"
    except OSError:
        return False


class ZooKeeperServer:
    """One standalone server; ``hosts`` is its ``host:port``."""

    def __init__(self, directory):
        self.directory = str(directory)
        self.port = free_port()
        self.hosts = f"127.0.0.1:{self.port}"
        self.proc = None

    def start(self, wait=30.0):
        if not os.path.exists(os.path.join(JARS, "zookeeper.jar")) or not shutil.which("java"):
            pytest.fail("ZooKeeper is not installed: run scripts/host-packages.sh (Debian's zookeeper)")
        data = os.path.join(self.directory, "data")
        os.makedirs(data, exist_ok=True)
        cfg = os.path.join(self.directory, "zoo.cfg")
        with open(cfg, "w", encoding="utf-8") as handle:
            handle.write("\n".join([
                "tickTime=500", "initLimit=5", "syncLimit=2", f"dataDir={data}",
                f"clientPort={self.port}", "clientPortAddress=127.0.0.1",
                "admin.enableServer=false", "4lw.commands.whitelist=ruok",
                "maxClientCnxns=200", "",
            ]))
        log = open(os.path.join(self.directory, "zookeeper.log"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603
            ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             "-Dzookeeper.log.dir=" + self.directory,
             "-cp", f"{CONF}:{JARS}/*", MAIN, cfg],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"ZooKeeper exited with {self.proc.returncode}; see {self.directory}/zookeeper.log")
            if ruok(self.port):
                return self
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"ZooKeeper did not answer on {self.hosts} within {wait:g} s")
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def read_znode(hosts, path):
    """The text a znode holds, read with a client of its own."""
    from kazoo.client import KazooClient  # pylint: disable=import-outside-toplevel

    client = KazooClient(hosts=hosts)
    client.start(timeout=10)
    try:
        return client.get(path)[0].decode()
    finally:
        client.stop()
        client.close()


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory):
    """``host:port`` of a running ZooKeeper server, for the whole session."""
    server = ZooKeeperServer(tmp_path_factory.mktemp("zookeeper")).start()
    try:
        yield server.hosts
    finally:
        server.stop()


@pytest.fixture()
def znode(request):
    """A znode path of this test's own."""
    return f"/mesos-overlay-test/{request.node.name.replace('[', '-').replace(']', '')}/state"
