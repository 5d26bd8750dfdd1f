"""Tenant gateways keep their join addresses: the choice (pure), what is read
from the Northbound, and ovn_topology's run against a real NB ovsdb-server."""

from __future__ import annotations

import ipaddress
import re
from types import SimpleNamespace

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.ovn import model, runs, tenants

from ovn_servers import start

JOIN = ipaddress.IPv4Network("100.64.1.0/24")
MARKS = {model.OWNER_KEY: model.OWNER, model.KIND_KEY: model.KIND_TOPOLOGY}


# ---------------------------------------------------------------- the choice


def test_a_held_address_is_kept_and_a_new_gateway_takes_the_lowest_free():
    held = {"GR_coke_agent1": "100.64.1.3/24"}
    assert tenants.join_indices(JOIN, ["GR_coke_agent1"], held) == {"GR_coke_agent1": 3}
    # the new gateway comes first in the list and still does not take .3
    assert tenants.join_indices(JOIN, ["GR_coke_agent2", "GR_coke_agent1"], held) == {
        "GR_coke_agent2": 2, "GR_coke_agent1": 3}
    assert tenants.join_indices(JOIN, ["GR_coke_agent2", "GR_coke_agent1", "GR_coke_master2"], held) == {
        "GR_coke_agent2": 2, "GR_coke_agent1": 3, "GR_coke_master2": 4}


def test_without_holdings_the_addresses_follow_the_list_from_the_second():
    assert tenants.join_indices(JOIN, ["GR_a", "GR_b", "GR_c"], {}) == {"GR_a": 2, "GR_b": 3, "GR_c": 4}


def test_the_address_of_a_gateway_no_longer_wanted_is_free_unless_reserved():
    held = {"GR_coke_master1": "100.64.1.2/24", "GR_coke_agent1": "100.64.1.3/24"}
    assert tenants.join_indices(JOIN, ["GR_coke_agent1", "GR_coke_agent2"], held) == {
        "GR_coke_agent1": 3, "GR_coke_agent2": 2}
    assert tenants.join_indices(JOIN, ["GR_coke_agent1", "GR_coke_agent2"], held, reserved=["100.64.1.2/24"]) == {
        "GR_coke_agent1": 3, "GR_coke_agent2": 4}


@pytest.mark.parametrize("address", [
    "100.64.1.1/24",  # the tenant router's
    "100.64.1.0/24",  # the join subnet's own address
    "100.64.1.255/24",  # its broadcast address
    "100.64.2.7/24",  # another join subnet (join_subnet changed)
    "100.64.1.7/25",  # another prefix length
    "not an address",
])
def test_an_address_that_cannot_be_kept_is_replaced_by_the_lowest_free(address):
    assert tenants.join_indices(JOIN, ["GR_x"], {"GR_x": address}) == {"GR_x": 2}


def test_two_gateways_holding_one_address_the_first_keeps_it():
    held = {"GR_a": "100.64.1.5/24", "GR_b": "100.64.1.5/24"}
    assert tenants.join_indices(JOIN, ["GR_a", "GR_b"], held) == {"GR_a": 5, "GR_b": 2}


def test_a_full_join_subnet_is_named():
    small = ipaddress.IPv4Network("100.64.1.0/30")  # .1 the router, .2 one gateway
    assert tenants.join_indices(small, ["GR_a"], {}) == {"GR_a": 2}
    with pytest.raises(model.TopologyError, match=r"join_subnet: 100.64.1.0/30 is too small for 2 gateways"):
        tenants.join_indices(small, ["GR_a", "GR_b"], {})


def test_only_marked_tenant_gateway_ports_are_read():
    def port(name, networks, **ids):
        return SimpleNamespace(name=name, networks=networks, external_ids=ids)

    ports = [
        port("rtoj-GR_coke_agent1", ["100.64.1.3/24"], **MARKS, **{model.TENANT_KEY: "coke"}),
        port("rtoj-GR_pepsi_master1", ["100.64.1.2/24"], **MARKS, **{model.TENANT_KEY: "pepsi"}),
        port("rtoj-coke", ["100.64.1.1/24"], **MARKS, **{model.TENANT_KEY: "coke"}),  # the tenant router's
        port("rtoj-GR_master1", ["100.64.0.2/29"], **MARKS),  # seed 002's gateway
        port("rtoj-GR_coke_agent2", ["100.64.1.9/24"], **{model.TENANT_KEY: "coke"}),  # not ours
        port("rtoe-GR_coke_agent1", ["172.31.220.202/24"], **MARKS, **{model.TENANT_KEY: "coke"}),
    ]
    assert tenants.read_join_addresses(ports) == {
        "coke": {"GR_coke_agent1": "100.64.1.3/24"}, "pepsi": {"GR_pepsi_master1": "100.64.1.2/24"}}


# ---------------------------------------------------------------- against a real Northbound

NODES = [{"name": "master1", "subnet": "10.220.0.0/24"}, {"name": "agent1", "subnet": "10.220.1.0/24"},
         {"name": "agent2", "subnet": "10.220.2.0/24"}]
MASTER1 = {"node": "master1", "ip": "172.31.220.201/24"}
AGENT1 = {"node": "agent1", "ip": "172.31.220.202/24", "nexthop": "172.31.220.1"}
AGENT2 = {"node": "agent2", "ip": "172.31.220.203/24"}


def coke(*gateways):
    return {"name": "coke", "cluster_subnet": "192.168.0.0/16", "gateways": list(gateways),
            "networks": [{"name": "coke1", "subnet": "192.168.1.0/24"}],
            "load_balancers": [{"name": "coke", "vip": "172.31.220.201:80", "backends": ["192.168.1.2:80"]}]}


@pytest.fixture
def central(tmp_path):
    c = start(str(tmp_path))
    yield c
    c.stop()


def topology(central, *gateways, check=False, purge=True):
    """ovn_topology's run, as the module calls it."""
    module = SimpleNamespace(check_mode=check, _diff=False, params={
        "nb": central.nb, "cluster_subnet": "10.220.0.0/16", "nodes": NODES, "gateway": None,
        "join_subnet": "100.64.0.0/29", "tenants": [coke(*gateways)], "purge": purge, "state": "present",
        "timeout": 10})
    return runs.run_topology(module)


def rows_of(central, node):
    """Every row marked as ``node``'s (its gateway router, ports, switch, NAT, the
    tenant router's route to it), whole: uuid and every column (``ovn-nbctl list``)."""
    mark = re.compile(r'"mesos.overlay/node"="?%s"?[,}]' % re.escape(node))
    out = []
    for table in ("Logical_Router", "Logical_Router_Port", "Logical_Switch", "Logical_Switch_Port",
                  "Logical_Router_Static_Route", "NAT"):
        out.extend(block.strip() for block in central.nbctl("list", table).split("\n\n") if mark.search(block))
    return sorted(out)


@pytest.mark.ovn
def test_removing_the_first_gateway_leaves_the_second_untouched(central):
    assert topology(central, MASTER1, AGENT1)["changed"]
    assert central.nbctl("get", "Logical_Router_Port", "rtoj-GR_coke_agent1", "networks").strip() == '["100.64.1.3/24"]'
    agent1_before = rows_of(central, "agent1")
    assert agent1_before

    result = topology(central, AGENT1)
    assert result["changed"]
    assert not [a for a in result["actions"] if "agent1" in a or "100.64.1.3" in a], result["actions"]
    assert all("master1" in a or "100.64.1.2" in a for a in result["actions"]), result["actions"]
    assert rows_of(central, "agent1") == agent1_before  # same rows, same uuids, same columns
    assert central.nbctl("get", "Logical_Router", "GR_coke_agent1", "options:lb_force_snat_ip").strip() == '"100.64.1.3"'
    routes = central.nbctl("lr-route-list", "coke")
    assert "100.64.1.3" in routes and "100.64.1.2" not in routes
    assert not topology(central, AGENT1)["changed"]


@pytest.mark.ovn
def test_a_gateway_added_back_takes_the_lowest_free_address_and_the_others_stay(central):
    topology(central, MASTER1, AGENT1)
    topology(central, AGENT1)
    agent1_before = rows_of(central, "agent1")
    # added back at the end of the list: the lowest free address is .2 again
    result = topology(central, AGENT1, MASTER1)
    assert not [a for a in result["actions"] if "agent1" in a], result["actions"]
    assert rows_of(central, "agent1") == agent1_before
    assert central.nbctl("get", "Logical_Router_Port", "rtoj-GR_coke_master1", "networks").strip() == '["100.64.1.2/24"]'
    assert central.nbctl("get", "Logical_Router", "GR_coke_master1", "options:lb_force_snat_ip").strip() == '"100.64.1.2"'
    # a third gateway first in the list: the next free one (.4); nobody moves
    result = topology(central, AGENT2, MASTER1, AGENT1)
    assert "update Load_Balancer coke" in result["actions"]  # hung on the new router too
    assert all("agent2" in a or "100.64.1.4" in a for a in result["actions"] if a != "update Load_Balancer coke"), result["actions"]
    assert central.nbctl("get", "Logical_Router_Port", "rtoj-GR_coke_agent2", "networks").strip() == '["100.64.1.4/24"]'
    # reordering the list moves nothing
    assert not topology(central, AGENT1, AGENT2, MASTER1)["changed"]


@pytest.mark.ovn
def test_check_mode_reads_the_holdings_and_writes_nothing(central):
    topology(central, MASTER1, AGENT1)
    before = central.txn_count()
    check = topology(central, AGENT1, check=True)
    assert check["changed"] and not [a for a in check["actions"] if "agent1" in a], check["actions"]
    assert central.txn_count() == before
    assert "GR_coke_master1" in central.nbctl("lr-list")


@pytest.mark.ovn
def test_without_purge_a_removed_gateway_keeps_its_address_from_a_new_one(central):
    topology(central, MASTER1, AGENT1)
    topology(central, AGENT1, AGENT2, purge=False)  # GR_coke_master1 stays (.2), so agent2 gets .4
    assert central.nbctl("get", "Logical_Router_Port", "rtoj-GR_coke_master1", "networks").strip() == '["100.64.1.2/24"]'
    assert central.nbctl("get", "Logical_Router_Port", "rtoj-GR_coke_agent2", "networks").strip() == '["100.64.1.4/24"]'
