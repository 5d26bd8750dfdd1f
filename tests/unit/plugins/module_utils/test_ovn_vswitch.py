"""The chassis settings against a real Open_vSwitch ovsdb-server (no vswitchd needed for rows)."""

from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.ovn import nbdb, vswitch

from ovn_servers import start_chassis

pytestmark = [pytest.mark.ovn, pytest.mark.kernel]


@pytest.fixture
def ovs(tmp_path):
    """ovsdb-server and ovs-vswitchd (userspace datapath) in a network namespace:
    ovsdbapp waits for vswitchd to apply each transaction, as ovs-vsctl does."""
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    ch = start_chassis(str(tmp_path), "i12-ovn-vswitch", "agent1", "", controller=False)
    ch.vsctl("set", "Open_vSwitch", ".", "external_ids:theirs=keep")
    yield ch.ovs
    ch.stop()


WANT_IDS = {"system-id": "agent1", "ovn-encap-type": "geneve", "ovn-encap-ip": "172.31.220.21"}
NODE_PORT = {"name": "ovn-mesos", "type": "internal", "mac": "0a:58:0a:de:03:02",
             "mtu_request": 1400, "external_ids": {"iface-id": "agent1_agent"}}
BRIDGES = (
    {"name": "br-phy", "datapath_type": "netdev", "other_config": {"hwaddr": "02:42:ac:1f:dc:15"}, "ports": ["eth0"]},
    {"name": "br-int", "datapath_type": "netdev", "ports": [NODE_PORT]},
)


def converge(remote, check=False):
    api = nbdb.connect(remote, "Open_vSwitch")
    try:
        changes = vswitch.plan(api, dict(WANT_IDS), vswitch.parse_bridges(list(BRIDGES)))
        if not check:
            vswitch.apply(api, changes)
        return [c["what"] for c in changes]
    finally:
        nbdb.close(api)


def vsctl(remote, *args):
    return subprocess.run(["ovs-vsctl", "--db=" + remote, *args], check=True, capture_output=True, text=True).stdout.strip()


def test_settings_bridges_and_ports_then_a_rerun_changes_nothing(ovs):
    assert converge(ovs, check=True) == ["Open_vSwitch", "Bridge br-phy", "Port eth0", "Bridge br-int", "Port ovn-mesos"]
    assert vsctl(ovs, "list-br") == ""  # check mode wrote nothing
    converge(ovs)
    assert vsctl(ovs, "get", "Open_vSwitch", ".", "external_ids:theirs") == "keep"
    assert vsctl(ovs, "get", "Open_vSwitch", ".", "external_ids:ovn-encap-ip") == '"172.31.220.21"'
    assert vsctl(ovs, "get", "Bridge", "br-phy", "datapath_type") == "netdev"
    assert vsctl(ovs, "get", "Interface", "ovn-mesos", "external_ids:iface-id") == "agent1_agent"
    assert vsctl(ovs, "get", "Interface", "ovn-mesos", "mtu_request") == "1400"
    assert converge(ovs) == []


def test_drift_is_repaired(ovs):
    converge(ovs)
    vsctl(ovs, "--no-wait", "set", "Interface", "ovn-mesos", "external_ids:iface-id=wrong", "mtu_request=1500")
    assert converge(ovs) == ["Port ovn-mesos"]
    assert vsctl(ovs, "get", "Interface", "ovn-mesos", "external_ids:iface-id") == "agent1_agent"


def test_a_port_without_a_name_is_refused():
    with pytest.raises(OverlayError, match=r"bridges\[0\].ports\[0\]: needs a name"):
        vswitch.parse_bridges([{"name": "br-int", "ports": [{"type": "internal"}]}])
