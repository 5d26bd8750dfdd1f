"""Docs a user can read and copy: one page per filter, Ansible markup, examples
that run as written."""

import ast
import base64
import ipaddress
import json
import sys

import pytest
import yaml

from collection_helpers import ROOT, filter_names, plugin_names, run, tool

FILTER_DIR = ROOT / "plugins" / "filter"
MODULE_DIR = ROOT / "plugins" / "modules"


FILTERS = filter_names()
MODULES = plugin_names("modules")
LOOKUPS = plugin_names("lookup")


def ansible_doc(kind, names):
    proc = run(tool("ansible-doc"), "-t", kind, "--json", *[f"mesos.overlay.{n}" for n in names])
    return {k.split(".")[-1]: v for k, v in json.loads(proc.stdout).items()}


@pytest.fixture(scope="module")
def filter_docs(collection_link):
    return ansible_doc("filter", sorted(FILTERS))


@pytest.fixture(scope="module")
def module_docs(collection_link):
    return ansible_doc("module", MODULES)


@pytest.fixture(scope="module")
def lookup_docs(collection_link):
    return ansible_doc("lookup", LOOKUPS) if LOOKUPS else {}


def test_there_are_filters_and_modules():
    assert len(FILTERS) >= 13 and "overlay_allocate" in MODULES


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_every_filter_has_its_own_page(name, filter_docs):
    doc = filter_docs[name]["doc"]
    assert doc["name"] == name, f"ansible-doc -t filter mesos.overlay.{name} shows {doc['name']}'s page"
    # its own NAME.yml beside the plugin file, or the plugin file NAME.py of that filter alone
    assert doc["filename"].endswith((f"/{name}.yml", f"/{name}.py")), doc["filename"]
    assert filter_docs[name]["examples"], f"{name}: no EXAMPLES"


def test_files_of_several_filters_hold_no_documentation():
    # a DOCUMENTATION in a file of several filters is shown for all of them
    for path in FILTER_DIR.glob("*.py"):
        if sum(1 for f in FILTERS.values() if f == path.name) > 1:
            assert "DOCUMENTATION =" not in path.read_text(), path


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _no_markdown(where, doc):
    for text in _strings(doc):
        assert "`" not in text and "**" not in text, f"{where}: Markdown in {text!r} (use C(), O(), V(), I())"


def test_docs_use_ansible_markup_not_markdown(filter_docs, module_docs, lookup_docs):
    for kind, docs in (("filter", filter_docs), ("module", module_docs), ("lookup", lookup_docs)):
        for name, doc in docs.items():
            _no_markdown(f"{kind} {name}", {k: doc[k] for k in ("doc", "return") if doc.get(k)})
    for spec in ROOT.glob("roles/*/meta/argument_specs.yml"):
        _no_markdown(str(spec.relative_to(ROOT)), yaml.safe_load(spec.read_text()))


# ---------------------------------------------------------------------------
# EXAMPLES


def examples(docs, kind):
    out = []
    for name, doc in sorted(docs.items()):
        tasks = yaml.safe_load(doc["examples"])
        assert isinstance(tasks, list), f"{kind} {name}: EXAMPLES is not a list of tasks"
        out.extend((f"{kind} {name}", task) for task in tasks)
    return out


# Modules whose arguments are not options (set_fact: the variables it sets).
FREE_FORM = {"ansible.builtin.set_fact"}
TASK_KEYS = {"name", "register", "loop", "loop_control", "when", "delegate_to", "delegate_facts", "run_once",
             "vars", "become", "check_mode", "changed_when", "failed_when", "ignore_errors"}


def module_of(task):
    (action,) = [k for k in task if k not in TASK_KEYS]
    return action


def test_examples_call_modules_that_exist_with_options_they_document(filter_docs, module_docs, lookup_docs):
    tasks = examples(filter_docs, "filter") + examples(module_docs, "module") + examples(lookup_docs, "lookup")
    actions = sorted({module_of(pair[1]) for pair in tasks})
    assert all(a.count(".") == 2 for a in actions), f"FQCNs only: {actions}"
    proc = run(tool("ansible-doc"), "-t", "module", "--json", *actions)
    options = {k: set((v["doc"].get("options") or {})) for k, v in json.loads(proc.stdout).items()}
    assert set(options) == set(actions), f"unknown modules: {set(actions) - set(options)}"
    for where, task in tasks:
        args = task[module_of(task)]
        if isinstance(args, dict) and module_of(task) not in FREE_FORM:
            unknown = set(args) - options[module_of(task)]
            assert not unknown, f"{where}, task {task.get('name')!r}: {module_of(task)} has no option {unknown}"


def test_allocate_examples_run_once_on_the_controller(module_docs):
    # its notes: the state file lives on the controller, one allocation for the play
    for where, task in examples(module_docs, "module"):
        if module_of(task) == "mesos.overlay.overlay_allocate":
            assert task.get("delegate_to") == "localhost" and task.get("run_once") is True, (where, task["name"])


def _v6_name(key):
    return key.endswith("6") or "ipv6" in key.lower()


def _family_slips(node, path="", v6_owner=False):
    """Values that are IPv4 under an IPv6 name (subnet6, address6, a network named dcos6)."""
    if isinstance(node, dict):
        # an overlay (a mapping with a subnet) named like an IPv6 one, such as dcos6
        owner = v6_owner or ("subnet" in node and _v6_name(str(node.get("name", ""))))
        for key, value in node.items():
            yield from _family_slips(value, f"{path}.{key}", owner or _v6_name(str(key)))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _family_slips(value, f"{path}[{i}]", v6_owner)
    elif isinstance(node, str) and v6_owner and "{{" not in node:
        try:
            if ipaddress.ip_network(node, strict=False).version == 4:
                yield f"{path}: {node}"
        except ValueError:
            pass


def test_examples_put_no_ipv4_under_an_ipv6_name(filter_docs, module_docs):
    for where, task in examples(filter_docs, "filter") + examples(module_docs, "module"):
        slips = list(_family_slips(task))
        assert not slips, f"{where}, task {task.get('name')!r}: IPv4 under an IPv6 name: {slips}"


# What a converged node's play has, for the filter examples that read it (an
# example reading another variable needs it here).
ALLOCATION = {
    "ip": "10.0.0.11", "role": "agent", "vtep_ip": "44.128.0.1/16", "vtep_ip6": None,
    "vtep_mac": "70:b3:d5:80:00:01",
    "overlays": {"vxlan-1": {"subnet": "192.168.0.0/24", "mesos_subnet": "192.168.0.0/25",
                             "docker_subnet": "192.168.0.128/25", "subnet6": None,
                             "mesos_subnet6": None, "docker_subnet6": None}},
}
PLAY_VARS = {
    "overlay_allocation": ALLOCATION,
    "overlay_allocations": {"localhost": ALLOCATION},
    "overlay_network_config": {
        "vtep_subnet": "44.128.0.0/16", "vtep_subnet6": None, "vtep_mac_oui": "70:B3:D5:00:00:00",
        "vtep_mtu": None,
        "overlays": [{"name": "vxlan-1", "subnet": "192.168.0.0/17", "prefix": 24, "subnet6": None,
                      "prefix6": None, "enabled": True}]},
    "overlay_netgroups": {"star-1": 1, "star-2": 2},
    "overlay_network": yaml.safe_load(
        (ROOT / "inventories" / "example" / "group_vars" / "all" / "overlay.yml").read_text())["overlay_network"],
    # ansible.builtin.slurp of the node's record, a failed module's result
    "slurped": {"content": base64.b64encode(b'{"version": 1, "overlays": {}}').decode()},
    "result": {"failed": True, "msg": "network_file: /etc/mesos/overlay.json: no such file"},
}
# What the agent role left on the node (read back as a fact).
HOST_VARS = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
             "overlay_agent_ip": "10.0.0.2",
             "ansible_local": {"mesos_overlay": {
                 "version": 1, "ip": "10.0.0.11",
                 "vtep": {"ip": "44.128.0.1/16", "ip6": None, "mac": "70:b3:d5:80:00:01"},
                 "overlays": {"vxlan-1": {"subnet": "192.168.0.0/24", "state": {"status": "STATUS_OK"}}}}}}
# The play's inventory: this machine as the cluster's one master.
INVENTORY = {"all": {"hosts": {"localhost": HOST_VARS},
                     "children": {"mesos_masters": {"hosts": {"localhost": {}}}, "mesos_agents": {"hosts": {}}}}}
RUNNABLE = {"ansible.builtin.debug", "ansible.builtin.set_fact", "ansible.builtin.assert"}


def stated_results(docs):
    """Task name -> the result an example states in the comment under it, where
    the comment is a whole JSON or Python literal (abridged ones are skipped)."""
    out = {}
    for doc in docs.values():
        name, comment = None, []
        for line in doc["examples"].splitlines() + ["- name: (end)"]:
            if line.startswith("- name:"):
                text = " ".join(comment)
                for parse in (json.loads, ast.literal_eval) if "..." not in text else ():
                    try:
                        out[name] = parse(text)
                        break
                    except (ValueError, SyntaxError):
                        continue
                name, comment = line.split(":", 1)[1].strip(), []
            elif line.strip().startswith("#"):
                comment.append(line.strip()[1:].strip())
            elif line.strip():
                comment = []
    out.pop(None, None)
    return out


def test_filter_examples_run_as_written_and_give_what_they_say(filter_docs, tmp_path):
    """Every filter example that only computes runs on localhost without an error
    and, where its comment states the result in full, gives that result; the
    others (copy, docker) are checked above for modules and options."""
    tasks = [pair[1] for pair in examples(filter_docs, "filter") if module_of(pair[1]) in RUNNABLE]
    assert len(tasks) >= 10
    play = [{"name": "filter examples", "hosts": "localhost", "gather_facts": False,
             "vars": PLAY_VARS, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(INVENTORY))
    proc = run(tool("ansible-playbook"), "-i", tmp_path / "hosts.yml", tmp_path / "play.yml",
               ANSIBLE_STDOUT_CALLBACK="json")
    report = json.loads(proc.stdout)
    stats = report["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["ok"] + stats["skipped"] == len(tasks), stats
    got = {t["task"]["name"]: t["hosts"]["localhost"].get("msg") for t in report["plays"][0]["tasks"]}
    stated = stated_results(filter_docs)
    assert len(stated) >= 5, stated
    for name, expected in stated.items():
        assert got[name] == expected, f"example {name!r} gives {got[name]!r}, its comment says {expected!r}"


def _under(root, node):
    """The example with every absolute controller path moved under ``root``."""
    if isinstance(node, dict):
        return {k: _under(root, v) for k, v in node.items()}
    if isinstance(node, list):
        return [_under(root, v) for v in node]
    if isinstance(node, str) and node.startswith("/") and "{{" not in node:
        return str(root) + node
    return node


def test_allocate_examples_run_as_written(module_docs, tmp_path):
    """overlay_allocate runs on the controller: its examples run here, paths
    moved under a scratch root where the files they read are made."""
    root = tmp_path / "root"
    config = yaml.safe_load((ROOT / "inventories" / "example" / "group_vars" / "all" / "overlay.yml").read_text())
    network = config["overlay_network"]
    dump = json.loads((ROOT / "tests" / "unit" / "files" / "overlay-master-state.json").read_text())
    for rel, doc in {
        "etc/mesos/overlay-master-state.json": dump,
        "etc/mesos/overlay-config.json": network,
        "opt/mesosphere/etc/overlay/config/master.json": {"network": network},
        "opt/mesosphere/etc/master_modules.json": {"libraries": [{
            "file": "/opt/mesosphere/lib/libmesos_network_overlay.so",
            "modules": [{"name": "com_mesosphere_mesos_OverlayMasterManager", "parameters": [
                {"key": "master_config", "value": f"{root}/opt/mesosphere/etc/overlay/config/master.json"}]}]}]},
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(json.dumps(doc))
    # a ZooKeeper ensemble is not at hand here: that example is checked above only
    tasks = [_under(root, pair[1]) for pair in examples(module_docs, "module")
             if module_of(pair[1]) == "mesos.overlay.overlay_allocate"
             and pair[1][module_of(pair[1])].get("state_backend") != "zookeeper"]
    assert len(tasks) >= 4
    play = [{"name": "overlay_allocate examples", "hosts": "all", "gather_facts": False, "tasks": tasks}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": HOST_VARS}}}))
    proc = run(tool("ansible-playbook"), "-i", tmp_path / "hosts.yml", tmp_path / "play.yml",
               ANSIBLE_STDOUT_CALLBACK="json")
    stats = json.loads(proc.stdout)["stats"]["localhost"]
    assert stats["failures"] == 0 and stats["ok"] == len(tasks), stats


def test_every_page_renders_without_a_warning(collection_link):
    for kind, names in (("module", MODULES), ("filter", sorted(FILTERS)), ("lookup", LOOKUPS)):
        if not names:
            continue
        proc = run(tool("ansible-doc"), "-t", kind, *[f"mesos.overlay.{n}" for n in names], ANSIBLE_NOCOLOR="1")
        assert proc.stderr.strip() == "", proc.stderr
        for name in names:
            assert f"mesos.overlay.{name}" in proc.stdout
