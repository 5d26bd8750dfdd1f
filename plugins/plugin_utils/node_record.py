# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node's record: what the agent role made on a node and each overlay's status.

The agent role keeps it as the local fact ``mesos_overlay`` (JSON). Each step of the
role only registers its result; ``node_record`` builds the record from those results
and the record of the earlier run. No Ansible imports: the unit tests call it directly.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set

OK = "STATUS_OK"
FAILED = "STATUS_FAILED"
CONFIGURING = "STATUS_CONFIGURING"
RECORD_VERSION = 1
BLOCK_KEYS = ("subnet", "mesos_subnet", "docker_subnet", "subnet6", "mesos_subnet6", "docker_subnet6")

# The registered results node_record reads, by the name the role gives them.
STEPS = ("cni_dir", "cni", "cni_removed", "docker_engine", "docker_plan", "docker",
         "docker_removed", "nat")


def state(status: str, error: Optional[str] = None) -> Dict[str, str]:
    """``{status, error?}`` as the DC/OS state view shows it."""
    out = {"status": status}
    if error:
        out["error"] = error
    return out


def merge_errors(errors: Any) -> Dict[str, List[str]]:
    """One ``{overlay: [messages]}`` from a dict of those, or a list of them."""
    if not errors:
        return {}
    if isinstance(errors, Mapping):
        errors = [errors]
    out: Dict[str, List[str]] = {}
    for part in errors:
        for name, msgs in (part or {}).items():
            if isinstance(msgs, str):
                msgs = [msgs]
            out.setdefault(name, []).extend(str(m) for m in msgs if m)
    return out


def node_fact(allocation: Mapping[str, Any], errors: Any = None,
              mesos_bridge: bool = True, docker_bridge: bool = True,
              cni_files: Iterable[str] = (), docker_networks: Iterable[str] = (),
              configuring: Iterable[str] = (), vtep: Optional[Mapping[str, Any]] = None,
              states: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The record of a node, given its allocation and the outcome per overlay.

    Per overlay the record holds the blocks of ``BLOCK_KEYS`` and, with netgroups,
    ``netgroups`` (netgroup -> the block of the docker network of that overlay and
    netgroup), as the allocation gives them.
    ``errors`` maps an overlay to a list of messages (or one string): any message
    makes its status FAILED with the messages joined by ``; ``. Overlays named in
    ``configuring`` are CONFIGURING; otherwise ``states`` (overlay -> state) gives the
    state, and OK is the default. No timestamps: an unchanged node writes an
    identical record.
    """
    errors = merge_errors(errors)
    configuring = set(configuring)
    states = states or {}
    overlays: Dict[str, Any] = {}
    for name, block in (allocation.get("overlays") or {}).items():
        errs = [str(e) for e in errors.get(name) or [] if e]
        entry = {k: (block or {}).get(k) for k in BLOCK_KEYS}
        if (block or {}).get("netgroups"):
            # the blocks of the docker networks of this overlay's netgroups: held like the
            # overlay's own block (a renumbering of them is refused, a recovery rebuilds them)
            entry["netgroups"] = dict(block["netgroups"])
        if errs:
            entry["state"] = state(FAILED, "; ".join(errs))
        elif name in configuring:
            entry["state"] = state(CONFIGURING)
        else:
            entry["state"] = dict(states.get(name) or state(OK))
        overlays[name] = entry
    return {
        "version": RECORD_VERSION,
        "ip": allocation.get("ip"),
        "vtep": dict(vtep or {}, ip=allocation.get("vtep_ip"), ip6=allocation.get("vtep_ip6"),
                     mac=allocation.get("vtep_mac")),
        "mesos_bridge": bool(mesos_bridge),
        "docker_bridge": bool(docker_bridge),
        "overlays": overlays,
        "cni_files": sorted(set(cni_files)),
        "docker_networks": sorted(set(docker_networks)),
    }


def _dig(data: Any, path: str) -> Any:
    for key in path.split("."):
        data = data.get(key) if isinstance(data, Mapping) else None
    return data


def _items(result: Any) -> List[Mapping[str, Any]]:
    """The per-item results of a registered loop (a task that is not a loop: itself)."""
    if not isinstance(result, Mapping):
        return []
    items = result.get("results") if "results" in result else [result]
    return [i for i in items or [] if isinstance(i, Mapping)]


def _msg(item: Mapping[str, Any]) -> str:
    return str(item.get("msg") or "failed").strip()


def failures(result: Any, part: str, key: str = "item", names: Iterable[str] = ()) -> Dict[str, List[str]]:
    """``{overlay: ["<part>: <msg>"]}`` for the failed items of a registered task result.

    A loop result is split by ``key`` (a dotted path into each item's result, the
    overlay's name). With ``names``, a failure is charged to every overlay of
    ``names``. Skipped or successful items give nothing.
    """
    names = list(names)
    out: Dict[str, List[str]] = {}
    for item in _items(result):
        if not item.get("failed"):
            continue
        for name in names or [_dig(item, key)]:
            if name is not None:
                out.setdefault(str(name), []).append(f"{part}: {_msg(item)}")
    return out


def _done(result: Any, key: str = "item") -> Set[str]:
    """The items of a registered loop that ran and did not fail."""
    return {str(_dig(i, key)) for i in _items(result)
            if not i.get("failed") and not i.get("skipped") and _dig(i, key) is not None}


def _failed(result: Any) -> bool:
    return isinstance(result, Mapping) and bool(result.get("failed"))


def node_record(allocation: Mapping[str, Any], old: Optional[Mapping[str, Any]] = None,
                results: Optional[Mapping[str, Any]] = None, cni_dir: str = "/var/lib/mesos/cni",
                mesos_bridge: bool = True, docker_bridge: bool = True,
                vtep: Optional[Mapping[str, Any]] = None, docker_host: str = "",
                configuring: bool = False, failure: Optional[str] = None) -> Dict[str, Any]:
    """The node's record after a run of the agent role.

    ``results`` holds the registered results of the role's steps, by the names of
    ``STEPS`` (a step that did not run is missing or null):

    - ``cni_dir``: making ``cni_dir`` (a failure fails every overlay's CNI config);
    - ``cni``: the loop writing ``<cni_dir>/<item>.conf`` per overlay name;
    - ``cni_removed``: the loop removing files an earlier run wrote (items are paths);
    - ``docker_engine``: reaching the engine (a failure fails every docker half);
    - ``docker_plan``: ``overlay_docker_plan``'s list (a ``conflict`` fails that overlay);
    - ``docker``: the loop making networks (``item.name``);
    - ``docker_removed``: the loop removing networks an earlier run made (items are names);
    - ``nat``: ``overlay_nat`` (a failure fails every overlay).

    What the record says the node holds is what the earlier record said, less what
    was removed, plus what was made: a failed or skipped removal keeps the file or
    network recorded, so a later run tries again. ``failure`` (an unexpected error
    that stopped the run) fails every overlay. With ``configuring``, the results are
    not read: overlays the earlier record does not know are CONFIGURING and the
    others keep their earlier state, and the earlier record's ``netgroups`` (the
    netgroup policy, written by the role) is kept (written before the work starts).
    """
    old = old or {}
    results = results or {}
    unknown = sorted(set(results) - set(STEPS))
    if unknown:
        raise ValueError(f"results: unknown steps {', '.join(unknown)} (known: {', '.join(STEPS)})")
    names = sorted(allocation.get("overlays") or {})
    old_states = {n: o.get("state") for n, o in (old.get("overlays") or {}).items()
                  if isinstance(o, Mapping) and o.get("state")}
    cni_files = set(old.get("cni_files") or [])
    networks = set(old.get("docker_networks") or [])
    common = {"mesos_bridge": mesos_bridge, "docker_bridge": docker_bridge, "vtep": vtep}
    if configuring:
        record = node_fact(allocation, cni_files=cni_files, docker_networks=networks,
                           configuring=[n for n in names if n not in old_states], states=old_states, **common)
        if isinstance(old.get("netgroups"), Mapping):
            # the node still runs the earlier netgroup policy (its policy IDs, which a
            # recovery rebuilds the state's from) until the run's final record replaces it
            record["netgroups"] = dict(old["netgroups"])
        return record

    errors: List[Dict[str, List[str]]] = []
    mesos_names = names if mesos_bridge else []
    docker_names = names if docker_bridge else []
    get = results.get

    if _failed(get("cni_dir")):
        errors.append(failures(get("cni_dir"), "cni", names=mesos_names))
    errors.append(failures(get("cni"), "cni"))
    cni_files -= _done(get("cni_removed"))
    cni_files |= {f"{cni_dir.rstrip('/')}/{n}.conf" for n in _done(get("cni"))}

    if _failed(get("docker_engine")):
        reason = _msg(get("docker_engine"))
        errors.append({n: [f"docker: no Docker engine at {docker_host}: {reason}"] for n in docker_names})
    for plan in get("docker_plan") or []:
        if plan.get("conflict"):
            errors.append({plan["name"]: [f"docker: {plan['conflict']}"]})
    errors.append(failures(get("docker"), "docker", key="item.name"))
    networks -= _done(get("docker_removed"))
    networks |= _done(get("docker"), key="item.name")

    if _failed(get("nat")):
        errors.append(failures(get("nat"), "nat", names=names))
    if failure:
        errors.append({n: [f"node: {failure}"] for n in names})

    return node_fact(allocation, errors=errors, cni_files=cni_files, docker_networks=networks,
                     states={}, **common)


def failed_overlays(record: Mapping[str, Any]) -> Dict[str, str]:
    """``{overlay: error}`` of the record's FAILED overlays."""
    return {n: (o.get("state") or {}).get("error") or "" for n, o in sorted((record.get("overlays") or {}).items())
            if (o.get("state") or {}).get("status") == FAILED}


def parse_record(text: Any, path: str = "the record") -> Dict[str, Any]:
    """The record read from ``path``: a JSON object, or a ValueError saying why not."""
    try:
        record = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the record of an earlier run ({exc}); "
                         "fix or remove it (the role would forget what it made)") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}: the record of an earlier run is a {type(record).__name__}, "
                         "not a JSON object; fix or remove it (the role would forget what it made)")
    return record
