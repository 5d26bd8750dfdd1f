"""make lab-down (playbooks/lab.yml with overlay_lab_state=absent) leaves no lab state behind."""

import os
import uuid

import pytest
from playbook_helpers import ansible_playbook, docker_engine_answers


@pytest.mark.playbook
@pytest.mark.skipif(not docker_engine_answers(),
                    reason="needs a Docker engine (make engine)")
def test_lab_down_removes_the_state_file_its_backup_and_its_lock(tmp_path):
    tag = uuid.uuid4().hex[:8]               # names no lab uses: nothing real is removed
    state = tmp_path / "state" / "overlay_state.json"
    state.parent.mkdir()
    for suffix in ("", ".bak", ".lock"):
        (tmp_path / "state" / ("overlay_state.json" + suffix)).write_text("{}")
    inv = tmp_path / "hosts.yml"
    inv.write_text(f"""
all:
  vars:
    lab_image: none
    lab_underlay_network: test-lab-down-{tag}
    overlay_state_file: {state}
  children:
    lab:
      hosts:
        node1: {{ansible_host: test-lab-down-{tag}, lab_underlay_ip: 192.0.2.1}}
""")
    proc = ansible_playbook(inv, "playbooks/lab_hosts.yml", "-e", "overlay_lab_state=absent", json_output=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert sorted(os.listdir(state.parent)) == []
