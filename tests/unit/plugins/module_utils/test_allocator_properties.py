"""Properties of the allocator over random histories of a cluster.

Joins, leaves (a node missing from a run), re-joins, releases, prunes,
reorderings and configuration growth (new overlays, IPv6 added later), in any
order: no allocation ever changes unless released, nothing is shared, and
everything lies in its pool.
"""

import copy
import ipaddress

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    AllocationError,
    Allocator,
    NodeRequest,
    State,
    publish,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import parse_network

NAMES = [f"n{i}" for i in range(12)]
EXTRA_OVERLAYS = [
    {"name": "extra-a", "subnet": "10.64.0.0/24", "prefix": 28},
    {"name": "extra-b", "subnet": "10.65.0.0/25", "prefix": 28, "subnet6": "fd02::/64", "prefix6": 96},
]
BASE = {
    # small pools, so that exhaustion happens too
    "vtep_subnet": "44.128.0.0/28",
    "vtep_mac_oui": "70:B3:D5:00:00:00",
    "overlays": [
        {"name": "vxlan-1", "subnet": "192.168.0.0/26", "prefix": 29},
        {"name": "vxlan-2", "subnet": "192.168.1.0/24", "prefix": 28, "enabled": True},
    ],
}


def flatten(node):
    """Everything a node holds, as (kind, value) pairs."""
    held = {("vtep_ip", node["vtep_ip"]), ("vtep_mac", node["vtep_mac"])}
    if node["vtep_ip6"]:
        held.add(("vtep_ip6", node["vtep_ip6"]))
    for oname, o in node["overlays"].items():
        held.add((oname, o["subnet"]))
        if o["subnet6"]:
            held.add((oname + "/6", o["subnet6"]))
    return held


class Cluster(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.config = copy.deepcopy(BASE)
        self.state = State()
        self.listed = []  # the nodes of the next run, in order
        self.ips = {}

    def run(self, remove=(), prune=False):
        before = publish(self.state) if self.state.network else {}
        requests = [NodeRequest(n, self.ips[n]) for n in self.listed]
        try:
            result = Allocator(parse_network(self.config), self.state).allocate(
                requests, remove=remove, prune=prune)
        except AllocationError as exc:
            assert "left for" in str(exc) and "capacity" in str(exc)
            # the old state is untouched by a failed allocation
            assert (publish(self.state) if self.state.network else {}) == before
            return
        after = publish(result.state)
        released = set(result.removed)
        for name, old in before.items():
            if name in released:
                assert name not in after
                continue
            new = after[name]
            for key in ("vtep_ip", "vtep_mac", "vtep_ip6"):
                if old[key] is not None:
                    assert new[key] == old[key], (name, key)
            for oname, o in old["overlays"].items():
                if oname in new["overlays"]:
                    for key in ("subnet", "subnet6"):
                        if o[key]:
                            assert new["overlays"][oname][key] == o[key], (name, oname)
        for name in self.listed:
            if name not in set(remove):
                assert name in after
        self.state = result.state

    @rule(i=st.integers(0, len(NAMES) - 1))
    def join(self, i):
        name = NAMES[i]
        if name not in self.listed:
            self.listed.append(name)
            self.ips.setdefault(name, f"10.0.0.{i + 1}")
        self.run()

    @rule(data=st.data())
    def leave(self, data):
        if self.listed:
            self.listed.remove(data.draw(st.sampled_from(self.listed)))
            self.run()

    @rule(data=st.data())
    def release(self, data):
        if self.state.nodes:
            name = data.draw(st.sampled_from(sorted(self.state.nodes)))
            if name in self.listed:
                self.listed.remove(name)
            self.run(remove=[name])

    @rule()
    def prune(self):
        self.run(prune=True)

    @rule(data=st.data())
    def reorder(self, data):
        self.listed = data.draw(st.permutations(self.listed))
        self.run()

    @rule(i=st.integers(0, len(EXTRA_OVERLAYS) - 1))
    def grow(self, i):
        extra = EXTRA_OVERLAYS[i]
        if all(o["name"] != extra["name"] for o in self.config["overlays"]):
            self.config["overlays"].append(dict(extra))
            self.run()

    @rule()
    def add_ipv6(self):
        if "vtep_subnet6" not in self.config:
            self.config["vtep_subnet6"] = "fd00:44::/120"
            self.run()

    @rule()
    def toggle_vxlan2(self):
        overlay = self.config["overlays"][1]
        overlay["enabled"] = not overlay["enabled"]
        self.run()

    @invariant()
    def nothing_shared_and_all_in_pools(self):
        if not self.state.network:
            return
        net = parse_network(self.config)
        seen = {}
        for name, node in self.state.nodes.items():
            pub = publish(self.state, include_disabled=True)[name]
            for item in flatten(pub):
                assert item not in seen, f"{item} held by {seen.get(item)} and {name}"
                seen[item] = name
            vtep = ipaddress.ip_interface(pub["vtep_ip"])
            assert vtep.network == net.vtep_subnet
            assert vtep.ip not in (net.vtep_subnet.network_address, net.vtep_subnet.broadcast_address)
            if pub["vtep_ip6"]:
                assert ipaddress.ip_interface(pub["vtep_ip6"]).network == net.vtep_subnet6
            for oname, o in pub["overlays"].items():
                overlay = net.overlay(oname)
                block = ipaddress.ip_network(o["subnet"])
                assert block.subnet_of(overlay.subnet) and block.prefixlen == overlay.prefix
                mesos, docker = ipaddress.ip_network(o["mesos_subnet"]), ipaddress.ip_network(o["docker_subnet"])
                assert mesos.subnet_of(block) and docker.subnet_of(block) and not mesos.overlaps(docker)
                if o["subnet6"]:
                    b6 = ipaddress.ip_network(o["subnet6"])
                    assert b6.subnet_of(overlay.subnet6) and b6.prefixlen == overlay.prefix6


Cluster.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_cluster_histories = Cluster.TestCase
