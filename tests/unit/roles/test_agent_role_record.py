"""The agent role tells "no record yet" from "cannot read it": an earlier record it
cannot read fails the host with the reason, before anything is changed."""

import pytest
from playbook_helpers import ansible_playbook


def run_role(tmp_path, facts_dir):
    playbook = tmp_path / "play.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  roles:
    - role: mesos.overlay.agent
      vars:
        overlay_state: absent
        overlay_facts_dir: {facts_dir}
        overlay_vtep_name: mrec-none
        overlay_sysctl_file: {tmp_path}/sysctl.conf
""")
    # check mode: even a role that went on would change nothing on this machine
    return ansible_playbook("localhost,", playbook, "-c", "local", "--check", json_output=False)


@pytest.mark.playbook
@pytest.mark.parametrize("kind", ["garbled", "directory"])
def test_an_unreadable_record_fails_with_the_reason(tmp_path, kind):
    facts = tmp_path / "facts"
    facts.mkdir()
    record = facts / "mesos_overlay.fact"
    if kind == "garbled":
        record.write_text('{"cni_files": ["/var/lib/mesos/cni/x.conf"]')
    else:
        record.mkdir()
    proc = run_role(tmp_path, facts)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "Read the record of an earlier run" in out or "Keep the earlier record" in out
    assert "Remove the VXLAN device" not in out and "Remove the CNI files" not in out
    if kind == "garbled":
        assert f"{record}: cannot read the record of an earlier run" in out


@pytest.mark.playbook
def test_no_record_yet_is_a_first_run(tmp_path):
    proc = run_role(tmp_path, tmp_path / "facts")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
