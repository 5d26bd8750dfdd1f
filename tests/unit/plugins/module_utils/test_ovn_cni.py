"""The OVN CNI plugin, called as the Mesos isolator calls it, on a real chassis
(ovs-vswitchd + ovn-controller in a network namespace) with real NB/SB/northd."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.ovn import cni, model, nbdb, tenants

from ovn_servers import start, start_chassis

pytestmark = [pytest.mark.ovn, pytest.mark.kernel]

COLLECTIONS = [p for p in sys.path if p.endswith(os.path.join(".build", "collections"))][0]
NS = "i12-ovn-chassis"
TASKS = ("i12-ovn-task1", "i12-ovn-task2", "i12-ovn-task3", "i12-ovn-task4")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("needs root (network namespaces)")
    d = str(tmp_path_factory.mktemp("ovn-cni"))
    central = start(os.path.join(d), northd=True)
    chd = os.path.join(d, "chassis")
    os.mkdir(chd)
    chassis = start_chassis(chd, NS, "node1", central.sb)
    api = nbdb.connect(central.nb, "OVN_Northbound")
    topo = model.build("10.221.0.0/16", [model.NodeSpec("node1", "10.221.1.0/24", "node1")])
    topo.rows.extend(tenants.build_tenants(tenants.parse_tenants([
        {"name": "coke", "cluster_subnet": "192.170.0.0/16",
         "networks": [{"name": "coke1", "subnet": "192.170.1.0/24", "mtu": 1300}]}])))
    nbdb.apply(api, nbdb.plan(api, topo.rows))
    nbdb.close(api)
    for t in TASKS:
        subprocess.run(["ip", "netns", "add", t], check=True)
    yield central, chassis
    for t in TASKS:
        subprocess.run(["ip", "netns", "del", t], check=False)
    chassis.stop()
    central.stop()


def config(central, chassis, **over):
    cfg = {"cniVersion": "0.2.0", "name": "ovn", "type": "mesos-overlay-ovn", "nb": central.nb,
           "switch": "node1", "gateway": "10.221.1.1", "subnet": "10.221.1.0/24", "mtu": 1400,
           "ovs": chassis.ovs, "tx_off": True, "timeout": 15}
    cfg.update(over)
    return cfg


def call(chassis, command, cfg, task, container_id, labels=None):
    """As Mesos calls a plugin: config on stdin, CNI_* in the environment, in the node's namespace."""
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container_id, CNI_NETNS="/run/netns/" + task,
               CNI_IFNAME="eth0", CNI_PATH="/usr/lib/cni", PYTHONPATH=COLLECTIONS)
    if labels:
        cfg = dict(cfg, args={"org.apache.mesos": {"network_info": {
            "name": cfg["name"], "labels": {"labels": [{"key": k, "value": v} for k, v in labels.items()]}}}})
    proc = subprocess.run(
        ["ip", "netns", "exec", chassis.ns, sys.executable, "-c",
         "import sys; from ansible_collections.mesos.overlay.plugins.module_utils.ovn.cni import main; sys.exit(main())"],
        input=json.dumps(cfg), env=env, capture_output=True, text=True, check=False)
    return proc.returncode, (json.loads(proc.stdout) if proc.stdout.strip() else None), proc.stderr


def ping(task, address, tries=5):
    for _attempt in range(tries):  # the first packet to a new neighbour may be lost
        if subprocess.run(["ip", "netns", "exec", task, "ping", "-c1", "-W1", address],
                          capture_output=True, check=False).returncode == 0:
            return True
        time.sleep(0.2)
    return False


def test_add_answers_in_the_shape_mesos_reads_and_tasks_talk_through_ovn(lab):
    central, chassis = lab
    rc, out, err = call(chassis, "ADD", config(central, chassis), TASKS[0], "c1")
    assert rc == 0, (out, err)
    assert set(out) == {"cniVersion", "ip4", "dns"} and out["cniVersion"] == "0.2.0"
    assert out["ip4"]["gateway"] == "10.221.1.1" and out["ip4"]["ip"].startswith("10.221.1.")
    rc, out2, err = call(chassis, "ADD", config(central, chassis), TASKS[1], "c2")
    assert rc == 0, (out2, err)
    port = model.task_port("node1", "c1", "eth0")
    assert central.nbctl("get", "Logical_Switch_Port", port, "up").strip() == "true"
    assert 'mesos.overlay/kind"=task' in central.nbctl("get", "Logical_Switch_Port", port, "external_ids")
    assert ping(TASKS[0], out2["ip4"]["ip"].split("/")[0])
    assert ping(TASKS[1], "10.221.1.1")  # the router port answers
    # ADD again: same port, same address
    rc, again, err = call(chassis, "ADD", config(central, chassis), TASKS[0], "c1")
    assert rc == 0 and again == out, (again, err)


def test_del_removes_port_veth_and_logical_port_and_is_idempotent(lab):
    central, chassis = lab
    rc, out, err = call(chassis, "ADD", config(central, chassis), TASKS[2], "c3")
    assert rc == 0, (out, err)
    host = cni.host_ifname("c3", "eth0")
    port = model.task_port("node1", "c3", "eth0")
    for _call in range(2):
        rc, out, err = call(chassis, "DEL", config(central, chassis), TASKS[2], "c3")
        assert rc == 0 and out is None, (out, err)
    assert host not in chassis.vsctl("list-ports", "br-int")
    assert subprocess.run(["ip", "netns", "exec", chassis.ns, "ip", "link", "show", host],
                          capture_output=True, check=False).returncode != 0
    assert port not in central.nbctl("show")


def test_unreachable_central_is_a_clear_cni_error(lab):
    central, chassis = lab
    rc, out, err = call(chassis, "ADD", config(central, chassis, nb="tcp:127.0.0.1:1"), TASKS[0], "c9")
    assert rc == 1
    assert out["code"] == 11 and "OVN central unreachable (tcp:127.0.0.1:1" in out["msg"]


def test_bad_config_names_the_field(lab):
    central, chassis = lab
    cfg = config(central, chassis)
    del cfg["switch"]
    rc, out, err = call(chassis, "ADD", cfg, TASKS[0], "c9")
    assert rc == 1 and out["msg"] == "config: switch is missing"


def test_the_label_logical_switch_picks_a_tenant_network_with_its_mtu(lab):
    central, chassis = lab
    rc, out, err = call(chassis, "ADD", config(central, chassis), TASKS[3], "c4", labels={"logical_switch": "coke1"})
    assert rc == 0, (out, err)
    assert out["ip4"]["ip"].startswith("192.170.1.") and out["ip4"]["gateway"] == "192.170.1.1"
    mtu = subprocess.run(["ip", "netns", "exec", TASKS[3], "cat", "/sys/class/net/eth0/mtu"],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert mtu == "1300"
    assert ping(TASKS[3], "192.170.1.1")
    rc, out, err = call(chassis, "DEL", config(central, chassis), TASKS[3], "c4")
    assert rc == 0, (out, err)
    assert "coke1_c4_eth0" not in central.nbctl("show")
    rc, out, err = call(chassis, "ADD", config(central, chassis), TASKS[3], "c5", labels={"logical_switch": "nope"})
    assert rc == 1 and "label logical_switch: 'nope' is not a switch" in out["msg"]
