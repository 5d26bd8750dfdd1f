"""What the collection says about itself: the example inventory is only
inventory, galaxy.yml's dependencies are the collections the shipped content
calls, and the README names them (and no other)."""

import re

import yaml

from collection_helpers import ROOT, run, tool

FQCN = re.compile(r"\b([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b")
OURS = {"ansible.builtin", "mesos.overlay", "ansible.legacy"}
NOT_COLLECTIONS = {"ansible.cfg"}


def shipped_files():
    pinned = (ROOT / "tests" / "collection" / "build-files.txt").read_text().splitlines()
    return [ROOT / p for p in pinned if p.endswith((".yml", ".yaml", ".py")) and (ROOT / p).is_file()]


def test_the_example_inventory_warns_about_nothing():
    proc = run(tool("ansible-inventory"), "-i", ROOT / "inventories" / "example", "--list")
    assert proc.stderr.strip() == "", proc.stderr
    groups = yaml.safe_load(proc.stdout)
    assert groups["mesos_masters"]["hosts"] and groups["mesos_agents"]["hosts"]
    assert groups["_meta"]["hostvars"]["master1"]["overlay_network"]["overlays"]


def test_galaxy_dependencies_are_the_collections_the_content_calls():
    used = set()
    for path in shipped_files():
        for line in path.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            used |= {m for m in FQCN.findall(line) if m.split(".")[0] in ("community", "ansible")}
    used -= OURS | {"ansible.module_utils", "ansible.errors", "ansible.plugins", "ansible.utils.display"}
    deps = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"])
    assert used == deps, f"called: {sorted(used)}, galaxy.yml dependencies: {sorted(deps)}"


def test_the_readme_names_the_real_dependencies():
    readme = (ROOT / "README.md").read_text()
    deps = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["dependencies"])
    named = set(re.findall(r"`((?:community|ansible)\.[a-z_]+)`", readme)) - OURS - NOT_COLLECTIONS
    assert named == deps, f"README names {sorted(named)}, galaxy.yml depends on {sorted(deps)}"


def test_the_readme_claims_no_takeover_that_does_not_exist():
    # Nothing reads the allocations of a cluster that runs the DC/OS modules
    # yet; when something does (a module or playbook named for it), the README
    # may say that a running cluster is taken over without renumbering.
    readme = " ".join((ROOT / "README.md").read_text().split())
    takeover = [p for p in list((ROOT / "plugins" / "modules").glob("*.py")) + list((ROOT / "playbooks").glob("*.yml"))
                if re.search(r"import|takeover|adopt", p.stem)]
    if not takeover:
        assert not re.search(r"taken over without renumbering", readme, re.I)
        assert "does not do yet is read the allocations of a cluster" in readme
