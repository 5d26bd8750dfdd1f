# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The master role over big inventories, against Ansible's own floor.

    python bench/bench_master.py [--hosts 1000 5000]

For each size: an inventory of that many hosts (one master, the rest agents,
local connection, each with its overlay_agent_ip), the master role from an
empty state and again (a no-op), beside a play of one trivial per-host task
(set_fact) over the same inventory: what Ansible spends on any task that runs
per host.  Whole ansible-playbook runs, inventory parsing included.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402  pylint: disable=wrong-import-position

ROLE = """
- name: Benchmark
  hosts: mesos_masters:mesos_agents
  gather_facts: false
  roles:
    - role: mesos.overlay.master
"""

FLOOR = """
- name: Benchmark
  hosts: mesos_masters:mesos_agents
  gather_facts: false
  tasks:
    - name: trivial
      ansible.builtin.set_fact:
        bench_trivial: true
"""


def inventory(path: str, count: int) -> None:
    hosts = fleet.nodes(count)
    lines = ["all:", "  vars:", "    ansible_connection: local", "  children:",
             "    mesos_masters:", "      hosts:"]
    lines += [f"        {n['name']}: {{overlay_agent_ip: {n['ip']}}}" for n in hosts[:1]]
    lines += ["    mesos_agents:", "      hosts:"]
    lines += [f"        {n['name']}: {{overlay_agent_ip: {n['ip']}}}" for n in hosts[1:]]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def rows(sizes=(1000, 5000)) -> List[Dict[str, Any]]:
    tmp = tempfile.mkdtemp(prefix="bench-master-")
    out: List[Dict[str, Any]] = []
    try:
        role, floor = os.path.join(tmp, "role.yml"), os.path.join(tmp, "floor.yml")
        for path, text in ((role, ROLE), (floor, FLOOR)):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        for count in sizes:
            inv = os.path.join(tmp, f"hosts{count}.yml")
            inventory(inv, count)
            varfile = fleet.write_json(tmp, "vars.json", {"overlay_network": fleet.network(),
                                                         "overlay_state_file": os.path.join(tmp, f"state{count}.json")})
            base = fleet.playbook(floor, inventory=inv)
            what = f"master role, {count} hosts"
            out.append({"what": what, "case": "floor: one trivial per-host task (set_fact)", "ours": base.wall,
                        "run": base.wall, "mem": base.maxrss_mb})
            for label in ("from empty", "no-op"):
                ran = fleet.playbook(role, "-e", f"@{varfile}", inventory=inv)
                out.append({"what": what, "case": f"ansible-playbook, {label}", "ours": ran.wall, "run": ran.wall,
                            "mem": ran.maxrss_mb, "floor": base.wall, "floor_what": "trivial per-host task",
                            "target": 1.0})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[1000, 5000])
    args = parser.parse_args()
    for row in rows(args.hosts):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
