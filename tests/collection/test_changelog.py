"""Changelog fragments follow antsibull-changelog's conventions: new plugins,
modules and roles are found from their docs (no fragment for them), and the
lab, CI and the tests are not changes a user sees."""

import json
import re

import yaml

from collection_helpers import ROOT, filter_names, plugin_names, run, tool

FRAGMENTS = sorted((ROOT / "changelogs" / "fragments").glob("*.y*ml"))
NEW_OBJECT = re.compile(r"^\s*([\w.]+\s+-\s+)?new\s+(module|filter|plugin|lookup|role|playbook)s?\b", re.I)
NOT_USER_FACING = re.compile(r"\b(molecule|make (lab|test)|the (local )?lab|unit tests?|pytest|\.ci/run|CI)\b")


def entries():
    for path in FRAGMENTS:
        for section, items in (yaml.safe_load(path.read_text()) or {}).items():
            for item in [items] if isinstance(items, str) else items:
                yield path.name, section, item


def test_antsibull_changelog_lint_is_clean():
    proc = run(tool("antsibull-changelog"), "lint")
    assert proc.stdout.strip() == "" and proc.stderr.strip() == "", proc.stdout + proc.stderr


def test_no_fragment_announces_a_new_plugin_or_role():
    bad = [(f, s, e) for f, s, e in entries() if s != "release_summary" and NEW_OBJECT.search(e)]
    assert not bad, f"new plugins/modules/roles are listed from their docs, not from fragments: {bad}"


def test_no_fragment_is_about_the_lab_ci_or_tests():
    bad = [(f, s, e) for f, s, e in entries() if NOT_USER_FACING.search(e)]
    assert not bad, f"not a change a user of the collection sees (use a trivial fragment or none): {bad}"


def _versions_added(node, where=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "version_added" and isinstance(value, str):
                yield where, value
            else:
                yield from _versions_added(value, f"{where}.{key}" if where else key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _versions_added(value, f"{where}[{i}]")


def test_every_version_added_is_a_release_or_the_coming_one():
    # antsibull-changelog lists a plugin as new in a release by its version_added:
    # one that names no release (0.2.0 while 0.1.0 is the first) is never listed
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]
    released = set((yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text()) or {}).get("releases") or {})
    allowed = released | {galaxy}
    docs = []
    for kind, names in (("module", plugin_names("modules")), ("filter", sorted(filter_names())),
                        ("lookup", plugin_names("lookup"))):
        if names:
            proc = run(tool("ansible-doc"), "-t", kind, "--json", *[f"mesos.overlay.{n}" for n in names])
            docs += [(f"{kind} {k}", v.get("doc")) for k, v in json.loads(proc.stdout).items()]
    for spec in sorted(ROOT.glob("roles/*/meta/argument_specs.yml")):
        docs.append((str(spec.relative_to(ROOT)), yaml.safe_load(spec.read_text())))
    bad = [(name, where, v) for name, doc in docs for where, v in _versions_added(doc) if v not in allowed]
    assert not bad, f"version_added must be {sorted(allowed)}: {bad}"
