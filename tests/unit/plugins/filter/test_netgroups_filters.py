"""Filters of netgroup isolation, and the overlay_netgroups module in a namespace (check mode, diff, rerun)."""

import pytest

from ansible_collections.mesos.overlay.plugins.filter.netgroups import (
    netgroup_networks,
    netgroup_policy,
    netgroup_sets,
    overlay_netgroup_policy,
)
from ansible_collections.mesos.overlay.plugins.filter.overlay import peer_list
from ansible_collections.mesos.overlay.plugins.module_utils.allocator import Allocator, NodeRequest, publish
from ansible_collections.mesos.overlay.plugins.module_utils.config import parse_network
from ansible.errors import AnsibleFilterError

from netns_helpers import netns_fixture, requires_root, run_module, sh

NETWORK = {
    "vtep_subnet": "44.128.0.0/20", "vtep_mac_oui": "70:B3:D5:00:00:00",
    "netgroups": ["blue", "red"],
    "overlays": [{"name": "ov1", "subnet": "10.210.0.0/17", "prefix": 24},
                 {"name": "ov2", "subnet": "10.220.0.0/17", "prefix": 24, "isolated": True}],
}


def allocations():
    net = parse_network(NETWORK)
    state = Allocator(net).allocate([NodeRequest("m1", "172.31.0.2", "master"),
                                     NodeRequest("a1", "172.31.0.11"), NodeRequest("a2", "172.31.0.12")]).state
    return publish(state), net.to_dict(), state.netgroups


def test_policy_of_an_agent():
    allocs, network, ids = allocations()
    assert netgroup_policy(allocs, "a1", network, ids) == {
        "netgroups": {"blue": 1, "red": 2},
        "docker_blocks": {"blue": ["10.210.3.0/24", "10.220.3.0/24"], "red": ["10.210.4.0/24", "10.220.4.0/24"]},
        "isolated": ["10.220.0.0/17"],
        "nodes": ["172.31.0.2", "44.128.0.1", "172.31.0.11", "44.128.0.2", "172.31.0.12", "44.128.0.3"],
    }
    assert netgroup_policy(allocs, "m1", network, ids)["docker_blocks"] == {"blue": [], "red": []}
    with pytest.raises(AnsibleFilterError, match="overlay_netgroup_policy: allocations: no allocation for 'x'"):
        overlay_netgroup_policy(allocs, "x", network, ids)


def test_docker_networks_of_netgroups_and_routes_to_them():
    allocs, _network, ids = allocations()
    nets = netgroup_networks(allocs["a2"], 1400)
    assert [n["name"] for n in nets] == ["ov1.blue", "ov1.red", "ov2.blue", "ov2.red"]
    first = nets[0]
    assert first["ipam_config"] == [{"subnet": "10.210.5.0/24"}]
    assert first["labels"] == {"mesos.overlay.overlay": "ov1", "mesos.overlay.netgroup": "blue"}
    assert first["driver_options"]["com.docker.network.driver.mtu"] == "1400"
    bridges = {n["driver_options"]["com.docker.network.bridge.name"] for n in nets}
    assert len(bridges) == 4 and all(len(b) <= 15 for b in bridges)
    assert netgroup_sets(ids) == {"blue": "mo-ng-blue", "red": "mo-ng-red"}
    # peers route a node's docker blocks of netgroups to its VTEP like its own blocks
    a2 = [p for p in peer_list(allocs, "a1") if p["name"] == "a2"][0]
    assert a2["subnets"] == ["10.210.2.0/24", "10.220.2.0/24", "10.210.5.0/24", "10.210.6.0/24",
                             "10.220.5.0/24", "10.220.6.0/24"]


@pytest.fixture
def ns():
    yield from netns_fixture()


@pytest.mark.kernel
@pytest.mark.playbook
@requires_root
def test_module_check_mode_diff_rerun_and_absent(ns):
    allocs, network, ids = allocations()
    args = netgroup_policy(allocs, "a1", network, ids)
    checked = run_module(ns, "overlay_netgroups", args, check=True, diff=True)
    assert checked["changed"] and not checked.get("failed")
    assert "-t filter -N MESOS-OVERLAY-NG" in checked["diff"]["after"]
    assert sh("ip", "netns", "exec", ns, "ipset", "list", "-n") == ""
    done = run_module(ns, "overlay_netgroups", args)
    assert done["changed"], done
    assert not run_module(ns, "overlay_netgroups", args)["changed"]
    bad = run_module(ns, "overlay_netgroups", dict(args, netgroups={"blue": 3}))
    assert bad["failed"] and "netgroups.blue: 3 is not a policy ID" in bad["msg"]
    assert run_module(ns, "overlay_netgroups", {"state": "absent"})["changed"]
    assert not run_module(ns, "overlay_netgroups", {"state": "absent"})["changed"]
    assert sh("ip", "netns", "exec", ns, "ipset", "list", "-n") == ""


def test_nat_treats_the_netgroup_bridges_as_overlay_bridges():
    from ansible_collections.mesos.overlay.plugins.module_utils.nat import NatError, chain_rules, make_spec
    spec = make_spec([{"name": "ov1", "subnet": "10.210.0.0/17"}], extra_bridges=["ngd-1a2b3c4d"])
    rules = chain_rules(spec)
    assert ("-i", "ngd-1a2b3c4d", "-m", "comment", "--comment", "mesos-overlay", "-g", "MESOS-OVERLAY-IN") in rules["MESOS-OVERLAY"]
    assert ("-o", "ngd-1a2b3c4d", "-m", "comment", "--comment", "mesos-overlay", "-j", "ACCEPT") in rules["MESOS-OVERLAY-IN"]
    with pytest.raises(NatError, match=r"extra_bridges\[0\]: 'bad name' is not an interface name"):
        make_spec([], extra_bridges=["bad name"])


def test_cni_config_chains_the_netgroups_plugin_and_keeps_the_bridge_part():
    from ansible_collections.mesos.overlay.plugins.filter.cni import cni_config
    alloc = {"mesos_subnet": "10.210.1.0/25"}
    sets = {"blue": "mo-ng-blue"}
    plain_pm, plain_br = cni_config(alloc, "ov1"), cni_config(alloc, "ov1", plugin="bridge")
    pm = cni_config(alloc, "ov1", netgroups=sets)
    assert pm["type"] == "mesos-cni-port-mapper" and pm["chain"] == "M-OV1"
    assert pm["delegate"] == {"type": "mesos-overlay-netgroups", "netgroups": sets, "delegate": plain_pm["delegate"]}
    br = cni_config(alloc, "ov1", plugin="bridge", netgroups=sets)
    assert br == {"cniVersion": "0.2.0", "name": "ov1", "type": "mesos-overlay-netgroups", "netgroups": sets,
                  "delegate": plain_br}
    assert cni_config(alloc, "ov1", netgroups={}) == plain_pm


def test_netgroup_state_names_every_failure():
    from ansible_collections.mesos.overlay.plugins.filter.netgroups import netgroup_state
    assert netgroup_state({"rules": {"changed": True}, "plugin": None, "docker": {"skipped": True}}) == {
        "status": "STATUS_OK"}
    out = netgroup_state({"rules": {"failed": True, "msg": "ipset: boom"},
                          "docker": {"results": [{"item": {"name": "ov1.blue"}, "failed": True, "msg": "no"},
                                                 {"item": {"name": "ov1.red"}}]}},
                         foreign=["ov1.red"])
    assert out["status"] == "STATUS_FAILED"
    assert out["error"] == ("docker ov1.blue: no; rules: ipset: boom; docker: docker network 'ov1.red' exists"
                            " and was not made by mesos.overlay; left alone (remove or rename it, then re-run)")
