"""Running ansible-playbook from the tests: the repo's ansible.cfg, the venv's CLI,
modules under the Python that runs the tests."""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def docker_engine_answers():
    """True when a Docker engine answers (not only when its socket file is left over)."""
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def example_inventory(tmp_path):
    """A copy of inventories/example (hosts that need not exist) under ``tmp_path``."""
    inv = tmp_path / "inv"
    shutil.copytree(os.path.join(ROOT, "inventories", "example"), inv)
    return inv


def ansible_playbook(inventory, playbook, *args, json_output=True):
    """Run ``playbook`` (a path, or relative to the repo) on ``inventory``; the
    completed process, stdout in the json callback's format unless told not."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    if json_output:
        env.update(ANSIBLE_STDOUT_CALLBACK="json", ANSIBLE_LOAD_CALLBACK_PLUGINS="1")
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
         "-e", f"ansible_python_interpreter={sys.executable}", *args, os.path.join(ROOT, str(playbook))],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False)
