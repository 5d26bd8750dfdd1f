"""mesos.overlay.overlay_vtep end to end: ansible-playbook inside a namespace,
the module running under the Python (and pyroute2) that runs the tests."""

from __future__ import annotations

import os
import subprocess

import pytest

from netns_helpers import ANSIBLE_BIN, ip_json, netns_fixture, requires_root, run_module, snapshot

pytestmark = [
    pytest.mark.kernel, pytest.mark.playbook,
    requires_root,
    pytest.mark.skipif(not os.path.exists(os.path.join(ANSIBLE_BIN, "ansible-playbook")), reason="needs the repo venv (make venv)"),
]

ARGS = {"mac": "70:b3:d5:80:00:01", "address": "44.128.0.1/20", "mtu": 1420}


@pytest.fixture
def ns():
    yield from netns_fixture()


def test_create_check_diff_and_idempotence(ns):
    before = snapshot(ns)
    result = run_module(ns, "overlay_vtep", ARGS, check=True, diff=True)
    assert result["changed"] and result["diff"]["before"] == {"state": "absent"}
    assert result["diff"]["after"]["vni"] == 1024 and result["diff"]["after"]["port"] == 64000
    assert snapshot(ns) == before

    result = run_module(ns, "overlay_vtep", ARGS)
    assert result["changed"] and result["device"]["mac"] == "70:b3:d5:80:00:01"
    (link,) = ip_json(ns, "-d", "link", "show", "dev", "vtep1024")
    assert link["linkinfo"]["info_data"]["id"] == 1024 and link["mtu"] == 1420

    result = run_module(ns, "overlay_vtep", ARGS, diff=True)
    assert not result["changed"] and not result["recreated"]


def test_changed_vni_recreates_and_absent_removes(ns):
    run_module(ns, "overlay_vtep", ARGS)
    result = run_module(ns, "overlay_vtep", dict(ARGS, vni=7))
    assert result["changed"] and result["recreated"] and result["reasons"] == ["VNI is 1024, not 7"]
    result = run_module(ns, "overlay_vtep", {"state": "absent"})
    assert result["changed"] and not ip_json(ns, "link", "show", "type", "vxlan")
    assert not run_module(ns, "overlay_vtep", {"state": "absent"})["changed"]


@pytest.mark.parametrize(
    "args,message",
    [
        (dict(ARGS, mac="zz"), "mac: 'zz' is not a MAC address"),
        (dict(ARGS, address="44.128.0.999/20"), "address: '44.128.0.999/20' is not an IPv4 address"),
        (dict(ARGS, mtu=100), "mtu: 100 is not an MTU (552 to 65535)"),
        ({"address": "44.128.0.1/20"}, "state is present but all of the following are missing: mac"),
    ],
)
def test_bad_input_names_the_option(ns, args, message):
    result = run_module(ns, "overlay_vtep", args)
    assert result["failed"] and message in result["msg"]


def test_missing_pyroute2_says_what_to_install(ns):
    python = "/usr/bin/python3"
    if not os.path.exists(python) or subprocess.run([python, "-c", "import pyroute2"], capture_output=True, check=False).returncode == 0:
        pytest.skip("needs a Python without pyroute2")
    result = run_module(ns, "overlay_vtep", ARGS, python=python)
    assert result["failed"] and "python3-pyroute2" in result["msg"]
