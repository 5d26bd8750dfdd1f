"""Changelog fragments follow antsibull-changelog's conventions: new plugins,
modules and roles are found from their docs (no fragment for them), and the
lab, CI and the tests are not changes a user sees."""

import re

import yaml

from collection_helpers import ROOT, run, tool

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
