# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``overlay_allocate`` module's run, on the controller: configuration,
allocator and state store together.  Shared by every backend (it knows no
data plane)."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    Allocator,
    NodeRequest,
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
from ansible_collections.mesos.overlay.plugins.module_utils.state_diff import state_diff


def _load_network(params: Dict[str, Any]) -> NetworkConfig:
    if params["network_file"]:
        return load_network_file(params["network_file"], params["network"] or {})
    return parse_network(params["network"])


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
        # the state file's change by node and overlay; disabled overlays' blocks
        # are in it too (reserved), so they are compared as well
        out["diff"] = state_diff(
            publish(old, include_disabled=True) if old.network else {},
            publish(result.state, include_disabled=True), store.path,
            old.network.to_dict() if old.network else None, network.to_dict())
    return out
