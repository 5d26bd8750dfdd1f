"""CNI configs and docker network parameters of an overlay, from its allocation."""

import json

import pytest

from ansible_collections.mesos.overlay.plugins.filter.cni import (
    cni_config,
    docker_conflict,
    docker_network,
    overlay_cni_config,
)

ALLOC = {"subnet": "9.0.3.0/24", "mesos_subnet": "9.0.3.0/25", "docker_subnet": "9.0.3.128/25",
         "subnet6": None, "mesos_subnet6": None, "docker_subnet6": None}
ALLOC6 = dict(ALLOC, subnet6="fd01:b::/80", mesos_subnet6="fd01:b::/81", docker_subnet6="fd01:b::8000:0:0/81")


def test_port_mapper_config_is_what_the_dcos_agent_module_wrote():
    assert cni_config(ALLOC, "dcos", data_dir="/var/run/mesos/cni/networks") == {
        "name": "dcos",
        "type": "mesos-cni-port-mapper",
        "excludeDevices": ["m-dcos"],
        "chain": "M-DCOS",
        "delegate": {
            "type": "bridge",
            "bridge": "m-dcos",
            "isGateway": True,
            "ipMasq": False,
            "hairpinMode": True,
            "mtu": 1420,
            "ipam": {
                "type": "host-local",
                "dataDir": "/var/run/mesos/cni/networks",
                "subnet": "9.0.3.0/25",
                "routes": [{"dst": "0.0.0.0/0"}],
            },
        },
    }


def test_bridge_config_is_the_delegate_with_cni_version_and_name():
    conf = cni_config(ALLOC, "dcos", plugin="bridge", mtu=1400, data_dir="/d")
    assert conf == dict(cni_config(ALLOC, "dcos", mtu=1400, data_dir="/d")["delegate"],
                        cniVersion="0.2.0", name="dcos")
    assert conf["mtu"] == 1400
    assert "cniVersion" not in cni_config(ALLOC, "dcos")["delegate"]   # read as 0.1.0 by the plugins
    json.dumps(conf)  # plain data, renders with to_nice_json


@pytest.mark.parametrize("version", ["0.3.1", "0.4.0", "1.0.0", ""])
def test_bridge_config_refuses_versions_whose_result_mesos_cannot_read(version):
    with pytest.raises(ValueError, match="cni_version: .* Mesos reads only the CNI 0.1/0.2 result"):
        cni_config(ALLOC, "dcos", plugin="bridge", cni_version=version)


def test_ipv6_half_uses_ranges_and_both_default_routes():
    ipam = cni_config(ALLOC6, "dcos")["delegate"]["ipam"]
    assert "subnet" not in ipam
    assert ipam["ranges"] == [[{"subnet": "9.0.3.0/25"}], [{"subnet": "fd01:b::/81"}]]
    assert ipam["routes"] == [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]


@pytest.mark.parametrize("args, match", [
    ((ALLOC, "dcos"), None),
    (({"mesos_subnet": "9.0.3.1/25"}, "dcos"), "dcos.mesos_subnet"),
    (({}, "dcos"), "neither mesos_subnet"),
])
def test_bad_allocations_name_the_field(args, match):
    if match is None:
        assert overlay_cni_config(*args)
        return
    with pytest.raises(Exception, match=match):
        overlay_cni_config(*args)


def test_bad_plugin_is_refused():
    with pytest.raises(Exception, match="plugin"):
        overlay_cni_config(ALLOC, "dcos", plugin="calico")


def test_docker_network_has_the_dcos_options():
    assert docker_network(ALLOC, "dcos") == {
        "name": "dcos",
        "driver": "bridge",
        "driver_options": {
            "com.docker.network.bridge.name": "d-dcos",
            "com.docker.network.bridge.enable_ip_masquerade": "false",
            "com.docker.network.driver.mtu": "1420",
        },
        "ipam_config": [{"subnet": "9.0.3.128/25"}],
        "enable_ipv6": False,
    }
    six = docker_network(ALLOC6, "dcos", mtu=1400)
    assert six["enable_ipv6"] is True
    assert six["ipam_config"][1] == {"subnet": "fd01:b::8000:0:0/81"}
    assert six["driver_options"]["com.docker.network.driver.mtu"] == "1400"


def inspect(subnet="9.0.3.128/25", **options):
    opts = {"com.docker.network.bridge.name": "d-dcos",
            "com.docker.network.bridge.enable_ip_masquerade": "false",
            "com.docker.network.driver.mtu": "1420"}
    opts.update(options)
    return {"Name": "dcos", "Driver": "bridge", "Options": opts,
            "IPAM": {"Driver": "default", "Config": [{"Subnet": subnet, "Gateway": "9.0.3.129"}]}}


def test_a_matching_network_is_no_conflict():
    assert docker_conflict(inspect(), docker_network(ALLOC, "dcos")) == ""
    assert docker_conflict(None, docker_network(ALLOC, "dcos")) == ""
    # options we do not set are not ours to judge
    assert docker_conflict(inspect(**{"com.docker.network.bridge.enable_icc": "true"}),
                           docker_network(ALLOC, "dcos")) == ""


def test_another_subnet_or_option_is_a_conflict_that_says_what():
    why = docker_conflict(inspect(subnet="172.30.0.0/16"), docker_network(ALLOC, "dcos"))
    assert "172.30.0.0/16" in why and "9.0.3.128/25" in why and "not made by mesos.overlay" in why
    why = docker_conflict(inspect(**{"com.docker.network.bridge.name": "br-x"}), docker_network(ALLOC, "dcos"))
    assert "com.docker.network.bridge.name='br-x'" in why


def test_docker_plan_flags_conflicts_but_never_our_own_networks():
    from ansible_collections.mesos.overlay.plugins.filter.cni import docker_plan

    info = {"results": [{"item": "dcos", "exists": True, "network": inspect(subnet="172.30.0.0/16")},
                        {"item": "other", "exists": False}]}
    blocks = {"dcos": ALLOC, "other": dict(ALLOC, docker_subnet="9.0.4.128/25")}
    plan = {p["name"]: p for p in docker_plan(blocks, info)}
    assert plan["dcos"]["conflict"] and plan["dcos"]["exists"]
    assert plan["other"]["conflict"] == "" and not plan["other"]["exists"]
    # made by an earlier run: docker_network recreates it, no conflict
    assert docker_plan(blocks, info, ours=["dcos"])[0]["conflict"] == ""
