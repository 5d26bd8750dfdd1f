# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Allocation at scale: the overlay_allocate task, the core alone, the Jinja floor.

    python bench/bench_allocate.py [--nodes 10000]         # prints the rows
    python bench/bench_allocate.py core CASE STATE NODES   # one core run (used by the rows)

Cases, each against the state the one before left: a first allocation from an
empty state, a no-op re-run (every site.yml run), one node joining the full
cluster; and a one-node cluster from empty (what a task costs at all).  The
task runs through ansible-playbook (its time as a task, and the whole
ansible-playbook run); the core alone is what the module does (load, allocate,
compare, save, publish) in one Python process.  The floor is a Jinja loop over
ansible.utils.ipsubnet computing the same blocks, in a task of the same kind.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Any, Dict, List

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402  pylint: disable=wrong-import-position

PLAY = """
- name: Benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: allocate
      mesos.overlay.overlay_allocate:
        network: "{{ bench_network }}"
        agents: "{{ bench_agents }}"
        state_file: "{{ bench_state }}"
"""

# Every block the allocator hands out: IPv4 of every overlay, IPv6 of the dual-stack ones.
JINJA = """
- name: Benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: jinja
      ansible.builtin.set_fact:
        bench_blocks: >-
          {% for i in range(bench_count | int) %}{% for o in bench_network.overlays %}{{
            o.subnet | ansible.utils.ipsubnet(o.prefix, i) }} {% if o.subnet6 is defined %}{{
            o.subnet6 | ansible.utils.ipsubnet(o.prefix6, i) }} {% endif %}{% endfor %}{% endfor %}
    - name: count
      ansible.builtin.copy:
        content: "{{ bench_blocks }}"
        dest: "{{ bench_out }}"
        mode: "0644"
"""


def core(case: str, state_file: str, count: int) -> Dict[str, float]:
    """One run of the module's core (what the module runs, without Ansible), timed;
    ``case`` only names it."""
    # pylint: disable=import-outside-toplevel
    from types import SimpleNamespace

    from ansible_collections.mesos.overlay.plugins.module_utils.allocate import run_allocate

    agents = fleet.nodes(count)
    if case == "join":
        agents.append({"name": "newcomer", "ip": "192.0.2.1", "role": "agent"})
    module = SimpleNamespace(check_mode=False, _diff=False, params={
        "network": fleet.network(), "network_file": None, "agents": agents, "state_file": state_file,
        "prune": False, "remove": []})
    start = time.perf_counter()
    out = run_allocate(module)
    elapsed = time.perf_counter() - start
    assert len(out["allocations"]) == len(agents) and out["changed"] == (case != "noop")
    return {case: elapsed}


def rows(count: int = 10000) -> List[Dict[str, Any]]:
    tmp = tempfile.mkdtemp(prefix="bench-allocate-")
    try:
        play = os.path.join(tmp, "allocate.yml")
        with open(play, "w", encoding="utf-8") as handle:
            handle.write(PLAY)
        jinja = os.path.join(tmp, "jinja.yml")
        with open(jinja, "w", encoding="utf-8") as handle:
            handle.write(JINJA)
        net = fleet.network()
        everyone = fleet.nodes(count)
        state = os.path.join(tmp, "state.json")
        varfiles = {
            "all": fleet.write_json(tmp, "all.json", {"bench_network": net, "bench_agents": everyone,
                                                      "bench_state": state}),
            "join": fleet.write_json(tmp, "join.json", {
                "bench_network": net, "bench_state": state,
                "bench_agents": everyone + [{"name": "newcomer", "ip": "192.0.2.1", "role": "agent"}]}),
            "one": fleet.write_json(tmp, "one.json", {"bench_network": net, "bench_agents": fleet.nodes(1),
                                                      "bench_state": os.path.join(tmp, "one.json.state")}),
        }

        def task(varfile: str) -> fleet.Run:
            return fleet.playbook(play, "-e", f"@{varfile}")

        out: List[Dict[str, Any]] = []
        floor = fleet.playbook(jinja, "-e", f"@{fleet.write_json(tmp, 'jinja.json', {'bench_network': net, 'bench_count': count, 'bench_out': os.path.join(tmp, 'blocks')})}")
        blocks = len(open(os.path.join(tmp, "blocks"), encoding="utf-8").read().split())  # noqa: SIM115
        jinja_s = floor.task("jinja")
        what = f"allocate {count} nodes x {len(net['overlays'])} overlays"
        out.append({"what": what, "case": f"floor: Jinja loop over ansible.utils.ipsubnet ({blocks} blocks)",
                    "ours": jinja_s, "run": floor.wall, "mem": floor.maxrss_mb})
        one = task(varfiles["one"])
        one_s = one.task("allocate")
        saved = state + ".saved"
        for label, varfile, case in (("from empty", "all", "empty"), ("no-op", "all", "noop"),
                                     ("one node joins", "join", "join")):
            # the task and the core each start from the same state
            if case == "empty" and os.path.exists(state):
                os.unlink(state)
            if case == "join":
                shutil.copy(state, saved)
            ran = task(varfiles[varfile])
            if case == "empty":
                os.unlink(state)
            if case == "join":
                shutil.copy(saved, state)
            core_run = fleet.python(os.path.abspath(__file__), "core", case, state, str(count))
            if case == "join":
                shutil.copy(saved, state)
                out.append({"what": what, "case": f"task, {label}", "ours": ran.task("allocate"), "run": ran.wall,
                            "mem": ran.maxrss_mb, "floor": one_s, "floor_what": "the task, one-node cluster",
                            "target": 2.0})
            else:
                out.append({"what": what, "case": f"task, {label}", "ours": ran.task("allocate"), "run": ran.wall,
                            "mem": ran.maxrss_mb, "floor": jinja_s, "floor_what": "Jinja loop",
                            "target": 0.05 if case == "empty" else None})
            out.append({"what": what, "case": f"core alone, {label}", "ours": core_run.tasks[case],
                        "run": core_run.wall, "mem": core_run.maxrss_mb, "floor": jinja_s, "floor_what": "Jinja loop"})
        out.append({"what": what, "case": "task, a one-node cluster from empty", "ours": one_s,
                    "run": one.wall, "mem": one.maxrss_mb})
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("args", nargs="*", help="core CASE STATE NODES")
    parser.add_argument("--nodes", type=int, default=10000)
    opts = parser.parse_args()
    if opts.args[:1] == ["core"]:
        case, state, count = opts.args[1:4]
        print(json.dumps(core(case, state, int(count))))
        return 0
    for row in rows(opts.nodes):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
