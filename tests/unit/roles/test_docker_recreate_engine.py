"""On a real Docker engine: adding IPv6 to an overlay whose docker network has a
container on it is refused, naming the container (what docker_network_info
reports is what overlay_docker_plan reads)."""

import json
import subprocess
import uuid

import pytest
from playbook_helpers import ansible_playbook, docker_engine_answers

IMAGE = "mesos-overlay-lab:latest"

pytestmark = [
    pytest.mark.playbook,
    pytest.mark.skipif(not docker_engine_answers(),
                       reason="needs a Docker engine (make engine)"),
]

PLAY = """
- name: Plan the overlay's docker network
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Look up the network
      community.docker.docker_network_info:
        name: "{{ item }}"
      loop: ["{{ net }}"]
      register: info

    - name: The plan
      ansible.builtin.debug:
        msg: "{{ {net: alloc} | mesos.overlay.overlay_docker_plan(info, [net], 1420, allow) }}"
"""


def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=False)


@pytest.fixture()
def busy_network():
    """An internal docker network as the agent role makes it (IPv4 only), a container on it."""
    if docker("image", "inspect", IMAGE).returncode != 0:
        pytest.skip(f"needs the lab image {IMAGE} (make image)")
    name = "i10r" + uuid.uuid4().hex[:6]
    made = docker("network", "create", "--internal", "--driver", "bridge", "--subnet", "10.99.77.128/25",
                  "-o", f"com.docker.network.bridge.name=d-{name}",
                  "-o", "com.docker.network.bridge.enable_ip_masquerade=false",
                  "-o", "com.docker.network.driver.mtu=1420", name)
    assert made.returncode == 0, made.stderr
    try:
        ran = docker("run", "-d", "--rm", "--name", f"{name}-web", "--network", name, IMAGE, "sleep", "300")
        assert ran.returncode == 0, ran.stderr
        yield name
    finally:
        docker("rm", "-f", f"{name}-web")
        docker("network", "rm", name)


def plan(tmp_path, net, allow):
    playbook = tmp_path / "plan.yml"
    playbook.write_text(PLAY)
    alloc = {"subnet": "10.99.77.0/24", "mesos_subnet": "10.99.77.0/25", "docker_subnet": "10.99.77.128/25",
             "subnet6": "fd99:77::/80", "mesos_subnet6": "fd99:77::/81", "docker_subnet6": "fd99:77::8000:0:0/81"}
    extra = json.dumps({"net": net, "alloc": alloc, "allow": allow})
    proc = ansible_playbook("localhost,", str(playbook), "-c", "local", "-e", extra)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    task = json.loads(proc.stdout)["plays"][0]["tasks"][-1]
    return task["hosts"]["localhost"]["msg"][0]


def test_adding_ipv6_under_a_container_is_refused_naming_it(tmp_path, busy_network):
    refused = plan(tmp_path, busy_network, False)
    assert refused["conflict"].startswith(f"docker network '{busy_network}' would be recreated (subnets"
                                          " 10.99.77.128/25 (want 10.99.77.128/25, fd99:77::8000:0:0/81))"
                                          f" with 1 container(s) on it: {busy_network}-web; refused")
    assert plan(tmp_path, busy_network, True)["conflict"] == ""
