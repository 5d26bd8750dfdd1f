"""No error swallowed: an ``except ...: pass`` in shipped code names the one case it
handles (no catch-alls such as OSError or Exception)."""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
BROAD = {"Exception", "BaseException", "OSError", "IOError", "EnvironmentError"}


def shipped():
    for top in ("plugins", os.path.join("scripts", "lab", "image")):
        for base, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                path = os.path.join(base, name)
                if name.endswith(".py") or name == "lab-node":
                    yield os.path.relpath(path, ROOT)


def names(node):
    if node is None:
        return {"<bare>"}
    if isinstance(node, ast.Tuple):
        return set().union(*(names(e) for e in node.elts))
    return {node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "?")}


@pytest.mark.parametrize("path", sorted(shipped()))
def test_no_catch_all_is_silenced(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    silenced = [(h.lineno, sorted(names(h.type) & (BROAD | {"<bare>"})))
                for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)
                and all(isinstance(b, ast.Pass) for b in h.body) and names(h.type) & (BROAD | {"<bare>"})]
    assert not silenced, f"{path}: except ...: pass on a broad exception at {silenced}"
