"""The Mesos CNI harness (scripts/lab/image/mesos_cni.py): what the Mesos network/cni
isolator does with our CNI configs, checked against the real CNI plugins."""

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from ansible_collections.mesos.overlay.plugins.filter.cni import cni_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
HARNESS = os.path.join(ROOT, "scripts", "lab", "image", "mesos_cni.py")
sys.path.insert(0, os.path.dirname(HARNESS))
import mesos_cni  # noqa: E402  pylint: disable=wrong-import-position,wrong-import-order

ALLOC = {"subnet": "10.99.3.0/24", "mesos_subnet": "10.99.3.0/25", "docker_subnet": "10.99.3.128/25"}
ALLOC6 = dict(ALLOC, subnet6="fd99:3::/80", mesos_subnet6="fd99:3::/81", docker_subnet6="fd99:3:0:0:8000::/81")
INFO = {"name": "ov", "labels": {"labels": [{"key": "netgroups", "value": "a"}]},
        "port_mappings": [{"host_port": 8080, "container_port": 80, "protocol": "tcp"}]}


def test_the_isolator_adds_network_info_beside_other_args_and_refuses_its_own_key():
    conf = {"name": "ov", "type": "bridge", "args": {"other": 1}}
    sent = mesos_cni.isolator_config(conf, INFO)
    assert sent["args"] == {"other": 1, "org.apache.mesos": {"network_info": INFO}}
    assert conf["args"] == {"other": 1}                     # the file as written is not changed
    with pytest.raises(mesos_cni.MesosCNIError, match="reserved by Mesos"):
        mesos_cni.isolator_config(dict(conf, args={"org.apache.mesos": {}}), INFO)
    for bad, field in (({"type": "bridge"}, "'name'"), ({"name": "ov"}, "'type'"),
                       ({"name": "ov", "type": "b", "ipam": {}}, "ipam: required string 'type'")):
        with pytest.raises(mesos_cni.MesosCNIError, match=field):
            mesos_cni.isolator_config(bad, INFO)


def test_the_port_mapper_delegate_gets_the_outer_name_and_args_and_nothing_else():
    conf = mesos_cni.isolator_config(cni_config(ALLOC, "ov"), INFO)
    delegate = mesos_cni.port_mapper_delegate(conf)
    assert delegate == dict(conf["delegate"], name="ov", args={"org.apache.mesos": {"network_info": INFO}})
    assert "cniVersion" not in delegate
    with pytest.raises(mesos_cni.MesosCNIError, match="'chain'"):
        mesos_cni.port_mapper_delegate({k: v for k, v in conf.items() if k != "chain"})


def test_results_are_read_as_mesos_spec_proto_reads_them():
    old = {"cniVersion": "0.2.0", "ip4": {"ip": "10.99.3.2/25", "gateway": "10.99.3.1",
                                          "routes": [{"dst": "0.0.0.0/0"}]}, "dns": {}}
    assert mesos_cni.parse_result(json.dumps(old)) == {"ip4": old["ip4"]}
    new = {"cniVersion": "0.3.1", "interfaces": [{"name": "eth0"}],
           "ips": [{"version": "4", "address": "10.99.3.2/25", "interface": 0}]}
    with pytest.raises(mesos_cni.MesosCNIError, match="no ip4 or ip6 .* 'ips': Mesos reads only the 0.1/0.2"):
        mesos_cni.parse_result(json.dumps(new))
    with pytest.raises(mesos_cni.MesosCNIError, match="ip4: required string 'ip'"):
        mesos_cni.parse_result('{"ip4": {"gateway": "10.99.3.1"}}')
    with pytest.raises(mesos_cni.MesosCNIError, match="not JSON"):
        mesos_cni.parse_result("oops")


# ---------------------------------------------------------------------------
# Against the real plugins (Debian's containernetworking-plugins), in network
# namespaces: a "host" namespace where the bridge is made, a container one.

PLUGINS = "/usr/lib/cni"
needs_plugins = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None or not os.access(os.path.join(PLUGINS, "bridge"), os.X_OK),
    reason="needs root, iproute2 and the CNI plugins in /usr/lib/cni (scripts/host-packages.sh)")


@pytest.fixture
def namespaces(tmp_path):
    tag = uuid.uuid4().hex[:8]
    host, ctr = f"mcni-h-{tag}", f"mcni-c-{tag}"
    for ns in (host, ctr):
        subprocess.run(["ip", "netns", "add", ns], check=True)
    subprocess.run(["ip", "-n", host, "link", "set", "lo", "up"], check=True)
    try:
        yield host, ctr, tmp_path
    finally:
        for ns in (ctr, host):
            subprocess.run(["ip", "netns", "del", ns], check=False)


def harness(host, *args):
    """The harness's command line, run inside the "host" namespace."""
    return subprocess.run(["ip", "netns", "exec", host, sys.executable, HARNESS, *args],
                          capture_output=True, text=True, check=False)


def addresses(ns):
    out = subprocess.run(["ip", "-n", ns, "-j", "addr", "show", "dev", "eth0"], capture_output=True,
                         text=True, check=True).stdout
    return sorted(a["local"] for link in json.loads(out) for a in link["addr_info"] if a["scope"] == "global")


@needs_plugins
@pytest.mark.kernel
@pytest.mark.parametrize("plugin", ["port-mapper", "bridge"])
@pytest.mark.parametrize("alloc", [ALLOC, ALLOC6], ids=["v4", "dual"])
def test_every_format_we_write_answers_mesos_with_an_address_of_the_mesos_half(namespaces, plugin, alloc):
    host, ctr, tmp = namespaces
    conf = tmp / "ov.conf"
    conf.write_text(json.dumps(cni_config(alloc, "ov", plugin=plugin, data_dir=str(tmp / "ipam"))))
    res = harness(host, "add", str(conf), ctr, "cid-1", "--network-info", json.dumps(INFO))
    assert res.returncode == 0, res.stderr
    result = json.loads(res.stdout)
    assert result["ip4"]["ip"] == "10.99.3.2/25" and result["ip4"]["gateway"] == "10.99.3.1"
    want = ["10.99.3.2"]
    if alloc is ALLOC6:
        assert result["ip6"]["ip"] == "fd99:3::2/81"
        want.append("fd99:3::2")
    assert addresses(ctr) == want
    res = harness(host, "del", str(conf), ctr, "cid-1", "--network-info", json.dumps(INFO))
    assert res.returncode == 0, res.stderr


@needs_plugins
@pytest.mark.kernel
def test_a_cni_0_3_config_gives_a_mesos_task_no_address(namespaces):
    host, ctr, tmp = namespaces
    conf = dict(cni_config(ALLOC, "ov", plugin="bridge", data_dir=str(tmp / "ipam")), cniVersion="0.3.1")
    (tmp / "ov.conf").write_text(json.dumps(conf))
    res = harness(host, "add", str(tmp / "ov.conf"), ctr)
    assert res.returncode == 1
    assert "no ip4 or ip6 in the result, the task would have no address" in res.stderr
