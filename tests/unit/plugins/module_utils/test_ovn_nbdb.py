"""The NB reconciler against a real OVN Northbound ovsdb-server."""

from __future__ import annotations

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.ovn import model, nbdb

from ovn_servers import start

pytestmark = pytest.mark.ovn

NODES = (
    model.NodeSpec("master1", "10.220.0.0/24", "master1"),
    model.NodeSpec("agent1", "10.220.1.0/24", "agent1"),
    model.NodeSpec("agent2", "10.220.2.0/24", "agent2"),
)
GATEWAY = model.GatewaySpec("master1", "172.31.220.200/24", None, "master1")


@pytest.fixture
def central(tmp_path):
    c = start(str(tmp_path))
    yield c
    c.stop()


@pytest.fixture
def api(central):
    a = nbdb.connect(central.nb, "OVN_Northbound")
    yield a
    nbdb.close(a)


def converge(api, nodes=NODES, gateway=GATEWAY, purge=True):
    topo = model.build("10.220.0.0/16", list(nodes), gateway)
    result = nbdb.plan(api, topo.rows, purge=purge)
    nbdb.apply(api, result)
    return result


def test_first_run_builds_seed_002_names_and_a_rerun_writes_nothing(central, api):
    result = converge(api)
    assert result.changed
    show = central.nbctl("show")
    for name in ("mesos-router", "rtos-agent1", "stor-agent1", "agent1_agent", "GR_master1",
                 "rtoj-GR_master1", "jtor-mesos-router", "rtoe-GR_master1", "lnet-master1"):
        assert name in show, name
    assert central.nbctl("get", "Logical_Router_Port", "rtos-agent1", "mac").strip() == '"0a:58:0a:dc:01:01"'
    assert "10.220.0.0/16" in central.nbctl("lr-nat-list", "GR_master1")
    assert central.nbctl("get", "Logical_Router", "GR_master1", "options:chassis").strip() == "master1"
    before = central.txn_count()
    again = converge(api)
    assert not again.changed and again.actions() == []
    assert central.txn_count() == before


def test_check_mode_plan_on_a_fresh_database_writes_nothing(central, api):
    before = central.txn_count()
    topo = model.build("10.220.0.0/16", list(NODES), GATEWAY)
    result = nbdb.plan(api, topo.rows)
    assert "create Logical_Router mesos-router" in result.actions()
    assert len(result.changes) == len(topo.rows)
    assert central.txn_count() == before
    assert central.nbctl("show") == ""


def test_drift_is_repaired_column_by_column(central, api):
    converge(api)
    central.nbctl("set", "Logical_Router_Port", "rtos-agent2", "mac=\"02:00:00:00:00:01\"")
    central.nbctl("set", "Logical_Switch", "agent1", "other_config:subnet=10.99.0.0/24")
    nbdb.close(api)
    api = nbdb.connect(central.nb, "OVN_Northbound")
    result = converge(api)
    assert sorted(result.actions()) == ["update Logical_Router_Port rtos-agent2", "update Logical_Switch agent1"]
    change = [c for c in result.changes if c.key == "rtos-agent2"][0]
    assert change.before == {"mac": "02:00:00:00:00:01"} and change.after == {"mac": "0a:58:0a:dc:02:01"}
    nbdb.close(api)


def test_removing_a_node_removes_only_its_marked_rows(central, api):
    converge(api)
    central.nbctl("ls-add", "foreign")
    central.nbctl("lsp-add", "agent1", "foreign-port-on-agent1")
    result = converge(api, nodes=NODES[:2])
    assert sorted(result.actions()) == [
        "delete Logical_Router_Port rtos-agent2",
        "delete Logical_Switch agent2",
        "delete Logical_Switch_Port agent2_agent",
        "delete Logical_Switch_Port stor-agent2",
    ]
    show = central.nbctl("show")
    assert "agent2" not in show
    assert "foreign" in show and "foreign-port-on-agent1" in show and "rtos-agent1" in show


def test_task_ports_of_the_cni_plugin_survive_a_converge(central, api):
    converge(api)
    central.nbctl("lsp-add", "agent1", "task1", "--", "set", "Logical_Switch_Port", "task1",
                  'external_ids:"mesos.overlay/owner"=mesos.overlay', 'external_ids:"mesos.overlay/kind"=task')
    nbdb.close(api)
    api = nbdb.connect(central.nb, "OVN_Northbound")
    assert not converge(api).changed
    assert "task1" in central.nbctl("show")
    nbdb.close(api)


def test_a_foreign_row_with_a_wanted_name_is_refused_and_nothing_is_written(central, api):
    central.nbctl("lr-add", "mesos-router")
    nbdb.close(api)
    api = nbdb.connect(central.nb, "OVN_Northbound")
    before = central.txn_count()
    with pytest.raises(nbdb.OwnershipError, match="Logical_Router mesos-router exists and was not made by"):
        converge(api)
    assert central.txn_count() == before
    nbdb.close(api)


def test_absent_removes_every_marked_row_and_nothing_else(central, api):
    converge(api)
    central.nbctl("lr-add", "theirs")
    result = nbdb.plan(api, [], purge=True)
    nbdb.apply(api, result)
    assert central.nbctl("show").split() == ["router", central.nbctl("get", "Logical_Router", "theirs", "_uuid").strip(), "(theirs)"]


def test_unreachable_central_is_named(tmp_path):
    with pytest.raises(nbdb.CentralError, match=r"OVN central unreachable \(tcp:127.0.0.1:1: "):
        nbdb.connect("tcp:127.0.0.1:1", "OVN_Northbound", timeout=2)


TENANTS = [
    {"name": "coke", "cluster_subnet": "192.168.0.0/16",
     "gateways": [{"node": "master1", "ip": "172.31.220.201/24"}, {"node": "agent1", "ip": "172.31.220.202/24"}],
     "networks": [{"name": "coke1", "subnet": "192.168.1.0/24", "mtu": 1300}],
     "load_balancers": [{"name": "coke", "vip": "172.31.220.201:80", "backends": ["192.168.1.2:80", "192.168.1.3:80"]}]},
    {"name": "pepsi", "cluster_subnet": "192.169.0.0/16",
     "gateways": [{"node": "master1", "ip": "172.31.220.203/24"}],
     "networks": [{"name": "pepsi1", "subnet": "192.169.1.0/24"}]},
]


def converge_tenants(api, tenant_list):
    from ansible_collections.mesos.overlay.plugins.module_utils.ovn import tenants
    topo = model.build("10.220.0.0/16", list(NODES), GATEWAY)
    topo.rows.extend(tenants.build_tenants(tenants.parse_tenants(tenant_list), [n.name for n in NODES]))
    result = nbdb.plan(api, topo.rows)
    nbdb.apply(api, result)
    return result


def test_tenants_of_seed_004_then_changes_are_exact(central, api):
    converge_tenants(api, TENANTS)
    show = central.nbctl("show")
    for name in ("(coke)", "(pepsi)", "join_coke", "rtoj-coke", "GR_coke_master1", "GR_coke_agent1", "GR_pepsi_master1",
                 "rtos-coke-coke1", "stor-coke-coke1", "lnet-coke-master1", "ext_pepsi_master1"):
        assert name in show, name
    assert central.nbctl("get", "Logical_Router", "GR_coke_master1", "options:lb_force_snat_ip").strip() == "\"100.64.1.2\""
    routes = central.nbctl("lr-route-list", "coke")
    assert "100.64.1.2" in routes and "100.64.1.3" in routes  # one default route per gateway
    assert "192.169" not in routes and "192.168" not in central.nbctl("lr-route-list", "pepsi")
    lbs = central.nbctl("lr-lb-list", "GR_coke_agent1")
    assert "172.31.220.201:80" in lbs and "192.168.1.2:80,192.168.1.3:80" in lbs
    assert not converge_tenants(api, TENANTS).changed
    # a backend changed, a gateway removed: exactly those rows
    changed = [dict(t) for t in TENANTS]
    changed[0] = dict(TENANTS[0], gateways=TENANTS[0]["gateways"][:1],
                      load_balancers=[dict(TENANTS[0]["load_balancers"][0], backends=["192.168.1.2:80"])])
    result = converge_tenants(api, changed)
    assert "update Load_Balancer coke" in result.actions()
    assert all("coke_agent1" in a or "coke-agent1" in a or a == "update Load_Balancer coke" or "100.64.1.3" in a
               for a in result.actions()), result.actions()
    # a whole tenant removed: no row of it is left
    result = converge_tenants(api, changed[:1])
    assert "pepsi" not in central.nbctl("show") and "pepsi" not in central.nbctl("lb-list")
    assert "coke" in central.nbctl("show")


def test_bad_tenant_input_names_the_field():
    from ansible_collections.mesos.overlay.plugins.module_utils.ovn import tenants
    with pytest.raises(model.TopologyError, match=r"ovn_tenants\[0\].load_balancers\[0\].vip: 'x' is not IPv4:PORT"):
        tenants.parse_tenants([{"name": "c", "cluster_subnet": "10.1.0.0/16",
                                "load_balancers": [{"name": "l", "vip": "x", "backends": ["1.2.3.4:80"]}]}])
    with pytest.raises(model.TopologyError, match=r"networks\[0\].mtu: 100 is not an MTU"):
        tenants.parse_tenants([{"name": "c", "cluster_subnet": "10.1.0.0/16",
                                "networks": [{"name": "n", "subnet": "10.1.1.0/24", "mtu": 100}]}])


def test_status_shows_nodes_tenants_gateways_and_balancers(central, api):
    from ansible_collections.mesos.overlay.plugins.module_utils.ovn import status
    converge_tenants(api, TENANTS)
    nbdb.close(api)
    api = nbdb.connect(central.nb, "OVN_Northbound")
    view = status.read_tenants(api)
    assert view["coke"]["networks"]["coke1"] == {"subnet": "192.168.1.0/24", "mtu": "1300", "tasks": []}
    assert view["coke"]["gateways"]["GR_coke_master1"] == {"chassis": "master1", "external": ["172.31.220.201/24"]}
    assert view["coke"]["load_balancers"]["coke"]["vips"] == {"172.31.220.201:80": "192.168.1.2:80,192.168.1.3:80"}
    nodes = status.node_status(["agent1"], {}, status.read_switches(api))
    assert nodes["agent1"]["status"] == "STATUS_FAILED" and "no chassis agent1" in nodes["agent1"]["error"]
    nbdb.close(api)
