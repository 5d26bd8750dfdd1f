"""Every dependency of the agent role is probed on the node, has a package, and is
required in packages.yml when the feature that needs it is on."""

import glob
import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, "roles", "agent")

# What each module the role calls needs on the node, by the probe's key.
NEEDS = {
    "mesos.overlay.overlay_vtep": ["pyroute2"],
    "mesos.overlay.overlay_peers": ["pyroute2"],
    "mesos.overlay.overlay_nat": ["ipset", "iptables"],
    "mesos.overlay.overlay_netgroups": ["ipset", "iptables"],
    "ansible.posix.sysctl": ["sysctl"],
    "community.docker.docker_host_info": ["requests"],
    "community.docker.docker_network_info": ["requests"],
    "community.docker.docker_network": ["requests"],
}
# Modules that need nothing beyond Python and coreutils on the node.
PLAIN = {"ansible.builtin." + m for m in ("assert", "set_fact", "stat", "slurp", "file", "copy", "command",
                                          "apt", "package", "debug", "fail", "include_tasks", "import_tasks",
                                          "setup")}
# Best effort only (ignore_errors): br_netfilter may already be loaded, or be
# loaded by the host of a container; the netgroup status says when it is missing.
OPTIONAL = {"community.general.modprobe"}
KEYWORDS = {"name", "when", "register", "loop", "loop_control", "vars", "block", "rescue", "always",
            "ignore_errors", "failed_when", "changed_when", "check_mode", "tags", "environment",
            "delegate_to", "run_once", "no_log", "diff", "become", "notify", "listen"}


def modules():
    found = set()

    def walk(tasks):
        for task in tasks or []:
            for key in ("block", "rescue", "always"):
                walk(task.get(key))
            found.update(k for k in task if k not in KEYWORDS)

    for path in glob.glob(os.path.join(ROLE, "tasks", "*.yml")):
        with open(path, encoding="utf-8") as f:
            walk(yaml.safe_load(f))
    return found


def test_every_module_of_the_role_has_its_dependencies_probed_and_packaged():
    with open(os.path.join(ROLE, "vars", "main.yml"), encoding="utf-8") as f:
        probe = yaml.safe_load(f)["__overlay_probe_script"]
    with open(os.path.join(ROLE, "defaults", "main.yml"), encoding="utf-8") as f:
        packages = yaml.safe_load(f)["overlay_packages"]
    with open(os.path.join(ROLE, "tasks", "packages.yml"), encoding="utf-8") as f:
        required = f.read()
    has = json.loads(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                    check=True).stdout)
    used = modules()
    unknown = sorted(used - set(NEEDS) - PLAIN - OPTIONAL)
    assert not unknown, f"modules whose node dependencies this test does not know: {unknown}"
    for module in sorted(used & set(NEEDS)):
        for dep in NEEDS[module]:
            assert dep in has, f"{module} needs {dep}: the probe does not look for it"
            assert dep in packages, f"{module} needs {dep}: overlay_packages has no package for it"
            assert f"'{dep}'" in required, f"{module} needs {dep}: packages.yml never requires it"
    assert set(has) == set(packages)
