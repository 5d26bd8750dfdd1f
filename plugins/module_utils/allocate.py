# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``overlay_allocate`` module's run, on the controller: configuration,
allocator and state store together.  Shared by every backend (it knows no
data plane)."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import (
    Allocator,
    NodeRequest,
    State,
    publish,
)
from ansible_collections.mesos.overlay.plugins.module_utils.config import (
    ConfigError,
    NetworkConfig,
    load_network_file,
    parse_network,
)
from ansible_collections.mesos.overlay.plugins.module_utils.state import (
    open_store,
    update,
)
from ansible_collections.mesos.overlay.plugins.module_utils.state_diff import state_diff
from ansible_collections.mesos.overlay.plugins.module_utils.takeover import (
    ClaimError,
    claims_from_records,
    load_import,
    renumbered,
    renumbering_message,
    seed,
)


def _load_network(params: Dict[str, Any]) -> NetworkConfig:
    if params["network_file"]:
        return load_network_file(params["network_file"], params["network"] or {})
    return parse_network(params["network"])


def _import(value: Any) -> Any:
    """import_state: the document itself, or a path to it."""
    if value is None or isinstance(value, dict):
        return value
    try:
        with open(value, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ClaimError(f"import_state: cannot read {value!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise ClaimError(f"import_state: {value!r} is not valid JSON: {exc}") from None


AGENT_KEYS = ("name", "ip", "role")


def node_requests(raw: Any, field_name: str = "agents") -> List[NodeRequest]:
    """The ``agents`` option as requests, each element checked here, once.

    Ansible's per-element suboption checks cost twenty times this at 10,000
    nodes (docs/performance.md); the names, addresses and clashes are checked
    by the allocator.
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError(f"{field_name}: {raw!r} is not a list")
    out = []
    for index, item in enumerate(raw):
        path = f"{field_name}[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{path}: {item!r} is not an object with name and ip")
        for key in item:
            if key not in AGENT_KEYS:
                raise ConfigError(f"{path}.{key}: unknown field (expected one of {', '.join(AGENT_KEYS)})")
        for key in ("name", "ip"):
            if item.get(key) is None:
                raise ConfigError(f"{path}.{key}: missing")
            if not isinstance(item[key], str):
                raise ConfigError(f"{path}.{key}: {item[key]!r} is not a string")
        role = item.get("role")
        if role is None:
            role = "agent"
        elif role not in ("agent", "master"):
            raise ConfigError(f"{path}.role: {role!r} is not agent or master")
        out.append(NodeRequest(item["name"], item["ip"], role))
    return out


def run_allocate(module: Any) -> Dict[str, Any]:
    """The ``overlay_allocate`` module: the stored state (have), the
    configuration and the nodes (want), the allocator's new state (the plan),
    written unless in check mode (under the file's lock, or compare-and-set in
    ZooKeeper, re-reading and recomputing after a lost race); returns the
    allocations.  Claims (``import_state``, the nodes' records with
    ``recover``) are seeded first; a node whose allocation differs from its
    record fails the run before anything is written."""
    params = module.params
    requests = node_requests(params["agents"])
    network = _load_network(params)
    records = params.get("node_records") or {}
    imported = _import(params.get("import_state"))
    claims = load_import(imported, network, requests) if imported is not None else []
    if params.get("recover"):
        claims += claims_from_records(records, requests)

    with open_store(params.get("state_backend") or "file", params.get("state_file"),
                    params.get("zookeeper_hosts") or [], params.get("zookeeper_path"),
                    params.get("zookeeper_timeout") or 10.0) as store:

        def allocate(old: State):
            state = old.copy()
            seeded = seed(state, network, claims)
            result = Allocator(network, state).allocate(requests, params["remove"], params["prune"])
            lines = renumbered(result.state, records, skip=params["remove"])
            if lines:
                raise ClaimError(renumbering_message(lines, store.describe()))
            return result.state, (result, seeded)

        snap, _new, (result, seeded), changed = update(store, allocate, write=not module.check_mode)
        where = store.describe()

    out = {
        "changed": changed,
        "allocations": publish(result.state),
        "network": network.to_dict(),
        "netgroups": dict(result.state.netgroups),
        "added": result.added,
        "removed": result.removed,
        "updated": result.updated,
        "seeded": seeded,
        "state_file": params.get("state_file"),
        "state_store": where,
        "attempts": snap.attempt,
    }
    if module._diff and changed:
        # the stored state's change by node and overlay; disabled overlays'
        # blocks are in it too (reserved), so they are compared as well
        before = snap.state
        out["diff"] = state_diff(
            publish(before, include_disabled=True) if before.network else {},
            publish(result.state, include_disabled=True), where,
            before.network.to_dict() if before.network else None, network.to_dict())
    return out
