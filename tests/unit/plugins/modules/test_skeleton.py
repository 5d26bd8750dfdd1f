"""Every module has one shape: DOCUMENTATION, EXAMPLES, RETURN, and a main()
that is a literal argument spec and one call into module_utils."""

import ast
import glob
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 4))
MODULES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), *[".."] * 4, "plugins", "modules", "*.py")))
# Modules not (yet) in the skeleton; each leaves this list once its main()
# calls run_module.
NOT_YET = set()


def shape_cases():
    for path in MODULES:
        name = os.path.basename(path)
        marks = [pytest.mark.xfail(reason=f"{name}: main() not yet spec + run_module", strict=True)] if name in NOT_YET else []
        yield pytest.param(path, id=name, marks=marks)


def test_there_are_modules():
    assert len(MODULES) >= 4


def fragment_options(doc):
    """The options a module's DOCUMENTATION takes from the collection's doc fragments."""
    out = set()
    for name in doc.get("extends_documentation_fragment") or []:
        assert name.startswith("mesos.overlay."), name
        path = os.path.join(ROOT, "plugins", "doc_fragments", name.split(".")[-1] + ".py")
        tree = ast.parse(open(path, encoding="utf-8").read())
        (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
        (text,) = [n.value.value for n in cls.body if isinstance(n, ast.Assign) and n.targets[0].id == "DOCUMENTATION"]
        out |= set(yaml.safe_load(text).get("options") or {})
    return out


@pytest.mark.parametrize("path", list(shape_cases()))
def test_module_shape(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    docs = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name) and isinstance(node.value, ast.Constant)}
    for name in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert yaml.safe_load(docs[name]), name
    doc = yaml.safe_load(docs["DOCUMENTATION"])
    assert set(doc["attributes"]) >= {"check_mode", "diff_mode"}

    (main,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]  # main() and nothing else
    assert main.name == "main"
    spec, call = main.body
    # module = AnsibleModule(argument_spec=dict(...), ...)
    assert isinstance(spec, ast.Assign) and spec.value.func.id == "AnsibleModule"
    argument_spec = {k.arg: k.value for k in spec.value.keywords}["argument_spec"]
    assert isinstance(argument_spec, ast.Call) and argument_spec.func.id == "dict"
    assert set(k.arg for k in argument_spec.keywords) == set(doc.get("options") or {}) | fragment_options(doc)
    # run_module(module, <the core's run>)
    assert isinstance(call, ast.Expr) and call.value.func.id == "run_module"
    imported = {a.name: n.module for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
    assert imported[call.value.args[1].id].startswith("ansible_collections.mesos.overlay.plugins.module_utils.")
