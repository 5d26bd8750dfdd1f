"""The collection's CNI plugin mesos-overlay-netgroups: pure parts, then called as Mesos calls it.

The netns tests run the real plugin file with the real CNI ``bridge`` and
``host-local`` plugins and the real ipset, the "node" being a network namespace
and each task another one, exactly as the Mesos network/cni isolator does:
the config file's JSON with ``args."org.apache.mesos".network_info`` added,
``CNI_*`` in the environment, the result read as Mesos reads it (``ip4``).
"""

import importlib.machinery
import importlib.util
import json
import os
import subprocess
import tempfile
import uuid

import pytest

from netgroups_helpers import CNI_PATH, PLUGIN, call, conf, info
from netns_helpers import netns_fixture, requires_root, sh


def load_plugin():
    loader = importlib.machinery.SourceFileLoader("mesos_overlay_netgroups", PLUGIN)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


plugin = load_plugin()


def test_netgroups_come_from_groups_and_the_label_without_duplicates():
    assert plugin.task_netgroups({"args": info(["blue"], "red, blue")}) == ["blue", "red"]
    assert plugin.task_netgroups({"args": info(label="red")}) == ["red"]
    assert plugin.task_netgroups({"args": info()}) == []
    assert plugin.task_netgroups({}) == []


def test_unknown_netgroup_is_named():
    with pytest.raises(plugin.PluginError, match="netgroup 'green' is not a netgroup of this cluster"):
        plugin.check_known(["blue", "green"], {"blue": "mo-ng-blue"})


def test_results_are_answered_in_the_0_2_shape():
    v1 = {"cniVersion": "1.0.0", "interfaces": [{"name": "eth0"}],
          "ips": [{"address": "10.1.0.2/25", "gateway": "10.1.0.1", "interface": 0},
                  {"address": "fd01::2/80", "gateway": "fd01::1", "interface": 0}],
          "routes": [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}], "dns": {}}
    assert plugin.to_v02(v1) == {
        "cniVersion": "0.2.0",
        "ip4": {"ip": "10.1.0.2/25", "gateway": "10.1.0.1", "routes": [{"dst": "0.0.0.0/0"}]},
        "ip6": {"ip": "fd01::2/80", "gateway": "fd01::1", "routes": [{"dst": "::/0"}]},
    }
    v02 = {"cniVersion": "0.2.0", "ip4": {"ip": "10.1.0.2/25"}, "dns": {"nameservers": ["10.0.0.1"]}}
    assert plugin.to_v02(v02) == v02


def test_delegate_gets_name_and_args_like_port_mappers_delegate():
    config = {"name": "ov1", "type": "mesos-overlay-netgroups", "args": info(["blue"]),
              "delegate": {"type": "bridge", "bridge": "m-ov1"}}
    assert plugin.delegate_config(config) == {
        "type": "bridge", "bridge": "m-ov1", "name": "ov1", "args": info(["blue"])}


# --------------------------------------------------------------------------
# The real plugin, the real bridge plugin, the real kernel


def members(node, name):
    out = sh("ip", "netns", "exec", node, "ipset", "save", name)
    return sorted(line.split(" ", 2)[2] for line in out.splitlines() if line.startswith("add "))


@pytest.fixture
def node():
    yield from netns_fixture()


@pytest.fixture
def tasks():
    made = []

    def new():
        name = f"ut-{uuid.uuid4().hex[:10]}"
        sh("ip", "netns", "add", name)
        made.append(name)
        return name

    yield new
    for name in made:
        sh("ip", "netns", "del", name, check=False)



@pytest.mark.kernel
@requires_root
@pytest.mark.skipif(not os.path.exists(f"{CNI_PATH}/bridge"), reason="needs the CNI plugins")
def test_add_with_groups_and_label_del_idempotent_unknown_fails_closed(node, tasks):
    with tempfile.TemporaryDirectory() as data_dir:
        for name in ("mo-ng-blue", "mo-ng-red"):
            sh("ip", "netns", "exec", node, "ipset", "create", name, "hash:net", "family", "inet", "comment")
        config = conf(data_dir)
        t1, t2, t3, t4 = tasks(), tasks(), tasks(), tasks()

        rc, out = call(node, "ADD", config, "c1", t1, info(["blue"]))
        assert rc == 0, out
        assert out["cniVersion"] == "0.2.0" and out["ip4"]["ip"] == "10.77.0.2/25"
        assert "ips" not in out
        rc, out = call(node, "ADD", config, "c2", t2, info(label="blue,red"))
        assert rc == 0, out
        rc, out = call(node, "ADD", config, "c3", t3, info())   # no netgroup: unrestricted
        assert rc == 0 and out["ip4"]["ip"] == "10.77.0.4/25"
        assert members(node, "mo-ng-blue") == ['10.77.0.2 comment "task:c1"', '10.77.0.3 comment "task:c2"']
        assert members(node, "mo-ng-red") == ['10.77.0.3 comment "task:c2"']

        # an unknown netgroup: refused, naming it, before anything is made
        links = sh("ip", "-n", node, "-o", "link", "show")
        rc, out = call(node, "ADD", config, "c4", t4, info(["blue", "green"]))
        assert rc != 0
        assert out["msg"].startswith("netgroup 'green' is not a netgroup of this cluster")
        assert sh("ip", "-n", node, "-o", "link", "show") == links
        assert sh("ip", "-n", t4, "-o", "link", "show").count("eth0") == 0
        assert not os.path.exists(os.path.join(data_dir, "ov1", "10.77.0.5"))

        # DEL removes the container's entries; a second DEL is fine
        for _ in range(2):
            rc, out = call(node, "DEL", config, "c2", t2, info(label="blue,red"))
            assert rc == 0, out
        assert members(node, "mo-ng-blue") == ['10.77.0.2 comment "task:c1"']
        assert members(node, "mo-ng-red") == []
        # DEL without args (as after an agent restart) finds the entries by container ID
        rc, out = call(node, "DEL", config, "c1", t1)
        assert rc == 0, out
        assert members(node, "mo-ng-blue") == []


@pytest.mark.kernel
@requires_root
@pytest.mark.skipif(not os.path.exists(f"{CNI_PATH}/bridge"), reason="needs the CNI plugins")
def test_as_port_mappers_delegate(node, tasks):
    """port-mapper calls its delegate with the delegate's config plus ``name`` and ``args``."""
    with tempfile.TemporaryDirectory() as data_dir:
        sh("ip", "netns", "exec", node, "ipset", "create", "mo-ng-blue", "hash:net", "family", "inet", "comment")
        outer = {"name": "ov1", "type": "mesos-cni-port-mapper", "chain": "M-OV1", "excludeDevices": ["m-ov1"],
                 "delegate": {k: v for k, v in conf(data_dir, netgroups={"blue": "mo-ng-blue"}).items() if k != "name"}}
        inner = dict(outer["delegate"], name=outer["name"])
        rc, out = call(node, "ADD", inner, "c9", tasks(), info(["blue"]))
        assert rc == 0, out
        assert out["ip4"]["ip"] == "10.77.0.2/25"   # port-mapper requires ip4
        assert members(node, "mo-ng-blue") == ['10.77.0.2 comment "task:c9"']


@pytest.mark.kernel
@requires_root
@pytest.mark.skipif(not os.path.exists(f"{CNI_PATH}/bridge"), reason="needs the CNI plugins")
def test_grouped_task_on_an_ipv6_network_is_refused_and_undone(node, tasks):
    with tempfile.TemporaryDirectory() as data_dir:
        sh("ip", "netns", "exec", node, "ipset", "create", "mo-ng-blue", "hash:net", "family", "inet", "comment")
        config = conf(data_dir, netgroups={"blue": "mo-ng-blue"})
        ipam = config["delegate"]["ipam"]
        del ipam["subnet"]
        ipam["ranges"] = [[{"subnet": "10.77.0.0/25"}], [{"subnet": "fd77::/80"}]]
        task = tasks()
        rc, out = call(node, "ADD", config, "c1", task, info(["blue"]))
        assert rc != 0 and "IPv4 only" in out["msg"]
        assert members(node, "mo-ng-blue") == []
        assert sh("ip", "-n", task, "-o", "link", "show").count("eth0") == 0
