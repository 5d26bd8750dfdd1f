"""Real OVN databases for tests: an NB (and SB + ovn-northd when asked)
ovsdb-server in a temporary directory, on unix sockets. Nothing listens on
the network."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from typing import List, Optional

import pytest

SCHEMAS = {"nb": "/usr/share/ovn/ovn-nb.ovsschema", "sb": "/usr/share/ovn/ovn-sb.ovsschema"}


def missing() -> Optional[str]:
    for tool in ("ovsdb-server", "ovsdb-tool", "ovn-northd", "ovn-nbctl"):
        if not shutil.which(tool):
            return "%s not installed (Debian: ovn-central; scripts/host-packages.sh installs it)" % tool
    for path in SCHEMAS.values():
        if not os.path.exists(path):
            return "%s missing (Debian: ovn-common)" % path
    return None


@dataclass
class Central:
    dir: str
    nb: str  # unix:... remote
    sb: str
    pidfiles: List[str]

    def nbctl(self, *args: str) -> str:
        return subprocess.run(["ovn-nbctl", "--db=" + self.nb, *args], check=True,
                              capture_output=True, text=True).stdout

    def txn_count(self) -> int:
        """Transactions committed to the NB database file so far (ovsdb-tool show-log)."""
        out = subprocess.run(["ovsdb-tool", "show-log", os.path.join(self.dir, "nb.db")],
                             check=True, capture_output=True, text=True).stdout
        return sum(1 for line in out.splitlines() if line.startswith("record"))

    def stop(self) -> None:
        for pidfile in self.pidfiles:
            try:
                with open(pidfile) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass


def _server(d: str, name: str) -> str:
    db = os.path.join(d, name + ".db")
    subprocess.run(["ovsdb-tool", "create", db, SCHEMAS[name]], check=True)
    sock = os.path.join(d, name + ".sock")
    subprocess.run(["ovsdb-server", db, "--remote=punix:" + sock, "--pidfile=" + os.path.join(d, name + ".pid"),
                    "--unixctl=" + os.path.join(d, name + ".ctl"), "--log-file=" + os.path.join(d, name + ".log"),
                    "--detach", "--no-chdir"], check=True)
    return "unix:" + sock


def start(d: str, northd: bool = False) -> Central:
    if missing():
        pytest.skip(missing())
    nb = _server(d, "nb")
    pids = [os.path.join(d, "nb.pid")]
    sb = ""
    if northd:
        sb = _server(d, "sb")
        pids.append(os.path.join(d, "sb.pid"))
        env = dict(os.environ, OVN_RUNDIR=d)
        subprocess.run(["ovn-northd", "--ovnnb-db=" + nb, "--ovnsb-db=" + sb, "--pidfile=" + os.path.join(d, "northd.pid"),
                        "--log-file=" + os.path.join(d, "northd.log"), "--detach", "--no-chdir"], check=True, env=env)
        pids.append(os.path.join(d, "northd.pid"))
    central = Central(d, nb, sb, pids)
    deadline = time.time() + 5
    while True:
        try:
            central.nbctl("--timeout=1", "show")
            break
        except subprocess.CalledProcessError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)
    return central


def _ns(ns: str, *argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", "netns", "exec", ns, *argv], check=True, capture_output=True, text=True, **kw)


@dataclass
class Chassis:
    """A real OVN chassis (ovsdb-server, ovs-vswitchd with the userspace
    datapath, ovn-controller) inside its own network namespace ``ns``."""

    dir: str
    ns: str
    ovs: str  # unix:... remote of its Open_vSwitch database
    pidfiles: List[str]

    def vsctl(self, *args: str) -> str:
        return subprocess.run(["ovs-vsctl", "--db=" + self.ovs, *args], check=True,
                              capture_output=True, text=True).stdout

    def stop(self) -> None:
        for pidfile in self.pidfiles:
            try:
                with open(pidfile) as f:
                    os.kill(int(f.read().strip()), 15)
            except (OSError, ValueError):
                pass
        time.sleep(0.3)
        subprocess.run(["ip", "netns", "del", self.ns], check=False)


def start_chassis(d: str, ns: str, name: str, sb: str, controller: bool = True) -> Chassis:
    for tool in ("ovs-vswitchd", "ovn-controller"):
        if not shutil.which(tool):
            pytest.skip("%s not installed (Debian: openvswitch-switch, ovn-host)" % tool)
    subprocess.run(["ip", "netns", "add", ns], check=True)
    _ns(ns, "ip", "link", "set", "lo", "up")
    db = os.path.join(d, "conf.db")
    subprocess.run(["ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema"], check=True)
    sock = os.path.join(d, "db.sock")
    pids = [os.path.join(d, n + ".pid") for n in ("controller", "vswitchd", "ovsdb")]
    subprocess.run(["ovsdb-server", db, "--remote=punix:" + sock, "--pidfile=" + pids[2],
                    "--unixctl=" + os.path.join(d, "ovsdb.ctl"), "--log-file=" + os.path.join(d, "ovsdb.log"),
                    "--detach", "--no-chdir"], check=True)
    ch = Chassis(d, ns, "unix:" + sock, pids)
    ch.vsctl("--no-wait", "init")
    env = dict(os.environ, OVS_RUNDIR=d, OVN_RUNDIR=d)
    _ns(ns, "ovs-vswitchd", ch.ovs, "--pidfile=" + pids[1], "--unixctl=" + os.path.join(d, "vswitchd.ctl"),
        "--log-file=" + os.path.join(d, "vswitchd.log"), "--detach", "--no-chdir", env=env)
    if not controller:
        return ch
    ch.vsctl("set", "Open_vSwitch", ".", "external_ids:system-id=" + name, "external_ids:ovn-remote=" + sb,
             "external_ids:ovn-encap-type=geneve", "external_ids:ovn-encap-ip=127.0.0.1",
             "external_ids:ovn-bridge-datapath-type=netdev")
    _ns(ns, "ovn-controller", ch.ovs, "--pidfile=" + pids[0], "--log-file=" + os.path.join(d, "controller.log"),
        "--detach", "--no-chdir", env=env)
    deadline = time.time() + 10
    while "br-int" not in ch.vsctl("list-br"):
        if time.time() > deadline:
            raise RuntimeError("ovn-controller made no br-int")
        time.sleep(0.1)
    return ch
