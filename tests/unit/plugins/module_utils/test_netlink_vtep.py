"""reconcile_vtep against the real kernel, in a throw-away network namespace."""

from __future__ import annotations

import pytest

pytest.importorskip("pyroute2")

from netns_helpers import ip, ip_json, netns_fixture, netns, requires_root, snapshot  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink as nl  # noqa: E402

pytestmark = [pytest.mark.kernel, requires_root]

MAC = "70:b3:d5:80:00:01"


@pytest.fixture
def ns():
    yield from netns_fixture()


def spec(**kw):
    args = dict(mac=MAC, address="44.128.0.1/20")
    args.update(kw)
    return nl.parse_vtep_spec(**args)


def reconcile(ns, wanted, check=False, name="vtep1024"):
    with netns(ns):
        return nl.reconcile_vtep(wanted, name=name, check=check)


def details(ns, name="vtep1024"):
    (link,) = ip_json(ns, "-d", "link", "show", "dev", name)
    return link


def ifindex(ns, name="vtep1024"):
    return details(ns, name)["ifindex"]


def test_creates_the_device_as_dcos_net_did(ns):
    result = reconcile(ns, spec(mtu=1420))
    assert result.changed and result.before == {"state": "absent"}
    link = details(ns)
    data = link["linkinfo"]["info_data"]
    assert link["linkinfo"]["info_kind"] == "vxlan"
    assert data["id"] == 1024 and data["port"] == 64000
    assert data["learning"] is True and data["udp_csum"] is False and data.get("proxy", False) is False
    assert link["address"] == MAC and link["mtu"] == 1420 and "UP" in link["flags"]
    addrs = [(a["local"], a["prefixlen"]) for a in ip_json(ns, "addr", "show", "dev", "vtep1024")[0]["addr_info"]]
    assert ("44.128.0.1", 20) in addrs
    assert result.after["addresses"] == ["44.128.0.1/20"]


def test_second_run_changes_nothing(ns):
    reconcile(ns, spec(address6="fd00::1/64", mtu=1420))
    before = snapshot(ns)
    result = reconcile(ns, spec(address6="fd00::1/64", mtu=1420))
    assert not result.changed and result.before == result.after
    assert snapshot(ns) == before


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"vni": 42}, "VNI is 1024, not 42"),
        ({"port": 4789}, "port is 64000, not 4789"),
        ({"mac": "70:b3:d5:80:00:09"}, "MAC is 70:b3:d5:80:00:01, not 70:b3:d5:80:00:09"),
        ({"mtu": 1400}, "MTU is 1420, not 1400"),
    ],
)
def test_each_immutable_attribute_change_recreates(ns, change, reason):
    reconcile(ns, spec(mtu=1420))
    old = ifindex(ns)
    result = reconcile(ns, spec(**{"mtu": 1420, **change}))
    assert result.changed and reason in result.reasons
    assert ifindex(ns) != old
    link = details(ns)
    assert link["linkinfo"]["info_data"]["id"] == change.get("vni", 1024)
    assert link["linkinfo"]["info_data"]["port"] == change.get("port", 64000)
    assert link["address"] == change.get("mac", MAC)
    assert not reconcile(ns, spec(**{"mtu": 1420, **change})).changed


def test_a_device_of_another_kind_or_with_learning_off_is_recreated(ns):
    ip(ns, "link", "add", "vtep1024", "type", "bridge")
    result = reconcile(ns, spec())
    assert "kind is 'bridge', not 'vxlan'" in result.reasons
    assert details(ns)["linkinfo"]["info_kind"] == "vxlan"
    ip(ns, "link", "del", "vtep1024")
    ip(ns, "link", "add", "vtep1024", "address", MAC, "type", "vxlan", "id", "1024", "dstport", "64000", "nolearning")
    result = reconcile(ns, spec())
    assert result.reasons == ["learning is off"]


def test_addresses_and_up_are_changed_in_place(ns):
    reconcile(ns, spec(address6="fd00::1/64"))
    old = ifindex(ns)
    ip(ns, "link", "set", "vtep1024", "down")
    ip(ns, "addr", "add", "44.128.9.9/20", "dev", "vtep1024")
    result = reconcile(ns, spec(address="44.128.0.2/20"))
    assert result.changed and not result.reasons and ifindex(ns) == old
    info = ip_json(ns, "addr", "show", "dev", "vtep1024")[0]
    globals_ = sorted((a["local"], a["prefixlen"]) for a in info["addr_info"] if a.get("scope") == "global")
    assert globals_ == [("44.128.0.2", 20)]
    assert "UP" in info["flags"]


def test_ipv6_address_and_disabled_ipv6(ns):
    reconcile(ns, spec())
    with netns(ns):
        with open("/proc/sys/net/ipv6/conf/vtep1024/disable_ipv6", "w", encoding="ascii") as fh:
            fh.write("1\n")
    result = reconcile(ns, spec(address6="fd00::1/64"))
    assert result.changed and result.after["addresses6"] == ["fd00::1/64"]
    with netns(ns):
        with open("/proc/sys/net/ipv6/conf/vtep1024/disable_ipv6", encoding="ascii") as fh:
            assert fh.read().strip() == "0"
    assert not reconcile(ns, spec(address6="fd00::1/64")).changed
    # dropping address6 removes it again
    result = reconcile(ns, spec())
    assert result.changed and result.after["addresses6"] == []


def test_check_mode_changes_nothing(ns):
    before = snapshot(ns)
    result = reconcile(ns, spec(), check=True)
    assert result.changed and result.after["state"] == "present"
    assert snapshot(ns) == before
    reconcile(ns, spec(mtu=1420))
    before = snapshot(ns)
    result = reconcile(ns, spec(vni=7, mtu=1420), check=True)
    assert result.changed and result.reasons == ["VNI is 1024, not 7"]
    assert snapshot(ns) == before


def test_absent_removes_the_device_and_is_idempotent(ns):
    reconcile(ns, spec())
    ip(ns, "link", "add", "other0", "type", "bridge")
    result = reconcile(ns, None, check=True)
    assert result.changed and ip_json(ns, "link", "show", "dev", "vtep1024")
    result = reconcile(ns, None)
    assert result.changed and result.after == {"state": "absent"}
    names = [l["ifname"] for l in ip_json(ns, "link", "show")]
    assert "vtep1024" not in names and "other0" in names
    assert not reconcile(ns, None).changed


def test_other_name(ns):
    result = reconcile(ns, spec(name="vtep42", vni=42), name="vtep42")
    assert result.changed and details(ns, "vtep42")["linkinfo"]["info_data"]["id"] == 42
