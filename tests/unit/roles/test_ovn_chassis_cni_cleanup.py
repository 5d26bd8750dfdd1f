"""ovn_chassis removes the CNI configs of OVN networks that are gone, and only
configs of its own plugin: roles/ovn_chassis/tasks/cni_cleanup.yml run with
ansible-playbook against a directory of this machine, with the list of
networks to keep exactly as present.yml and absent.yml give it."""

import json
import os

import pytest
import yaml
from playbook_helpers import ROOT, ansible_playbook

pytestmark = pytest.mark.playbook

TASKS = os.path.join(ROOT, "roles", "ovn_chassis", "tasks")
PLUGIN = "mesos-overlay-ovn"
TENANTS = [{"name": "coke", "cluster_subnet": "192.168.0.0/16",
            "networks": [{"name": "coke1", "subnet": "192.168.1.0/24"}]}]


def keep_of(task_file):
    """The ``__ovn_cni_keep`` that present.yml / absent.yml pass to cni_cleanup.yml."""
    with open(os.path.join(TASKS, task_file), encoding="utf-8") as f:
        tasks = yaml.safe_load(f)
    (task,) = [t for t in tasks if t.get("ansible.builtin.import_tasks") == "cni_cleanup.yml"]
    return task["vars"]["__ovn_cni_keep"]


def ours(name):
    """A config as present.yml writes it (ovn_cni_config | to_nice_json)."""
    return json.dumps({"cniVersion": "0.2.0", "gateway": "192.168.1.1", "mtu": 1400, "name": name,
                       "nb": "tcp:172.31.220.11:6641", "subnet": "192.168.1.0/24", "switch": name,
                       "tx_off": False, "type": PLUGIN}, indent=4, sort_keys=True) + "\n"


@pytest.fixture
def cni_dir(tmp_path):
    d = tmp_path / "cni"
    d.mkdir()
    files = {
        "ovn.conf": ours("ovn"),
        "coke1.conf": ours("coke1"),
        "pepsi1.conf": ours("pepsi1"),  # a tenant network that is gone
        "gone.conf": json.dumps({"name": "gone", "type": PLUGIN}),  # compact JSON, still ours
        # not ours, although they name the plugin
        "dcos.conf": json.dumps({"name": "dcos", "type": "mesos-cni-port-mapper", "delegate": {"type": PLUGIN}}),
        "chain.conf": json.dumps({"name": "chain", "plugins": [{"type": PLUGIN}]}),
        "broken.conf": '{"type": "%s", ' % PLUGIN,
        "other.conf": json.dumps({"name": "other", "type": PLUGIN + "-v2"}),
        "pepsi1.json": ours("pepsi1"),  # the role writes .conf files only
        "README": "type: %s\n" % PLUGIN,
    }
    for name, text in files.items():
        (d / name).write_text(text)
    (d / "sub.conf").mkdir()
    (d / "link.conf").symlink_to(d / "coke1.conf")
    return d


def snapshot(d):
    """Every entry: what it is (link target, directory, text) and its mtime."""
    def what(p):
        return ("link", os.readlink(p)) if p.is_symlink() else ("dir",) if p.is_dir() else ("file", p.read_text())
    return {p.name: (what(p), os.lstat(p).st_mtime_ns) for p in d.iterdir()}


def cleanup(tmp_path, cni_dir, keep, *args):
    """Run cni_cleanup.yml as the role does: the role's defaults, its variables."""
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "vars": {"ovn_tenants": TENANTS, "__ovn_tenant_networks": "{{ ovn_tenants | mesos.overlay.ovn_tenant_networks }}"},
        "tasks": [{"name": "The cleanup", "ansible.builtin.include_role": {
            "name": "mesos.overlay.ovn_chassis", "tasks_from": "cni_cleanup"},
            "vars": {"overlay_cni_dir": str(cni_dir), "__ovn_cni_keep": keep}}],
    }]))
    proc = ansible_playbook("localhost,", playbook, "-c", "local", *args)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    report = json.loads(proc.stdout)
    (removal,) = [t for t in report["plays"][0]["tasks"]
                  if t["task"]["name"].endswith("Remove the CNI configs of OVN networks that are gone")]
    result = removal["hosts"]["localhost"]
    removed = sorted(os.path.basename(r["item"]) for r in result.get("results", []) if r.get("changed"))
    return report["stats"]["localhost"]["changed"], removed


def test_present_removes_only_the_configs_of_the_plugin_for_networks_no_longer_wanted(tmp_path, cni_dir):
    before = snapshot(cni_dir)
    # check mode: the removals are reported, nothing is removed
    changed, removed = cleanup(tmp_path, cni_dir, keep_of("present.yml"), "--check")
    assert changed == 1 and removed == ["gone.conf", "pepsi1.conf"]
    assert snapshot(cni_dir) == before

    changed, removed = cleanup(tmp_path, cni_dir, keep_of("present.yml"))
    assert changed == 1 and removed == ["gone.conf", "pepsi1.conf"]
    after = snapshot(cni_dir)
    assert set(after) == set(before) - {"gone.conf", "pepsi1.conf"}
    assert after == {name: value for name, value in before.items() if name in after}  # the rest untouched

    # nothing left to remove: no change, in check mode or not
    assert cleanup(tmp_path, cni_dir, keep_of("present.yml"), "--check") == (0, [])
    assert cleanup(tmp_path, cni_dir, keep_of("present.yml")) == (0, [])
    assert snapshot(cni_dir) == after


def test_absent_removes_every_config_of_the_plugin_and_nothing_else(tmp_path, cni_dir):
    assert keep_of("absent.yml") == []
    before = snapshot(cni_dir)
    changed, removed = cleanup(tmp_path, cni_dir, keep_of("absent.yml"))
    assert changed == 1 and removed == ["coke1.conf", "gone.conf", "ovn.conf", "pepsi1.conf"]
    after = snapshot(cni_dir)
    assert sorted(after) == ["README", "broken.conf", "chain.conf", "dcos.conf", "link.conf", "other.conf",
                             "pepsi1.json", "sub.conf"]
    assert after == {name: value for name, value in before.items() if name in after}


def test_a_missing_directory_is_nothing_to_remove(tmp_path):
    assert cleanup(tmp_path, tmp_path / "nowhere", keep_of("absent.yml")) == (0, [])
