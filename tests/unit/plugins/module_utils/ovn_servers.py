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
