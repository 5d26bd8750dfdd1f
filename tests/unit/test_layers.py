"""docs/internals.md's layer table is the law: every import under plugins/
is checked against it (ours by layer, others by library)."""

import ast
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGINS = os.path.join(ROOT, "plugins")
PREFIX = "ansible_collections.mesos.overlay.plugins."


def layer_table():
    """{layer: (paths, may_import, libraries)} from the table in docs/internals.md."""
    text = open(os.path.join(ROOT, "docs", "internals.md"), encoding="utf-8").read()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    table = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        ticks = [re.findall(r"`([^`]+)`", c) for c in cells]
        table[ticks[0][0]] = (ticks[1], set(ticks[2]), set(ticks[3]))
    return table


TABLE = layer_table()


def layer_of(rel):
    """The layer of a path under plugins/ (a directory entry ends in /)."""
    best = None
    for layer, (paths, _m, _l) in TABLE.items():
        for path in paths:
            if rel == path or (path.endswith("/") and rel.startswith(path)):
                if best is None or len(path) > best[1]:
                    best = (layer, len(path))
    return best and best[0]


def imports(rel):
    """(plugins-relative module path or None, top-level library) of each import."""
    tree = ast.parse(open(os.path.join(PLUGINS, rel), encoding="utf-8").read())
    package = os.path.dirname(rel)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                base = package
                for _level in range(node.level - 1):
                    base = os.path.dirname(base)
                mod = "/".join(filter(None, [base, (node.module or "").replace(".", "/")]))
                targets = [mod] if node.module else [f"{mod}/{a.name}" for a in node.names]
                for target in targets:
                    yield target, None
                continue
            names = [node.module]
        else:
            continue
        for name in names:
            if name.startswith(PREFIX):
                yield name[len(PREFIX):].replace(".", "/"), None
            else:
                yield None, name.split(".")[0]


def resolve(target):
    """The file a plugins-relative module path names."""
    for candidate in (target + ".py", target + "/__init__.py"):
        if os.path.exists(os.path.join(PLUGINS, candidate)):
            return candidate
    head, _sep, _name = target.rpartition("/")  # 'from pkg import name': the package
    return resolve(head) if head else target


def files():
    for dirpath, _dirs, names in os.walk(PLUGINS):
        for name in names:
            if name.endswith(".py"):
                yield os.path.relpath(os.path.join(dirpath, name), PLUGINS)


def test_the_table_is_read():
    assert {"common", "shared", "vxlan", "entry", "modules", "filters"} <= set(TABLE)


def test_every_file_has_a_layer():
    missing = sorted(f for f in files() if layer_of(f) is None)
    assert not missing, f"add these to the layer table in docs/internals.md: {missing}"


def test_imports_follow_the_table():
    wrong = []
    for rel in sorted(files()):
        layer = layer_of(rel)
        if layer is None:
            continue
        _paths, may, libraries = TABLE[layer]
        for target, library in imports(rel):
            if target is not None:
                other = layer_of(resolve(target))
                if other != layer and other not in may:
                    wrong.append(f"{rel} ({layer}) imports {target} ({other})")
            elif library not in sys.stdlib_module_names and library not in ("__future__",) and library not in libraries:
                wrong.append(f"{rel} ({layer}) imports the library {library}")
    assert not wrong, "imports the layer table of docs/internals.md does not allow:\n" + "\n".join(wrong)


def test_no_plugin_file_is_over_600_lines():
    long = {}
    for dirpath, _dirs, names in os.walk(PLUGINS):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as fh:
                count = sum(1 for _line in fh)
            if count > 600:
                long[os.path.relpath(path, PLUGINS)] = count
    assert not long, f"split these (a reader holds a file of at most ~600 lines in their head): {long}"
