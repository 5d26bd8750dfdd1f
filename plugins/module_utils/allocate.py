# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``overlay_allocate`` module's run, on the controller: configuration,
allocator and state store together.  Shared by every backend (it knows no
data plane)."""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    Allocator,
    NodeRequest,
    State,
    publish,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    NetworkConfig,
    load_network_file,
    parse_network,
)
from ansible_collections.mesos.overlay.plugins.module_utils.state import (
    StateStore,
    serialize,
)


def _load_network(params: Dict[str, Any]) -> NetworkConfig:
    if params["network_file"]:
        return load_network_file(params["network_file"], params["network"] or {})
    return parse_network(params["network"])


def _diff(before_state: State, after_state: State, names: List[str]) -> Dict[str, Any]:
    before = publish(before_state) if before_state.network else {}
    after = publish(after_state)
    diff = {
        "before": {"nodes": {n: before[n] for n in names if n in before}},
        "after": {"nodes": {n: after[n] for n in names if n in after}},
    }
    old_net = before_state.network.to_dict() if before_state.network else None
    new_net = after_state.network.to_dict()
    if old_net != new_net:
        diff["before"]["network"] = old_net
        diff["after"]["network"] = new_net
    return diff


def run_allocate(module: Any) -> Dict[str, Any]:
    """The ``overlay_allocate`` module: the stored state (have), the
    configuration and the nodes (want), the allocator's new state (the plan),
    saved under the lock unless in check mode; returns the allocations."""
    params = module.params
    requests = [NodeRequest(a["name"], a["ip"], a["role"]) for a in params["agents"]]
    store = StateStore(params["state_file"])
    network = _load_network(params)

    def allocate():
        old, previous = store.load()
        result = Allocator(network, old).allocate(requests, params["remove"], params["prune"])
        changed = serialize(result.state) != previous
        if changed and not module.check_mode:
            store.save(result.state, previous)
        return old, result, changed

    if module.check_mode:
        old, result, changed = allocate()
    else:
        with store.locked():
            old, result, changed = allocate()

    out = {
        "changed": changed,
        "allocations": publish(result.state),
        "network": network.to_dict(),
        "netgroups": dict(result.state.netgroups),
        "added": result.added,
        "removed": result.removed,
        "updated": result.updated,
        "state_file": store.path,
    }
    if module._diff and changed:
        out["diff"] = _diff(old, result.state, result.removed + result.updated + result.added)
    return out
