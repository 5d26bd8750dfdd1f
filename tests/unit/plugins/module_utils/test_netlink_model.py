"""The pure parts of the netlink reconcilers: input checks, the difference,
and the messages (byte for byte what pyroute2's classes encode)."""

from __future__ import annotations

import socket

import pytest

pyroute2 = pytest.importorskip("pyroute2")

from pyroute2.netlink.rtnl.fibmsg import fibmsg  # noqa: E402
from pyroute2.netlink.rtnl.ndmsg import ndmsg  # noqa: E402
from pyroute2.netlink.rtnl.rtmsg import rtmsg  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink as nl  # noqa: E402


def v4(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET, text)


def v6(text: str) -> bytes:
    return socket.inet_pton(socket.AF_INET6, text)


MAC2 = bytes.fromhex("70b3d5800002")


def peer(n: int, **extra):
    raw = {
        "vtep_ip": f"44.128.0.{n}/20",
        "vtep_mac": f"70:b3:d5:80:00:{n:02x}",
        "agent_ip": f"10.0.0.{n}",
        "subnets": [f"9.0.{n}.0/24"],
    }
    raw.update(extra)
    return raw


def pyroute2_body(msg) -> bytes:
    msg["header"]["type"] = 0
    msg.encode()
    return bytes(msg.data)[16:]


# --- messages -----------------------------------------------------------------


def test_neighbour_message_matches_pyroute2():
    ref = ndmsg()
    ref["family"] = socket.AF_INET
    ref["ifindex"] = 7
    ref["state"] = nl.NUD_PERMANENT
    ref["attrs"] = [("NDA_DST", "44.128.0.2"), ("NDA_LLADDR", "70:b3:d5:80:00:02")]
    assert nl.neigh_body(7, v4("44.128.0.2"), MAC2) == pyroute2_body(ref)


def test_fdb_message_matches_pyroute2_and_carries_ntf_self():
    ref = ndmsg()
    ref["family"] = nl.AF_BRIDGE
    ref["ifindex"] = 7
    ref["state"] = nl.NUD_PERMANENT | nl.NUD_NOARP
    ref["flags"] = 2  # NTF_SELF: a VXLAN device refuses FDB requests without it
    ref["attrs"] = [("NDA_LLADDR", "70:b3:d5:80:00:02"), ("NDA_DST", "10.0.0.2")]
    assert nl.fdb_body(7, MAC2, v4("10.0.0.2")) == pyroute2_body(ref)


@pytest.mark.parametrize(
    "table,dst,plen,gw",
    [(254, "9.0.2.0", 24, "44.128.0.2"), (42, "10.0.0.2", 32, "44.128.0.2"), (254, "fd01:2::", 64, "fd00::2")],
)
def test_route_message_matches_pyroute2(table, dst, plen, gw):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    pack = v6 if family == socket.AF_INET6 else v4
    ref = rtmsg()
    for key, value in (
        ("family", family), ("dst_len", plen), ("table", table), ("proto", nl.ROUTE_PROTO),
        ("scope", 0), ("type", 1), ("flags", nl.RTNH_F_ONLINK),
    ):
        ref[key] = value
    ref["attrs"] = [("RTA_TABLE", table), ("RTA_DST", dst), ("RTA_GATEWAY", gw), ("RTA_OIF", 7)]
    assert nl.route_body(7, (table, pack(dst), plen), pack(gw), nl.ROUTE_PROTO) == pyroute2_body(ref)


def test_rule_message_matches_pyroute2():
    ref = fibmsg()
    for key, value in (("family", socket.AF_INET), ("src_len", 8), ("table", 42), ("action", 1)):
        ref[key] = value
    ref["attrs"] = [("FRA_SRC", "9.0.0.0"), ("FRA_TABLE", 42), ("FRA_PROTOCOL", nl.ROUTE_PROTO)]
    assert nl.rule_body((v4("9.0.0.0"), 8), 42, nl.ROUTE_PROTO) == pyroute2_body(ref)


# --- input ----------------------------------------------------------------------


def test_peer_accepts_vtep_ip_with_and_without_prefix():
    a, b = nl.parse_peers([peer(2), peer(3, vtep_ip="44.128.0.3")])
    assert a.vtep_ip == v4("44.128.0.2") and b.vtep_ip == v4("44.128.0.3")
    assert a.subnets == ((v4("9.0.2.0"), 24),)


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"vtep_mac": "zz"}, "peers[0].vtep_mac: 'zz' is not a MAC address"),
        ({"vtep_mac": "01:00:5e:00:00:01"}, "peers[0].vtep_mac: '01:00:5e:00:00:01' is a multicast MAC address"),
        ({"vtep_ip": "44.128.0.300"}, "peers[0].vtep_ip: '44.128.0.300' is not an IPv4 address"),
        ({"agent_ip": "10.0.0.2/24"}, "peers[0].agent_ip: '10.0.0.2/24' is not an IPv4 address (no /prefix here)"),
        ({"subnets": ["9.0.2.1/24"]}, "peers[0].subnets[0]: '9.0.2.1/24' has host bits set (the subnet is 9.0.2.0/24)"),
        ({"subnets": ["9.0.2.0"]}, "peers[0].subnets[0]: '9.0.2.0' is not an IPv4 subnet in CIDR notation"),
        ({"vtep_ip6": "fd00::zz"}, "peers[0].vtep_ip6: 'fd00::zz' is not an IPv6 address"),
        ({"subnets6": ["fd01::/64"]}, "peers[0].subnets6: ['fd01::/64'] given but vtep_ip6 is not"),
        ({"colour": "red"}, "peers[0]: unknown key(s) colour"),
        ({"agent_ip": None}, "peers[0].agent_ip: missing"),
    ],
)
def test_bad_peer_is_named_with_its_value(bad, message):
    with pytest.raises(nl.InputError) as err:
        nl.parse_peers([peer(2, **bad)])
    assert str(err.value).startswith(message)


def test_bad_peer_names_its_node_when_the_filter_gave_a_name():
    with pytest.raises(nl.InputError, match=r"^peers\[0\]\.agent_ip: 'x' is not an IPv4 address \(node agent7\)$"):
        nl.parse_peers([peer(2, agent_ip="x", name="agent7")])
    assert nl.parse_peers([peer(2, name="agent2")])[0].vtep_mac == MAC2


def test_bad_peer_index_is_its_place_in_the_list():
    with pytest.raises(nl.InputError, match=r"^peers\[3\]\.vtep_mac: 'zz' is not a MAC address"):
        nl.parse_peers([peer(2), peer(3), peer(4), peer(5, vtep_mac="zz")])


@pytest.mark.parametrize("key", ["vtep_ip", "vtep_mac", "agent_ip", "subnets"])
def test_two_peers_claiming_one_entry_is_an_error(key):
    second = peer(3, **{key: peer(2)[key]})
    with pytest.raises(nl.InputError, match=rf"^peers\[1\]\.{key}: .* is also peers\[0\]\.{key}"):
        nl.parse_peers([peer(2), second])


def test_vtep_spec_errors_name_the_option():
    with pytest.raises(nl.InputError, match=r"^mac: 'nope' is not a MAC address"):
        nl.parse_vtep_spec(mac="nope", address="44.128.0.1/20")
    with pytest.raises(nl.InputError, match=r"^vni: 16777216 is not a VXLAN network identifier"):
        nl.parse_vtep_spec(vni=1 << 24, mac="70:b3:d5:80:00:01", address="44.128.0.1/20")
    with pytest.raises(nl.InputError, match=r"^mtu: 500 is not an MTU"):
        nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", mtu=500)
    with pytest.raises(nl.InputError, match=r"^name: 'a/b' is not a network device name"):
        nl.parse_vtep_spec(name="a/b", mac="70:b3:d5:80:00:01", address="44.128.0.1/20")
    with pytest.raises(nl.InputError, match=r"^address6: '44.128.0.1/20' is not an IPv6 address"):
        nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", address6="44.128.0.1/20")


# --- the difference ---------------------------------------------------------------


def tables(peers, rules=("9.0.0.0/8",)):
    return nl.want_tables(nl.parse_peers(peers), nl.parse_rule_subnets(list(rules)), 42)


def test_want_tables_hold_every_entry_of_a_peer():
    want = tables([peer(2, vtep_ip6="fd00::2/64", subnets6=["fd01:2::/64"])])
    assert want.neigh == {v4("44.128.0.2"): MAC2, v6("fd00::2"): MAC2}
    assert want.fdb == {(MAC2, v4("10.0.0.2"))}
    assert want.routes == {
        (254, v4("9.0.2.0"), 24): v4("44.128.0.2"),
        (42, v4("10.0.0.2"), 32): v4("44.128.0.2"),
        (254, v6("fd01:2::"), 64): v6("fd00::2"),
    }
    assert list(want.rules) == [(v4("9.0.0.0"), 8)]


def test_plan_of_equal_tables_is_empty():
    assert nl.plan_peers(tables([peer(2)]), tables([peer(2)]), purge=True).empty


def test_plan_adds_updates_and_purges():
    have = tables([peer(2), peer(3)])
    want = tables([peer(2, vtep_mac="70:b3:d5:80:00:22"), peer(4)])
    plan = nl.plan_peers(want, have, purge=True)
    counts = plan.counts()
    assert counts["neighbours"] == {"added": 1, "updated": 1, "removed": 1}
    assert counts["fdb"] == {"added": 2, "updated": 0, "removed": 2}
    assert counts["routes"] == {"added": 2, "updated": 0, "removed": 2}
    after = nl.apply_plan_to(have, plan)
    assert nl.describe_tables(after, 42) == nl.describe_tables(want, 42)


def test_plan_without_purge_only_adds():
    plan = nl.plan_peers(tables([peer(4)], rules=()), tables([peer(2), peer(3)]), purge=False)
    assert not (plan.neigh_del or plan.fdb_del or plan.route_del or plan.rule_del)
    assert plan.neigh_add and plan.fdb_add and plan.route_add


def test_foreign_rule_counts_as_present_and_is_never_deleted():
    have = nl.PeerTables(rules={(v4("9.0.0.0"), 8): [(32765, False)], (v4("10.0.0.0"), 8): [(32764, False)]})
    plan = nl.plan_peers(tables([], rules=("9.0.0.0/8",)), have, purge=True)
    assert plan.rule_add == [] and plan.rule_del == []


def test_our_rule_no_longer_wanted_is_deleted_by_priority():
    have = nl.PeerTables(rules={(v4("10.0.0.0"), 8): [(32764, True)]})
    plan = nl.plan_peers(tables([], rules=()), have, purge=True)
    assert plan.rule_del == [((v4("10.0.0.0"), 8), 32764)]


def test_planned_changes_are_readable_removals_first_and_capped():
    have = tables([peer(2), peer(3)])
    want = tables([peer(2, vtep_mac="70:b3:d5:80:00:22"), peer(4)])
    plan = nl.plan_peers(want, have, purge=True)
    changes = nl.plan_changes(plan, 42)
    deletes = [c for c in changes if c.startswith("delete ")]
    assert changes[: len(deletes)] == deletes and "delete route 10.0.0.3/32 table 42" in deletes
    assert "change neighbour 44.128.0.2 lladdr 70:b3:d5:80:00:22" in changes
    assert "add fdb 70:b3:d5:80:00:04 dst 10.0.0.4" in changes
    assert "add route 9.0.4.0/24 via 44.128.0.4 table main" in changes
    total = sum(n for kind in plan.counts().values() for n in kind.values())
    assert len(changes) == total
    assert nl.plan_changes(plan, 42, limit=3)[3:] == [f"... and {total - 3} more"]
    big = nl.plan_peers(tables([peer(n) for n in range(2, 200)]), nl.PeerTables(), purge=True)
    assert len(nl.plan_changes(big, 42)) == nl.CHANGES_SHOWN + 1


@pytest.mark.parametrize("table", [0, 253, 254, 255, 2**32, -1, True, "42"])
def test_table_must_be_one_of_our_own(table):
    with pytest.raises(nl.InputError, match=r"^table: .* is not a table of its own"):
        nl.parse_table("table", table)


def test_readable_lists():
    text = nl.describe_tables(tables([peer(2)]), 42)
    assert text == {
        "neighbours": ["44.128.0.2 lladdr 70:b3:d5:80:00:02"],
        "fdb": ["70:b3:d5:80:00:02 dst 10.0.0.2"],
        "routes": ["10.0.0.2/32 via 44.128.0.2 table 42", "9.0.2.0/24 via 44.128.0.2 table main"],
        "rules": ["from 9.0.0.0/8 lookup 42"],
    }


def test_vtep_plan_recreates_for_each_immutable_attribute():
    spec = nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", mtu=1420)
    good = nl.VtepState(1, "vtep1024", "vxlan", 1024, 64000, bytes.fromhex("70b3d5800001"), 1420, True, True,
                        [(v4("44.128.0.1"), 20)])
    assert nl.plan_vtep(spec, good).empty
    for change, reason in (
        ({"vni": 42}, "VNI is 42, not 1024"),
        ({"port": 4789}, "port is 4789, not 64000"),
        ({"mac": bytes.fromhex("70b3d5800009")}, "MAC is 70:b3:d5:80:00:09, not 70:b3:d5:80:00:01"),
        ({"mtu": 1500}, "MTU is 1500, not 1420"),
        ({"kind": "dummy"}, "kind is 'dummy', not 'vxlan'"),
        ({"learning": False}, "learning is off"),
    ):
        state = nl.VtepState(**{**good.__dict__, **change})
        plan = nl.plan_vtep(spec, state)
        assert plan.delete and plan.create and reason in plan.reasons


def test_vtep_plan_changes_addresses_in_place():
    spec = nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.5/20")
    state = nl.VtepState(1, "vtep1024", "vxlan", 1024, 64000, bytes.fromhex("70b3d5800001"), 1450, False, True,
                         [(v4("44.128.0.1"), 20)])
    plan = nl.plan_vtep(spec, state)
    assert not plan.delete and plan.set_up
    assert plan.addr_add == [(v4("44.128.0.5"), 20)] and plan.addr_del == [(v4("44.128.0.1"), 20)]


@pytest.mark.parametrize("value", ["vtep1024\n", "vtep\x01", "vtep\x7f", "a/b", "a b", "x" * 16, ""])
def test_interface_names_are_checked_whole(value):
    with pytest.raises(nl.InputError, match=r"^name: "):
        nl.parse_ifname("name", value)


def test_mac_addresses_are_checked_whole():
    with pytest.raises(nl.InputError, match=r"^mac: "):
        nl.parse_mac("mac", "70:b3:d5:80:00:01\nx")
