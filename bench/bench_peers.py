#!/usr/bin/env python3
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the peer reconciler against the `ip -batch` floor.

    sudo python3 bench/bench_peers.py [--peers 5000] [--overlays 2] [--repeat 3]

In fresh network namespaces (created and deleted here; nothing leaves the
machine), with a ``vtep1024`` device, for N peers x M overlays it prints:

* the floor: ``ip -batch`` (neighbours, routes, table-42 routes, rules) plus
  ``bridge -batch`` (FDB entries) with every entry;
* our converge from empty (parsing the peers included);
* our no-op re-run;
* our re-run after 1% churn (1% of the peers replaced by new ones: adds and
  purges).

Figures are the best of ``--repeat`` runs, under whichever pyroute2 this
Python imports.  Run as root.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any, Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "mesos", "overlay")
if not os.path.exists(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
sys.path.insert(0, COLLECTIONS)
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))  # netns_helpers.netns

import pyroute2  # noqa: E402

from netns_helpers import netns  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink  # noqa: E402

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
    name = f"bench-{uuid.uuid4().hex[:8]}"
    run("ip", "netns", "add", name)
    run("ip", "-n", name, "link", "set", "lo", "up")
    with netns(name):
        spec = netlink.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/16")
        netlink.reconcile_vtep(spec)
    return name


def floor(peers: List[Dict[str, Any]], overlays: int, table42: bool = True) -> float:
    """ip -batch + bridge -batch; without ``table42``, the set DESIGN.md's
    0.27 s counted (neighbours, FDB, overlay routes)."""
    ip_lines, br_lines = [], []
    for p in peers:
        vtep = p["vtep_ip"].split("/")[0]
        ip_lines.append(f"neigh replace {vtep} lladdr {p['vtep_mac']} dev vtep1024 nud permanent")
        for s in p["subnets"]:
            ip_lines.append(f"route replace {s} via {vtep} dev vtep1024 proto 44 onlink")
        if table42:
            ip_lines.append(f"route replace {p['agent_ip']}/32 via {vtep} dev vtep1024 table 42 proto 44 onlink")
        br_lines.append(f"fdb replace {p['vtep_mac']} dev vtep1024 dst {p['agent_ip']} self permanent")
    for s in rule_subnets(overlays) if table42 else ():
        ip_lines.append(f"rule add from {s} lookup 42 proto 44")
    ns = fresh_ns()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ipf, brf = os.path.join(tmp, "ip"), os.path.join(tmp, "bridge")
            with open(ipf, "w", encoding="ascii") as fh:
                fh.write("\n".join(ip_lines) + "\n")
            with open(brf, "w", encoding="ascii") as fh:
                fh.write("\n".join(br_lines) + "\n")
            start = time.perf_counter()
            run("ip", "-n", ns, "-batch", ipf)
            run("bridge", "-n", ns, "-batch", brf)
            return time.perf_counter() - start
    finally:
        run("ip", "netns", "del", ns)


def ours(peers: List[Dict[str, Any]], overlays: int) -> Dict[str, Any]:
    subnets = netlink.parse_rule_subnets(rule_subnets(overlays))
    count = len(peers)
    churned = peers[: count - count // 100] + make_peers(count // 100, overlays, offset=count + 10)
    ns = fresh_ns()
    out: Dict[str, Any] = {}
    try:
        with netns(ns):

            def converge(raw: List[Dict[str, Any]]) -> Any:
                return netlink.reconcile_peers("vtep1024", netlink.parse_peers(raw), subnets)

            out["converge"], r1 = timed(lambda: converge(peers))
            out["noop"], r2 = timed(lambda: converge(peers))
            out["churn"], r3 = timed(lambda: converge(churned))
            out["read only (no-op, parse excluded)"], _ = timed(
                lambda: netlink.reconcile_peers("vtep1024", parsed, subnets, check=True)
            ) if (parsed := netlink.parse_peers(churned)) is not None else (0, None)
            out["parse peers"], _ = timed(lambda: netlink.parse_peers(churned))
            assert r1.changed and not r2.changed and r3.changed, "unexpected change flags"
            assert not r1.failures and not r3.failures, (r1.failures, r3.failures)
            out["_counts"] = {"converge": r1.counts, "churn": r3.counts}
    finally:
        run("ip", "netns", "del", ns)
    return out


def timed(fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=5000)
    parser.add_argument("--overlays", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench_peers: run as root (network namespaces)", file=sys.stderr)
        return 2
    peers = make_peers(args.peers, args.overlays)
    floors = [floor(peers, args.overlays) for _ in range(args.repeat)]
    design_floor = min(floor(peers, args.overlays, table42=False) for _ in range(args.repeat))
    runs = [ours(peers, args.overlays) for _ in range(args.repeat)]
    best = {k: min(r[k] for r in runs) for k in runs[0] if not k.startswith("_")}
    fl = min(floors)
    entries = args.peers * (2 + args.overlays + 1)
    print(f"pyroute2 {pyroute2.__version__}, python {sys.version.split()[0]}, kernel {os.uname().release}")
    print(
        f"{args.peers} peers x {args.overlays} overlays: {entries} entries "
        f"({args.peers} neighbours, {args.peers} fdb, {args.peers * args.overlays} routes, "
        f"{args.peers} table-42 routes) + {args.overlays} rules; best of {args.repeat}"
    )
    print(f"  {'ip -batch + bridge -batch (floor)':40s} {fl:7.3f} s")
    print(f"  {'  the same without table 42 and rules':40s} {design_floor:7.3f} s   (DESIGN.md's set)")
    for key, value in best.items():
        print(f"  {'ours: ' + key:40s} {value:7.3f} s   {value / fl:5.2f}x floor")
    print(f"  churn counts: {runs[0]['_counts']['churn']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
