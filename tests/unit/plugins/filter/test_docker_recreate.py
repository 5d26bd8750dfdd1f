"""A docker network of ours with containers on it is not recreated behind their back."""

from ansible_collections.mesos.overlay.plugins.filter.cni import docker_plan
from test_cni import ALLOC, ALLOC6, inspect


def info_with(network):
    return {"results": [{"item": "dcos", "exists": True, "network": network}]}


def with_containers(network, *names):
    network["Containers"] = {f"{i:064x}": {"Name": name, "IPv4Address": f"9.0.3.{130 + i}/25"}
                             for i, name in enumerate(names)}
    return network


def test_adding_ipv6_under_containers_is_refused_naming_them():
    info = info_with(with_containers(inspect(), "web-1", "db-0"))
    plan = docker_plan({"dcos": ALLOC6}, info, ours=["dcos"])[0]
    assert plan["conflict"].startswith("docker network 'dcos' would be recreated (subnets 9.0.3.128/25"
                                       " (want 9.0.3.128/25, fd01:b::8000:0:0/81)) with 2 container(s)"
                                       " on it: db-0, web-1; refused")
    assert "overlay_docker_recreate: true" in plan["conflict"]


def test_allowed_or_without_containers_or_unchanged_it_goes_ahead():
    busy = info_with(with_containers(inspect(), "web-1"))
    assert docker_plan({"dcos": ALLOC6}, busy, ours=["dcos"], allow_recreate=True)[0]["conflict"] == ""
    assert docker_plan({"dcos": ALLOC6}, info_with(inspect()), ours=["dcos"])[0]["conflict"] == ""
    assert docker_plan({"dcos": ALLOC}, busy, ours=["dcos"])[0]["conflict"] == ""
