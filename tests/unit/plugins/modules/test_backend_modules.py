"""overlay_netgroups and ovn_topology through ansible-playbook: the skeleton
(spec + run_module) gives their results and their errors as before."""

from __future__ import annotations

import os
import sys
from contextlib import closing

import pytest

from netns_helpers import ANSIBLE_BIN, netns_fixture, requires_root, run_module

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "module_utils"))
from ovn_servers import missing, start  # noqa: E402

needs_venv = pytest.mark.skipif(not os.path.exists(os.path.join(ANSIBLE_BIN, "ansible-playbook")), reason="needs the repo venv (make venv)")


@pytest.mark.kernel
@pytest.mark.playbook
@requires_root
@needs_venv
def test_overlay_netgroups_bad_policy_id_fails_naming_it():
    # the module's converge, check mode and removal: test_netgroups_filters.py
    with closing(netns_fixture()) as namespaces:
        bad = run_module(next(namespaces), "overlay_netgroups", {"netgroups": {"blue": "x"}})
    assert bad["failed"] and bad["msg"] == "netgroups.blue: 'x' is not a policy ID"


@pytest.mark.ovn
@pytest.mark.playbook
@requires_root
@needs_venv
@pytest.mark.skipif(missing() is not None, reason=str(missing()))
def test_ovn_topology_check_apply_rerun_and_errors(tmp_path):
    args = {"cluster_subnet": "10.220.0.0/16",
            "nodes": [{"name": "master1", "subnet": "10.220.0.0/24"}, {"name": "agent1", "subnet": "10.220.1.0/24"}]}
    central = start(str(tmp_path))
    try:
        with closing(netns_fixture()) as namespaces:
            ns = next(namespaces)
            args["nb"] = central.nb
            before = central.txn_count()
            check = run_module(ns, "ovn_topology", args, check=True)
            assert check["changed"] and "create Logical_Router mesos-router" in check["actions"]
            assert central.txn_count() == before
            assert run_module(ns, "ovn_topology", args)["changed"]
            again = run_module(ns, "ovn_topology", args)
            assert not again["changed"] and again["nodes"]["agent1"]["switch"] == "agent1"
            bad = run_module(ns, "ovn_topology", dict(args, cluster_subnet=None))
            assert bad["failed"] and bad["msg"] == "cluster_subnet: required with state=present"
    finally:
        central.stop()
