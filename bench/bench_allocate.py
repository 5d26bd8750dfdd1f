"""Allocation at scale: prints figures, asserts nothing.

    python bench/bench_allocate.py [--nodes 10000] [--overlays 4]

Figures: a first allocation of N nodes x M overlays from an empty state, a
no-op re-run against the stored state (the common case: every site.yml run),
one node joining a full cluster, publishing the map, and the peer list of one
node. For scale: DESIGN.md measured a Jinja loop over ansible.utils.ipsubnet
for 10,000 nodes x 4 overlays at 8.3 s.
"""

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "unit"))
import conftest  # noqa: E402,F401  (makes the collection importable)

from ansible_collections.mesos.overlay.plugins.filter.overlay import peer_list  # noqa: E402
from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (  # noqa: E402
    Allocator, NodeRequest, publish)
from ansible_collections.mesos.overlay.plugins.module_utils.config import parse_network  # noqa: E402
from ansible_collections.mesos.overlay.plugins.module_utils.state import StateStore  # noqa: E402


def timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    result = func(*args, **kwargs)
    print(f"  {label:<44} {time.perf_counter() - start:8.3f} s")
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--nodes", type=int, default=10000)
    parser.add_argument("--overlays", type=int, default=4)
    args = parser.parse_args()
    network = parse_network({
        "vtep_subnet": "44.128.0.0/14",
        "vtep_subnet6": "fd00:44::/64",
        "vtep_mac_oui": "70:B3:D5:00:00:00",
        "overlays": [{"name": f"ovl{i}", "subnet": f"10.{32 * i}.0.0/11", "prefix": 26,
                      "subnet6": f"fd01:{i}::/64", "prefix6": 96} for i in range(args.overlays)],
    })
    requests = [NodeRequest(f"node{i}", f"172.{16 + i // 65536}.{i // 256 % 256}.{i % 256}")
                for i in range(args.nodes)]
    print(f"allocation: {args.nodes} nodes x {args.overlays} overlays (IPv4 + IPv6)")
    with tempfile.TemporaryDirectory() as tmp:
        store = StateStore(os.path.join(tmp, "state.json"))
        first = timed("first allocation from an empty state", Allocator(network).allocate, requests)
        timed("write the state file", store.save, first.state, None)
        loaded, text = timed("read the state file", store.load)
        again = timed("no-op re-run against the stored state", Allocator(network, loaded).allocate, requests)
        assert not again.changed
        one = requests + [NodeRequest("newcomer", "192.0.2.1")]
        joined = timed("one node joins the full cluster", Allocator(network, loaded).allocate, one)
        assert joined.added == ["newcomer"]
        allocations = timed("publish the allocations map", publish, loaded)
        timed("peer list of one node", peer_list, allocations, "node0")
        print(f"  state file size: {len(text) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
