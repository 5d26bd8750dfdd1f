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


def test_the_readme_claims_a_takeover_only_with_the_means_to_do_it():
    # "taken over without renumbering" is true only while something reads a
    # running cluster's allocations (the master role's overlay_import_state)
    readme = " ".join((ROOT / "README.md").read_text().split())
    spec = yaml.safe_load((ROOT / "roles" / "master" / "meta" / "argument_specs.yml").read_text())
    options = {k for entry in spec["argument_specs"].values() for k in (entry.get("options") or {})}
    claims = re.search(r"taken over without renumbering", readme, re.I)
    if "overlay_import_state" in options:
        assert claims and "overlay_import_state" in readme and "docs/state.md" in readme
    else:
        assert not claims


def test_the_files_the_docs_name_exist():
    docs = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    placeholders = {"inventories/mycluster", "inventories/prod"}  # the user's own inventory
    missing = set()
    for doc in docs:
        for match in re.finditer(r"(?<![\w/.-])((?:docs|playbooks|roles|plugins|meta|scripts|inventories|tests|molecule)"
                                 r"/[\w./-]*\w)([*{<]?)", doc.read_text()):
            ref, pattern = match.groups()
            if pattern or ref.split("/")[:2] == ["inventories", "prod"] or ref in placeholders:
                continue
            if not (ROOT / ref).exists():
                missing.add(f"{doc.relative_to(ROOT)}: {ref}")
    assert not missing, sorted(missing)
