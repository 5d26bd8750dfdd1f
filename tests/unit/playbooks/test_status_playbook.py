"""playbooks/status.yml through ansible-playbook, on hosts reached with the local
connection: each node's record is read from overlay_facts_dir and checked against
what the node has now (here: no vtep1024, check mode changes nothing)."""

import json
import os

import pytest
from playbook_helpers import ansible_playbook, example_inventory

from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_fact


@pytest.mark.playbook
@pytest.mark.skipif(os.geteuid() != 0, reason="the VTEP check reads netlink as root")
def test_status_reads_overlay_facts_dir_and_reports_the_node_as_it_is_now(tmp_path):
    inv = example_inventory(tmp_path)
    facts = {}
    for host in ("master1", "a1", "a2", "a3"):
        facts[host] = tmp_path / "facts" / host
        facts[host].mkdir(parents=True)
    (inv / "host_vars").mkdir()
    for host, path in facts.items():
        (inv / "host_vars" / f"{host}.yml").write_text(
            f"overlay_facts_dir: {path}\noverlay_vtep_name: mcheck{host[-1]}\n")
    out = tmp_path / "status.json"

    def status():
        return ansible_playbook(inv, "playbooks/status.yml", "-c", "local", "-e", f"overlay_status_json={out}",
                                json_output=False)

    proc = status()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    view = json.loads(out.read_text())
    assert not (inv / "overlay_state.json").exists()   # status allocates nothing
    assert {a["ip"] for a in view["state"]["agents"]} == {"10.0.0.2", "10.0.0.11", "10.0.0.12", "10.0.0.13"}
    assert view["nodes"] == {"master1": {}, "a1": {}, "a2": {}, "a3": {}}
    assert {o["state"]["error"] for a in view["state"]["agents"] for o in a["overlays"]} == {
        "no status reported by the node yet"}

    # a1 gets a record as its converge would have left it; a2 an unreadable one

    a1 = {"ip": "10.0.0.11", "vtep_ip": "44.128.0.2/16", "vtep_ip6": None, "vtep_mac": "70:b3:d5:80:00:02",
          "overlays": {"vxlan-1": {"subnet": "192.168.1.0/24"}, "vxlan-2": {"subnet": "192.168.129.0/24"}}}
    (facts["a1"] / "mesos_overlay.fact").write_text(json.dumps(node_fact(a1)))
    (facts["a2"] / "mesos_overlay.fact").write_text("{garbled")
    proc = status()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert "nodes, " in proc.stdout                    # the summary is printed
    nodes = json.loads(out.read_text())["nodes"]
    for name in ("vxlan-1", "vxlan-2"):
        assert nodes["a1"]["overlays"][name]["state"] == {"status": "STATUS_FAILED", "error": "now: mcheck1 is missing"}
    assert "cannot read the record of an earlier run" in nodes["a2"]["error"]
    assert nodes["a3"] == {}
