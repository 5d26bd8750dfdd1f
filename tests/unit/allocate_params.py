"""overlay_allocate's parameters with every option at its default, for run_allocate()."""

from types import SimpleNamespace

DEFAULTS = {
    "network": None, "network_file": None, "agents": [], "state_file": None, "prune": False,
    "remove": [], "state_backend": "file", "zookeeper_hosts": [], "zookeeper_path": None,
    "zookeeper_timeout": 10.0, "import_state": None, "node_records": {}, "recover": False,
}


def allocate_module(check_mode=False, diff=False, **params):
    """What run_allocate() reads from an AnsibleModule."""
    return SimpleNamespace(params=dict(DEFAULTS, **params), check_mode=check_mode, _diff=diff)
