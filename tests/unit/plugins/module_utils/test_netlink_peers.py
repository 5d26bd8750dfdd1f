"""reconcile_peers against the real kernel, in a throw-away network namespace."""

from __future__ import annotations

import pytest

pytest.importorskip("pyroute2")

from netns_helpers import bridge_json, ip, ip_json, netns_fixture, netns, requires_root, sh, snapshot  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink as nl  # noqa: E402

pytestmark = [pytest.mark.kernel, requires_root]

RULES = ("9.0.0.0/8", "12.0.0.0/8")


@pytest.fixture
def ns():
    for name in netns_fixture():
        with netns(name):
            nl.reconcile_vtep(nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", address6="fd00::1/64"))
        yield name


def peer(n: int, v6: bool = False, **extra):
    raw = {
        "vtep_ip": f"44.128.0.{n}/20",
        "vtep_mac": f"70:b3:d5:80:00:{n:02x}",
        "agent_ip": f"172.31.0.{n}",
        "subnets": [f"9.0.{n}.0/24", f"12.0.{n}.0/24"],
    }
    if v6:
        raw.update(vtep_ip6=f"fd00::{n:x}/64", subnets6=[f"fd09:0:0:{n:x}::/64"])
    raw.update(extra)
    return raw


def converge(ns, peers, rules=RULES, **kw):
    with netns(ns):
        return nl.reconcile_peers("vtep1024", nl.parse_peers(peers), nl.parse_rule_subnets(rules), **kw)


def neighbours(ns, dev="vtep1024", family="-4"):
    return sorted((n["dst"], n["lladdr"]) for n in ip_json(ns, family, "neigh", "show", "dev", dev, "nud", "permanent"))


def fdb(ns, dev="vtep1024"):
    return sorted((f["mac"], f.get("dst")) for f in bridge_json(ns, "fdb", "show", "dev", dev) if "permanent" in f.get("state", ""))


def routes(ns, *selector, family="-4"):
    return sorted(
        (r["dst"], r.get("gateway"), r.get("protocol"))
        for r in ip_json(ns, family, "route", "show", *selector)
    )


def rules(ns):
    return sorted((r.get("src"), r.get("srclen"), r.get("table"), r.get("protocol")) for r in ip_json(ns, "rule", "show") if r.get("table") == "42")


def test_creates_every_entry_of_every_peer(ns):
    result = converge(ns, [peer(2), peer(3)])
    assert result.changed and not result.failures
    assert result.counts["neighbours"]["added"] == 2 and result.counts["routes"]["added"] == 6
    assert neighbours(ns) == [("44.128.0.2", "70:b3:d5:80:00:02"), ("44.128.0.3", "70:b3:d5:80:00:03")]
    assert fdb(ns) == [("70:b3:d5:80:00:02", "172.31.0.2"), ("70:b3:d5:80:00:03", "172.31.0.3")]
    assert ("9.0.2.0/24", "44.128.0.2", "44") in routes(ns, "dev", "vtep1024")
    assert ("12.0.3.0/24", "44.128.0.3", "44") in routes(ns, "dev", "vtep1024")
    assert routes(ns, "table", "42") == [("172.31.0.2", "44.128.0.2", "44"), ("172.31.0.3", "44.128.0.3", "44")]
    assert rules(ns) == [("12.0.0.0", 8, "42", "44"), ("9.0.0.0", 8, "42", "44")]


def test_second_run_changes_nothing(ns):
    converge(ns, [peer(2, v6=True), peer(3)])
    before = snapshot(ns)
    result = converge(ns, [peer(2, v6=True), peer(3)])
    assert not result.changed
    assert all(not any(c.values()) for c in result.counts.values())
    assert snapshot(ns) == before


def test_check_mode_reports_and_changes_nothing(ns):
    before = snapshot(ns)
    result = converge(ns, [peer(2), peer(3)], check=True, diff=True)
    assert result.changed and result.counts["fdb"]["added"] == 2
    assert result.after["neighbours"] == ["44.128.0.2 lladdr 70:b3:d5:80:00:02", "44.128.0.3 lladdr 70:b3:d5:80:00:03"]
    assert snapshot(ns) == before
    converge(ns, [peer(2), peer(3)])
    before = snapshot(ns)
    result = converge(ns, [peer(2)], check=True)
    assert result.changed and result.counts["neighbours"]["removed"] == 1
    assert snapshot(ns) == before


def test_purge_removes_a_peer_that_left(ns):
    converge(ns, [peer(2), peer(3), peer(4)])
    result = converge(ns, [peer(2), peer(4)])
    assert result.counts["neighbours"]["removed"] == 1 and result.counts["fdb"]["removed"] == 1
    assert result.counts["routes"]["removed"] == 3
    assert neighbours(ns) == [("44.128.0.2", "70:b3:d5:80:00:02"), ("44.128.0.4", "70:b3:d5:80:00:04")]
    assert "70:b3:d5:80:00:03" not in dict(fdb(ns))
    assert not [r for r in routes(ns, "table", "all") if "44.128.0.3" == r[1]]


def test_without_purge_a_peer_that_left_stays(ns):
    converge(ns, [peer(2), peer(3)])
    result = converge(ns, [peer(2)], purge=False)
    assert not result.changed
    assert ("44.128.0.3", "70:b3:d5:80:00:03") in neighbours(ns)


def test_purge_never_touches_other_devices_or_foreign_routes_and_rules(ns):
    # another VXLAN device with entries of the same kinds, some even with our mark
    ip(ns, "link", "add", "vtep2", "address", "70:b3:d5:80:01:01", "type", "vxlan", "id", "2", "dstport", "4790")
    ip(ns, "addr", "add", "44.129.0.1/20", "dev", "vtep2")
    ip(ns, "link", "set", "vtep2", "up")
    ip(ns, "neigh", "add", "44.129.0.7", "lladdr", "70:b3:d5:81:00:07", "dev", "vtep2", "nud", "permanent")
    sh("bridge", "-n", ns, "fdb", "add", "70:b3:d5:81:00:07", "dev", "vtep2", "dst", "172.31.1.7", "self", "permanent")
    ip(ns, "route", "add", "9.1.7.0/24", "via", "44.129.0.7", "dev", "vtep2", "proto", "44")
    ip(ns, "route", "add", "172.31.1.7/32", "via", "44.129.0.7", "dev", "vtep2", "table", "42", "proto", "44")
    # routes via our device that we did not make, and a rule of someone else
    ip(ns, "route", "add", "8.8.0.0/16", "via", "44.128.0.9", "dev", "vtep1024", "proto", "static")
    ip(ns, "route", "add", "172.31.9.9/32", "via", "44.128.0.9", "dev", "vtep1024", "table", "42", "proto", "boot")
    ip(ns, "rule", "add", "from", "10.0.0.0/8", "lookup", "42")
    # a learned (not permanent) FDB entry on our device ages out by itself
    sh("bridge", "-n", ns, "fdb", "add", "70:b3:d5:80:00:0f", "dev", "vtep1024", "dst", "172.31.0.15", "self", "dynamic")
    converge(ns, [peer(2), peer(3)])
    other = snapshot(ns)
    result = converge(ns, [], rules=[])
    assert result.changed
    assert neighbours(ns, "vtep2") == [("44.129.0.7", "70:b3:d5:81:00:07")]
    assert fdb(ns, "vtep2") == [("70:b3:d5:81:00:07", "172.31.1.7")]
    assert ("9.1.7.0/24", "44.129.0.7", "44") in routes(ns, "dev", "vtep2")
    assert routes(ns, "table", "42") == [("172.31.1.7", "44.129.0.7", "44"), ("172.31.9.9", "44.128.0.9", None)]
    assert ("8.8.0.0/16", "44.128.0.9", "static") in routes(ns, "dev", "vtep1024")
    assert rules(ns) == [("10.0.0.0", 8, "42", None)]
    assert any(f["mac"] == "70:b3:d5:80:00:0f" for f in bridge_json(ns, "fdb", "show", "dev", "vtep1024"))
    assert neighbours(ns) == [] and fdb(ns) == []
    assert other["links"] == snapshot(ns)["links"]


def test_a_foreign_rule_for_a_wanted_subnet_is_kept_and_not_doubled(ns):
    ip(ns, "rule", "add", "from", "9.0.0.0/8", "lookup", "42")
    converge(ns, [peer(2)])
    assert rules(ns) == [("12.0.0.0", 8, "42", "44"), ("9.0.0.0", 8, "42", None)]
    result = converge(ns, [peer(2)], rules=["12.0.0.0/8"])
    assert result.counts["rules"]["removed"] == 0
    result = converge(ns, [peer(2)], rules=[])
    assert result.counts["rules"]["removed"] == 1
    assert rules(ns) == [("9.0.0.0", 8, "42", None)]


def test_ipv6_neighbours_and_routes(ns):
    converge(ns, [peer(2, v6=True), peer(3, v6=True)])
    assert neighbours(ns, family="-6") == [("fd00::2", "70:b3:d5:80:00:02"), ("fd00::3", "70:b3:d5:80:00:03")]
    assert ("fd09:0:0:2::/64", "fd00::2", "44") in routes(ns, "dev", "vtep1024", family="-6")
    result = converge(ns, [peer(2, v6=True), peer(3)])
    assert result.counts["neighbours"]["removed"] == 1 and result.counts["routes"]["removed"] == 1
    assert neighbours(ns, family="-6") == [("fd00::2", "70:b3:d5:80:00:02")]


def test_a_peer_with_a_new_mac_or_underlay_ip_is_updated(ns):
    converge(ns, [peer(2), peer(3)])
    result = converge(ns, [peer(2, vtep_mac="70:b3:d5:80:00:22", agent_ip="172.31.0.22"), peer(3)])
    assert result.counts["neighbours"] == {"added": 0, "updated": 1, "removed": 0}
    assert result.counts["fdb"] == {"added": 1, "updated": 0, "removed": 1}
    assert result.counts["routes"] == {"added": 1, "updated": 0, "removed": 1}
    assert ("44.128.0.2", "70:b3:d5:80:00:22") in neighbours(ns)
    assert fdb(ns) == [("70:b3:d5:80:00:03", "172.31.0.3"), ("70:b3:d5:80:00:22", "172.31.0.22")]


def test_a_route_moved_to_another_gateway_is_replaced(ns):
    converge(ns, [peer(2), peer(3)])
    result = converge(ns, [peer(2, subnets=[]), peer(3, subnets=["9.0.2.0/24", "12.0.3.0/24", "9.0.3.0/24"])])
    assert result.counts["routes"] == {"added": 0, "updated": 1, "removed": 1}
    assert ("9.0.2.0/24", "44.128.0.3", "44") in routes(ns, "dev", "vtep1024")


def test_restores_flushed_neighbours(ns):
    converge(ns, [peer(2), peer(3)])
    ip(ns, "neigh", "flush", "dev", "vtep1024", "nud", "permanent")
    result = converge(ns, [peer(2), peer(3)])
    assert result.counts["neighbours"]["added"] == 2 and result.counts["fdb"]["added"] == 0
    assert len(neighbours(ns)) == 2


def test_kernel_failures_are_reported_and_the_rest_applied(ns):
    # 44.128.15.255 is the broadcast address of the VTEP's /20: not a gateway
    result = converge(ns, [peer(2), peer(3, vtep_ip="44.128.15.255/20")])
    assert len(result.failures) == 3
    assert result.failures[0].startswith("add route 9.0.3.0/24 via 44.128.15.255 table main: Invalid argument")
    assert ("9.0.2.0/24", "44.128.0.2", "44") in routes(ns, "dev", "vtep1024")


def test_a_missing_device_is_a_clear_error(ns):
    with netns(ns), pytest.raises(nl.NetlinkError, match=r"^device vtep9: No such device \(not found: create it first"):
        nl.reconcile_peers("vtep9", [], [])


def test_check_mode_on_a_fresh_node_reports_everything_to_add(ns):
    ip(ns, "link", "del", "vtep1024")
    before = snapshot(ns)
    with netns(ns):
        result = nl.reconcile_peers("vtep1024", nl.parse_peers([peer(2)]), nl.parse_rule_subnets(RULES), check=True)
    assert result.changed and result.counts["neighbours"]["added"] == 1 and result.counts["rules"]["added"] == 2
    assert snapshot(ns) == before


def test_many_peers_in_one_batch(ns):
    many = [
        {"vtep_ip": f"44.128.{n >> 8}.{n & 255}", "vtep_mac": f"70:b3:d5:80:{n >> 8:02x}:{n & 255:02x}",
         "agent_ip": f"172.30.{n >> 8}.{n & 255}", "subnets": [f"9.{n >> 8}.{n & 255}.0/24"]}
        for n in range(2, 1502)
    ]
    result = converge(ns, many)
    assert not result.failures and result.counts["routes"]["added"] == 3000
    assert len(neighbours(ns)) == 1500
    assert not converge(ns, many).changed
