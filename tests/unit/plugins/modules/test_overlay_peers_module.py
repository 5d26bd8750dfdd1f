"""mesos.overlay.overlay_peers end to end: ansible-playbook inside a namespace,
the module running under the Python (and pyroute2) that runs the tests."""

from __future__ import annotations

import os

import pytest

from netns_helpers import ANSIBLE_BIN, ip_json, netns_fixture, requires_root, run_module, snapshot

pytestmark = [
    pytest.mark.kernel, pytest.mark.playbook,
    requires_root,
    pytest.mark.skipif(not os.path.exists(os.path.join(ANSIBLE_BIN, "ansible-playbook")), reason="needs the repo venv (make venv)"),
]


def peer(n: int):
    return {
        "name": f"agent{n}",  # as the overlay_peer_list filter gives it
        "vtep_ip": f"44.128.0.{n}/20",
        "vtep_mac": f"70:b3:d5:80:00:{n:02x}",
        "agent_ip": f"172.31.0.{n}",
        "subnets": [f"9.0.{n}.0/24"],
        "vtep_ip6": f"fd00::{n:x}/64",
        "subnets6": [f"fd09:0:0:{n:x}::/64"],
    }


@pytest.fixture
def ns():
    for name in netns_fixture():
        result = run_module(name, "overlay_vtep", {"mac": "70:b3:d5:80:00:01", "address": "44.128.0.1/20", "address6": "fd00::1/64"})
        assert result["changed"], result
        yield name


def test_converge_check_diff_idempotence_and_purge(ns):
    args = {"peers": [peer(2), peer(3)], "rule_subnets": ["9.0.0.0/8"]}
    before = snapshot(ns)
    result = run_module(ns, "overlay_peers", args, check=True, diff=True)
    assert result["changed"] and result["counts"]["routes"]["added"] == 6
    assert result["diff"]["after"]["rules"] == ["from 9.0.0.0/8 lookup 42"]
    assert "70:b3:d5:80:00:03 dst 172.31.0.3" in result["diff"]["after"]["fdb"]
    # check mode returns the planned changes themselves, one per entry
    total = sum(n for kind in result["counts"].values() for n in kind.values())
    assert len(result["changes"]) == total
    assert "add neighbour 44.128.0.2 lladdr 70:b3:d5:80:00:02" in result["changes"]
    assert "add route 172.31.0.3/32 via 44.128.0.3 table 42" in result["changes"]
    assert result["changes"][-1] == "add rule from 9.0.0.0/8 lookup 42"
    assert snapshot(ns) == before

    result = run_module(ns, "overlay_peers", args)
    assert result["changed"] and result["route_proto"] == 44 and result["peers"] == 2
    assert len(ip_json(ns, "neigh", "show", "dev", "vtep1024", "nud", "permanent")) == 4

    assert not run_module(ns, "overlay_peers", args, diff=True)["changed"]

    result = run_module(ns, "overlay_peers", {"peers": [peer(2)], "rule_subnets": ["9.0.0.0/8"]}, diff=True)
    assert result["changed"] and result["counts"]["neighbours"]["removed"] == 2
    assert all(c.startswith("delete ") for c in result["changes"])
    assert {"delete route 172.31.0.3/32 table 42", "delete neighbour fd00::3"} <= set(result["changes"])
    assert "44.128.0.3 lladdr 70:b3:d5:80:00:03" in result["diff"]["before"]["neighbours"]
    assert "44.128.0.3 lladdr 70:b3:d5:80:00:03" not in result["diff"]["after"]["neighbours"]


def test_bad_peer_names_the_field_and_value(ns):
    bad = [peer(2), peer(3), peer(4), dict(peer(5), vtep_mac="zz")]
    result = run_module(ns, "overlay_peers", {"peers": bad})
    assert result["failed"] and result["msg"] == "peers[3].vtep_mac: 'zz' is not a MAC address (node agent5)"


def test_main_table_is_refused_by_the_core(ns):
    result = run_module(ns, "overlay_peers", {"peers": [peer(2)], "table": 254})
    assert result["failed"] and result["msg"].startswith("table: 254 is not a table of its own")


def test_missing_device_fails_clearly(ns):
    result = run_module(ns, "overlay_peers", {"device": "vtep9", "peers": [peer(2)]})
    assert result["failed"] and "device vtep9: No such device" in result["msg"]


def test_kernel_failures_fail_the_task_with_the_entries(ns):
    result = run_module(ns, "overlay_peers", {"peers": [peer(2), dict(peer(3), vtep_ip="44.128.15.255/20")]})
    assert result["failed"] and "route 9.0.3.0/24 via 44.128.15.255 table main: Invalid argument" in result["msg"]
    assert result["failures"]
