"""The VTEP with VXLAN-GBP (netgroups): created with gbp, recreated (never modified) when it differs."""

from __future__ import annotations

import pytest

pytest.importorskip("pyroute2")

from netns_helpers import ip, ip_json, netns_fixture, netns, requires_root, snapshot  # noqa: E402

from ansible_collections.mesos.overlay.plugins.module_utils import netlink as nl  # noqa: E402

pytestmark = [pytest.mark.kernel, requires_root]


@pytest.fixture
def ns():
    yield from netns_fixture()


def spec(**kw):
    return nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", mtu=1420, **kw)


def reconcile(ns, wanted, check=False):
    with netns(ns):
        return nl.reconcile_vtep(wanted, check=check)


def link(ns):
    (found,) = ip_json(ns, "-d", "link", "show", "dev", "vtep1024")
    return found


def test_gbp_on_and_off_recreates_once_and_then_changes_nothing(ns):
    reconcile(ns, spec())
    assert "gbp" not in link(ns)["linkinfo"]["info_data"]
    before = link(ns)["ifindex"]

    checked = reconcile(ns, spec(gbp=True), check=True)
    assert checked.changed and checked.reasons == ["group policy (gbp) is off"]
    assert link(ns)["ifindex"] == before            # check mode: nothing done

    result = reconcile(ns, spec(gbp=True))
    assert result.reasons == ["group policy (gbp) is off"]
    assert result.after["gbp"] is True
    data = link(ns)
    assert data["linkinfo"]["info_data"]["gbp"] is True and data["ifindex"] != before
    assert data["address"] == "70:b3:d5:80:00:01" and data["mtu"] == 1420 and "UP" in data["flags"]
    state = snapshot(ns)
    again = reconcile(ns, spec(gbp=True))
    assert not again.changed and snapshot(ns) == state

    off = reconcile(ns, spec())
    assert off.reasons == ["group policy (gbp) is on"]
    assert "gbp" not in link(ns)["linkinfo"]["info_data"]


def test_a_gbp_device_with_another_attribute_is_recreated_not_modified(ns):
    reconcile(ns, spec(gbp=True))
    before = link(ns)["ifindex"]
    result = reconcile(ns, nl.parse_vtep_spec(mac="70:b3:d5:80:00:01", address="44.128.0.1/20", mtu=1400, gbp=True))
    assert result.reasons == ["MTU is 1420, not 1400"]
    after = link(ns)
    assert after["ifindex"] != before and after["linkinfo"]["info_data"]["gbp"] is True and after["mtu"] == 1400


def test_gbp_must_be_a_boolean():
    with pytest.raises(nl.InputError, match="gbp: 'yes' is not a boolean"):
        spec(gbp="yes")


def test_a_device_made_by_hand_with_gbp_is_kept(ns):
    ip(ns, "link", "add", "vtep1024", "address", "70:b3:d5:80:00:01", "mtu", "1420", "type", "vxlan", "id", "1024",
       "dstport", "64000", "gbp", "noudpcsum")
    result = reconcile(ns, spec(gbp=True))
    assert result.reasons == []
