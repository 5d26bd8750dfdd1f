# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benchmarks share: the cluster they describe, and running a
command (ansible-playbook or Python) with its wall time, its tasks' times and
its peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "mesos", "overlay")
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)

BIN = os.path.dirname(sys.executable)


def network(overlays: int = 4, dual_stack: int = 2) -> Dict[str, Any]:
    """Room for 65,000 nodes: /14 VTEPs, overlays /11 in /26 blocks, the
    first ``dual_stack`` of them with IPv6 (/64 in /96)."""
    return {
        "vtep_subnet": "44.128.0.0/14",
        "vtep_subnet6": "fd00:44::/64",
        "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [
            dict({"name": f"ovl{i}", "subnet": f"10.{32 * i}.0.0/11", "prefix": 26},
                 **({"subnet6": f"fd01:{i}::/64", "prefix6": 96} if i < dual_stack else {}))
            for i in range(overlays)
        ],
    }


def underlay_ip(index: int) -> str:
    index += 2
    return f"172.{16 + index // 65536}.{index // 256 % 256}.{index % 256}"


def nodes(count: int, offset: int = 0) -> List[Dict[str, str]]:
    return [{"name": f"node{i}", "ip": underlay_ip(i), "role": "master" if i == 0 else "agent"}
            for i in range(offset, offset + count)]


@dataclass
class Run:
    wall: float
    maxrss_mb: float
    tasks: Dict[str, float] = field(default_factory=dict)
    stdout: str = ""

    def task(self, name: str) -> float:
        return self.tasks[name]


def run(argv: Sequence[str], env: Optional[Dict[str, str]] = None, netns: Optional[str] = None,
        cwd: str = ROOT) -> Run:
    """Run ``argv`` (in network namespace ``netns``); its wall time and the
    peak resident memory of its whole process tree (wait4's ru_maxrss)."""
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=env, cwd=cwd, stdout=out, stderr=err)  # pylint: disable=consider-using-with
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}):\n{stdout[-3000:]}\n"
                               f"{err.read().decode(errors='replace')[-3000:]}")
    return Run(wall, usage.ru_maxrss / 1024, stdout=stdout)


def playbook(path: str, *args: str, inventory: Optional[str] = None, netns: Optional[str] = None,
             forks: Optional[int] = None) -> Run:
    """ansible-playbook with the repo's ansible.cfg and the task timer."""
    fd, times = tempfile.mkstemp(suffix=".json")
    os.close(fd)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_CALLBACK_PLUGINS=os.path.join(HERE, "callback_plugins"),
               ANSIBLE_CALLBACKS_ENABLED="bench_times", BENCH_TIMES=times,
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    if forks:
        env["ANSIBLE_FORKS"] = str(forks)
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", inventory or "localhost,", path, *args]
    try:
        result = run(argv, env=env, netns=netns)
        with open(times, encoding="utf-8") as handle:
            result.tasks = json.load(handle)
    finally:
        os.unlink(times)
    return result


def python(*args: str, netns: Optional[str] = None) -> Run:
    """A Python script of bench/ that prints its figures as JSON on its last line."""
    result = run([sys.executable, *args], netns=netns)
    result.tasks = json.loads(result.stdout.strip().splitlines()[-1])
    return result


def write_json(directory: str, name: str, data: Any) -> str:
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return path
