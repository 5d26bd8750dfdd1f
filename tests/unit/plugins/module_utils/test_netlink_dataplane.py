"""The data plane works: two nodes (network namespaces joined by a veth pair,
nothing else) reconciled with reconcile_vtep + reconcile_peers reach each
other's overlay subnets through the VXLAN tunnel, in IPv4 and IPv6."""

from __future__ import annotations

import subprocess

import pytest

pytest.importorskip("pyroute2")

from netns_helpers import ip, netns_fixture, netns, requires_root  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink as nl  # noqa: E402

pytestmark = [pytest.mark.kernel, requires_root]

NODES = {
    1: {"agent_ip": "172.31.0.1", "vtep": "44.128.0.1", "mac": "70:b3:d5:80:00:01", "subnet": "9.0.1", "v6": "fd09:0:0:1"},
    2: {"agent_ip": "172.31.0.2", "vtep": "44.128.0.2", "mac": "70:b3:d5:80:00:02", "subnet": "9.0.2", "v6": "fd09:0:0:2"},
}


@pytest.fixture
def nodes():
    gen_a, gen_b = netns_fixture(), netns_fixture()
    a, b = next(gen_a, None), next(gen_b, None)
    try:
        ip(a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", b)
        for n, ns in ((1, a), (2, b)):
            ip(ns, "addr", "add", f"{NODES[n]['agent_ip']}/24", "dev", "eth0")
            ip(ns, "link", "set", "eth0", "up")
            # a bridge with the node's first overlay address, as m-<overlay> would have
            ip(ns, "link", "add", "m-dcos", "type", "bridge")
            ip(ns, "addr", "add", f"{NODES[n]['subnet']}.1/25", "dev", "m-dcos")
            ip(ns, "-6", "addr", "add", f"{NODES[n]['v6']}::1/64", "dev", "m-dcos", "nodad")
            ip(ns, "link", "set", "m-dcos", "up")
        yield {1: a, 2: b}
    finally:
        for gen in (gen_a, gen_b):
            gen.close()


def converge(ns: str, me: int) -> None:
    node = NODES[me]
    with netns(ns):
        nl.reconcile_vtep(
            nl.parse_vtep_spec(mac=node["mac"], address=f"{node['vtep']}/20", address6=f"fd00::{me}/64", mtu=1420)
        )
        peers = [
            {
                "vtep_ip": f"{p['vtep']}/20",
                "vtep_mac": p["mac"],
                "agent_ip": p["agent_ip"],
                "subnets": [f"{p['subnet']}.0/24"],
                "vtep_ip6": f"fd00::{n}/64",
                "subnets6": [f"{p['v6']}::/64"],
            }
            for n, p in NODES.items()
            if n != me
        ]
        result = nl.reconcile_peers("vtep1024", nl.parse_peers(peers), nl.parse_rule_subnets(["9.0.0.0/8"]))
        assert not result.failures


def ping(ns: str, src: str, dst: str) -> bool:
    proc = subprocess.run(
        ["ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "2", "-I", src, dst], capture_output=True, text=True,
        check=False,
    )
    return proc.returncode == 0


def test_overlay_subnets_reach_each_other_through_the_tunnel(nodes):
    assert not ping(nodes[1], "9.0.1.1", "9.0.2.1")
    converge(nodes[1], 1)
    converge(nodes[2], 2)
    assert ping(nodes[1], "9.0.1.1", "9.0.2.1")
    assert ping(nodes[2], "9.0.2.1", "9.0.1.1")
    assert ping(nodes[1], "fd09:0:0:1::1", "fd09:0:0:2::1")
    # table 42: overlay traffic to the peer's underlay address goes through the tunnel too
    assert ping(nodes[1], "9.0.1.1", "172.31.0.2")


def test_the_peer_that_left_is_unreachable_after_purge(nodes):
    converge(nodes[1], 1)
    converge(nodes[2], 2)
    assert ping(nodes[1], "9.0.1.1", "9.0.2.1")
    with netns(nodes[1]):
        nl.reconcile_peers("vtep1024", [], nl.parse_rule_subnets(["9.0.0.0/8"]))
    assert not ping(nodes[1], "9.0.1.1", "9.0.2.1")
