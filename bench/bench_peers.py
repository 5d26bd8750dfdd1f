#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The peer reconciler at scale, against the ip -batch floor.

    sudo python bench/bench_peers.py [--peers 5000] [--overlays 2]

In fresh network namespaces (created and deleted here; nothing leaves the
machine), with a ``vtep1024`` device, for N peers x M overlays: the
overlay_peers task through ansible-playbook (run inside the namespace) for a
converge from empty, a no-op re-run, one peer changed (its underlay IP) and
one peer removed; beside the floor, ``ip -batch`` + ``bridge -batch`` with the
same entries (all of them for the converge, the changed ones for a change),
and one ``ip``/``bridge`` process per entry.  Run as root.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))

OVERLAY_BASES = (9, 12, 13, 14, 15, 16, 17, 18)


def make_peers(count: int, overlays: int, offset: int = 0) -> List[Dict[str, Any]]:
    """Peers numbered ``offset`` .. ``offset + count - 1`` (distinct addresses)."""
    peers = []
    for n in range(offset + 2, offset + count + 2):
        hi, lo = (n >> 8) & 255, n & 255
        peers.append(
            {
                "vtep_ip": f"44.128.{hi}.{lo}/16",
                "vtep_mac": f"70:b3:d5:80:{hi:02x}:{lo:02x}",
                "agent_ip": f"172.16.{hi}.{lo}",
                "subnets": [f"{OVERLAY_BASES[o]}.{hi}.{lo}.0/24" for o in range(overlays)],
                "vtep_ip6": None,
                "subnets6": [],
            }
        )
    return peers


def rule_subnets(overlays: int) -> List[str]:
    return [f"{OVERLAY_BASES[o]}.0.0.0/8" for o in range(overlays)]


def run(*cmd: str, stdin: str = "") -> None:
    subprocess.run(cmd, input=stdin.encode(), check=True)


def fresh_ns() -> str:
    """A namespace with vtep1024 as overlay_vtep makes it."""
    name = f"bench-{uuid.uuid4().hex[:8]}"
    run("ip", "netns", "add", name)
    run("ip", "-n", name, "link", "set", "lo", "up")
    run("ip", "-n", name, "link", "add", "vtep1024", "address", "70:b3:d5:80:00:01", "type", "vxlan",
        "id", "1024", "dstport", "64000")
    run("ip", "-n", name, "addr", "add", "44.128.0.1/16", "dev", "vtep1024")
    run("ip", "-n", name, "link", "set", "vtep1024", "up")
    return name


PLAY = """
- name: Benchmark
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: peers
      mesos.overlay.overlay_peers:
        device: vtep1024
        peers: "{{ bench_peers }}"
        rule_subnets: "{{ bench_rule_subnets }}"
"""


def batch_lines(peers: List[Dict[str, Any]], overlays: int, rules: bool = True):
    """The ip and bridge commands that make ``peers`` (and the rules)."""
    ip_lines, br_lines = [], []
    for p in peers:
        vtep = p["vtep_ip"].split("/")[0]
        ip_lines.append(f"neigh replace {vtep} lladdr {p['vtep_mac']} dev vtep1024 nud permanent")
        for s in p["subnets"]:
            ip_lines.append(f"route replace {s} via {vtep} dev vtep1024 proto 44 onlink")
        ip_lines.append(f"route replace {p['agent_ip']}/32 via {vtep} dev vtep1024 table 42 proto 44 onlink")
        br_lines.append(f"fdb replace {p['vtep_mac']} dev vtep1024 dst {p['agent_ip']} self permanent")
    for s in rule_subnets(overlays) if rules else ():
        ip_lines.append(f"rule add from {s} lookup 42 proto 44")
    return ip_lines, br_lines


def removal_lines(peer: Dict[str, Any]):
    vtep = peer["vtep_ip"].split("/")[0]
    ip_lines = [f"neigh del {vtep} dev vtep1024"]
    ip_lines += [f"route del {s} dev vtep1024" for s in peer["subnets"]]
    ip_lines.append(f"route del {peer['agent_ip']}/32 dev vtep1024 table 42")
    return ip_lines, [f"fdb del {peer['vtep_mac']} dev vtep1024 dst {peer['agent_ip']} self"]


def batch(ns: str, ip_lines: List[str], br_lines: List[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        ipf, brf = os.path.join(tmp, "ip"), os.path.join(tmp, "bridge")
        with open(ipf, "w", encoding="ascii") as fh:
            fh.write("\n".join(ip_lines) + "\n")
        with open(brf, "w", encoding="ascii") as fh:
            fh.write("\n".join(br_lines) + "\n")
        start = time.perf_counter()
        if ip_lines:
            run("ip", "-n", ns, "-batch", ipf)
        if br_lines:
            run("bridge", "-n", ns, "-batch", brf)
        return time.perf_counter() - start


def per_entry(ns: str, ip_lines: List[str], br_lines: List[str]) -> float:
    start = time.perf_counter()
    for line in ip_lines:
        run("ip", "-n", ns, *line.split())
    for line in br_lines:
        run("bridge", "-n", ns, *line.split())
    return time.perf_counter() - start


def core(varfile: str) -> Dict[str, float]:
    """One run of the module's core (``run_peers``, what the module runs, without
    Ansible) in the current namespace, timed."""
    # pylint: disable=import-outside-toplevel
    from types import SimpleNamespace

    sys.path.insert(0, HERE)
    import fleet  # noqa: F401  (makes the collection importable)
    from ansible_collections.mesos.overlay.plugins.module_utils.netlink.peers import run_peers

    with open(varfile, encoding="utf-8") as fh:
        data = json.load(fh)
    module = SimpleNamespace(check_mode=False, _diff=False, params={
        "device": "vtep1024", "peers": data["bench_peers"], "rule_subnets": data["bench_rule_subnets"],
        "table": 42, "purge": True})
    start = time.perf_counter()
    run_peers(module)
    return {"core": time.perf_counter() - start}


def rows(count: int = 5000, overlays: int = 2, per_entry_floor: bool = True) -> List[Dict[str, Any]]:
    sys.path.insert(0, HERE)
    import fleet  # pylint: disable=import-outside-toplevel

    peers = make_peers(count, overlays)
    changed = [dict(peers[0], agent_ip="172.31.250.1")] + peers[1:]
    removed = changed[:-1]
    what = f"peers {count} x {overlays} overlays"
    out: List[Dict[str, Any]] = []
    # the floors, each in a namespace of its own
    ns = fresh_ns()
    try:
        full = batch(ns, *batch_lines(peers, overlays))
        one_changed = batch(ns, *batch_lines(changed[:1], overlays, rules=False))
        one_removed = batch(ns, *removal_lines(changed[-1]))
    finally:
        run("ip", "netns", "del", ns)
    naive = None
    if per_entry_floor:
        ns = fresh_ns()
        try:
            naive = per_entry(ns, *batch_lines(peers, overlays))
        finally:
            run("ip", "netns", "del", ns)
    entries = sum(len(x) for x in batch_lines(peers, overlays))
    out.append({"what": what, "case": f"floor: ip -batch + bridge -batch, {entries} entries", "ours": full})
    if naive is not None:
        out.append({"what": what, "case": "one ip/bridge process per entry", "ours": naive, "floor": full,
                    "floor_what": "-batch, all entries"})
    tmp = tempfile.mkdtemp(prefix="bench-peers-")
    ns = fresh_ns()
    ns_core = fresh_ns()
    try:
        play = os.path.join(tmp, "peers.yml")
        with open(play, "w", encoding="utf-8") as fh:
            fh.write(PLAY)
        cases = [("converge", peers, full), ("no-op", peers, full), ("one peer changed", changed, one_changed),
                 ("one peer removed", removed, one_removed)]
        for label, wanted, floor_s in cases:
            varfile = fleet.write_json(tmp, "vars.json", {"bench_peers": wanted,
                                                         "bench_rule_subnets": rule_subnets(overlays)})
            ran = fleet.playbook(play, "-e", f"@{varfile}", netns=ns)
            alone = fleet.python(os.path.abspath(__file__), "core", varfile, netns=ns_core)
            target = {"converge": 2.0, "no-op": 1.0}.get(label)
            out.append({"what": what, "case": f"task, {label}", "ours": ran.task("peers"), "run": ran.wall,
                        "mem": ran.maxrss_mb, "floor": floor_s,
                        "floor_what": "-batch, all entries" if floor_s is full else "-batch, changed entries",
                        "target": target})
            out.append({"what": what, "case": f"core alone, {label}", "ours": alone.tasks["core"], "run": alone.wall,
                        "mem": alone.maxrss_mb, "floor": floor_s,
                        "floor_what": "-batch, all entries" if floor_s is full else "-batch, changed entries"})
        # what any overlay_peers task costs: one peer, no change
        varfile = fleet.write_json(tmp, "vars.json", {"bench_peers": peers[:1],
                                                     "bench_rule_subnets": rule_subnets(overlays)})
        fleet.playbook(play, "-e", f"@{varfile}", netns=ns)
        ran = fleet.playbook(play, "-e", f"@{varfile}", netns=ns)
        out.append({"what": what, "case": "task, 1 peer, no-op (a task's fixed cost)", "ours": ran.task("peers"),
                    "run": ran.wall, "mem": ran.maxrss_mb})
    finally:
        run("ip", "netns", "del", ns)
        run("ip", "netns", "del", ns_core)
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("args", nargs="*", help="core VARFILE: one core run in this namespace")
    parser.add_argument("--peers", type=int, default=5000)
    parser.add_argument("--overlays", type=int, default=2)
    args = parser.parse_args()
    if args.args[:1] == ["core"]:
        print(json.dumps(core(args.args[1])))
        return 0
    if os.geteuid() != 0:
        print("bench_peers: run as root (network namespaces)", file=sys.stderr)
        return 2
    for row in rows(args.peers, args.overlays):
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
