"""AWX and execution environments: meta/execution-environment.yml names what the
controller side needs, ansible-builder reads it from the installed collection,
and `ansible-builder create` makes a build context for an environment holding
the built collection (no registry needed for that step)."""

import ast
import sys

import pytest
import yaml

from collection_helpers import ROOT, run, tool

META = ROOT / "meta"
DEFINITION = META / "execution-environment.yml"

# Third-party imports of plugins/ that only ever run on the nodes (modules the
# agent role runs there, over SSH): not needed in the execution environment.
NODE_ONLY = {
    "pyroute2": "netlink, in overlay_vtep and overlay_peers on the nodes",
}


def requirement_names(path):
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line.split(";")[0].split("[")[0].split("=")[0].split("<")[0].split(">")[0]
                      .split("~")[0].split("!")[0].strip().lower().replace("_", "-"))
    return names


def third_party_imports():
    found = {}
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in stdlib and top not in ("ansible", "ansible_collections"):
                    found.setdefault(top.lower().replace("_", "-"), set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_definition_points_at_its_requirement_files():
    definition = yaml.safe_load(DEFINITION.read_text())
    assert definition["version"] == 3
    assert definition["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "meta/ee-bindep.txt"}
    for rel in definition["dependencies"].values():
        assert (ROOT / rel).is_file(), rel


def test_every_controller_import_is_in_the_requirements():
    wanted = requirement_names(META / "ee-requirements.txt")
    missing = {name: sorted(paths) for name, paths in third_party_imports().items()
               if name not in wanted and name not in NODE_ONLY}
    assert not missing, (f"imported by plugins/ but not in meta/ee-requirements.txt: {missing} "
                         "(add it there, or to NODE_ONLY here if it only ever runs on the nodes)")


def test_bindep_file_parses():
    bindep = pytest.importorskip("bindep.depends")
    bindep.Depends((META / "ee-bindep.txt").read_text())


def test_ansible_builder_reads_the_installed_collection(installed):
    proc = run(tool("ansible-builder"), "introspect", "--sanitize", installed["path"], cwd=installed["home"])
    found = yaml.safe_load(proc.stdout[proc.stdout.index("python:") if "python:" in proc.stdout else 0:]) or {}
    python = " ".join(found.get("python") or [])
    for name in requirement_names(META / "ee-requirements.txt"):
        assert name in python.lower(), f"{name} not introspected from the installed collection:\n{proc.stdout}"
    assert "mesos.overlay" in proc.stdout or not requirement_names(META / "ee-requirements.txt")


def test_ansible_builder_create_makes_a_build_context(built, tmp_path):
    """The definition of docs/execution-environment.md, with the built tarball."""
    (tmp_path / built.name).write_bytes(built.read_bytes())
    doc = (ROOT / "docs" / "execution-environment.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    definition = yaml.safe_load(block.replace("mesos-overlay-0.1.0.tar.gz", built.name))
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition))
    run(tool("ansible-builder"), "create", "-f", "execution-environment.yml", "--context", "context",
        cwd=tmp_path)
    context = tmp_path / "context"
    files = {str(p.relative_to(context)) for p in context.rglob("*") if p.is_file()}
    assert {"_build/requirements.yml", f"_build/collections/{built.name}"} <= files, sorted(files)
    assert any(f in files for f in ("Containerfile", "Dockerfile")), sorted(files)
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {"name": f"collections/{built.name}", "type": "file"} in galaxy["collections"]
