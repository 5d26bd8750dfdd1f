# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netgroup isolation on a node: ipsets and iptables rules, read once, diffed, applied once.

Plain Python, no Ansible imports: the module ``overlay_netgroups`` is a thin
wrapper, and the CNI plugin (``roles/agent/files/mesos-overlay-netgroups``)
only adds and removes set entries named by the CNI config the role writes.

How it works (DESIGN.md, "Netgroup isolation"): every netgroup has a policy
ID, one bit of ``OWN_MASK``. With netgroups on, ``vtep1024`` is a VXLAN-GBP
device: the low 16 bits of a packet's mark travel in the VXLAN header and
become the mark of the packet on the receiving node. So:

* membership, per netgroup, is the ipset ``mo-ng-<name>`` (``hash:net`` with
  comments) of the node's *own* members: the addresses of its Mesos tasks
  (entries ``task:<container id>``, added by the CNI plugin) and the blocks of
  its docker networks of that netgroup (entries ``mesos-overlay:docker``,
  kept by this module);
* ``mangle`` ``PREROUTING`` (chain ``MESOS-OVERLAY-NG-MARK``): a packet coming
  in from the VTEP keeps only our bits; a packet from a local member gets the
  bit of each of its netgroups (``--or-mark``);
* ``mangle`` ``POSTROUTING`` (chain ``MESOS-OVERLAY-NG-OUT``): a packet leaving
  through the VTEP has the other low 16 bits cleared, so other software's
  marks never go on the wire;
* ``filter`` (chain ``MESOS-OVERLAY-NG``, jumped from ``FORWARD`` and
  ``DOCKER-USER``, always as their first rule so that it runs before the
  overlay's ACCEPT rules): replies (``ESTABLISHED``/``RELATED``) and
  connections from the cluster's nodes (ipset ``mo-nodes``: underlay and VTEP
  addresses) return at once; a new connection into an ``isolated`` overlay
  from anywhere else is dropped; a new connection to a member of a netgroup
  returns when its mark carries that netgroup's bit, else it is dropped.
  Destinations in no netgroup are not restricted.

Ownership: every rule carries ``-m comment --comment mesos-overlay-ng...``;
our chains and sets have our prefixes (``MESOS-OVERLAY-NG``, ``mo-ng-``,
``mo-nodes``). Nothing else is touched.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.nat import (
    NatError,
    Runner,
    Rule,
    Tables,
    Tools,
    _is_ours,
    _norm_net,
    _run,
    command_runner,
    parse_iptables_save,
    render,
    tools_for,
)

COMMENT = "mesos-overlay-ng"
CHAIN = "MESOS-OVERLAY-NG"
MARK_CHAIN = "MESOS-OVERLAY-NG-MARK"
OUT_CHAIN = "MESOS-OVERLAY-NG-OUT"
SET_PREFIX = "mo-ng-"
NODES_SET = "mo-nodes"
DOCKER_ENTRY = "mesos-overlay:docker"
TASK_ENTRY = "task:"
OWN_MASK = 0x0FFF          # the mark bits that are ours: one per netgroup
WIRE_MASK = 0xFFFF         # the bits VXLAN-GBP carries
DOCKER_USER = "DOCKER-USER"

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,23}")
_IFACE_RE = re.compile(r"[A-Za-z0-9_.:-]{1,15}")


class NetgroupError(NatError):
    """A request or a host state we cannot work with; the message names it."""


def set_name(netgroup: str) -> str:
    """The ipset holding a netgroup's members on a node (at most 31 characters)."""
    return SET_PREFIX + netgroup


def docker_bridge(overlay: str, netgroup: str) -> str:
    """The bridge of the docker network of (overlay, netgroup): short and stable."""
    digest = hashlib.sha256(f"{overlay}/{netgroup}".encode()).hexdigest()[:8]
    return "ngd-" + digest


def docker_network_name(overlay: str, netgroup: str) -> str:
    return f"{overlay}.{netgroup}"


# --------------------------------------------------------------------------
# The wanted state


@dataclass(frozen=True)
class Group:
    name: str
    policy_id: int
    docker_blocks: Tuple[str, ...] = ()

    @property
    def set(self) -> str:
        return set_name(self.name)


@dataclass(frozen=True)
class Spec:
    groups: Tuple[Group, ...] = ()
    isolated: Tuple[str, ...] = ()      # subnets of isolated overlays
    nodes: Tuple[str, ...] = ()         # addresses of the cluster's nodes
    vtep: str = "vtep1024"

    @property
    def active(self) -> bool:
        return bool(self.groups or self.isolated)


def _net(path: str, value: object) -> str:
    try:
        net = ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        raise NetgroupError(f"{path}: {value!r} is not an IPv4 network in CIDR notation") from None
    if net.version != 4:
        raise NetgroupError(f"{path}: {value!r} is not IPv4 (netgroup isolation is IPv4 only)")
    return str(net)


def make_spec(netgroups: Dict[str, int], docker_blocks: Optional[Dict[str, Sequence[str]]] = None,
              isolated: Sequence[str] = (), nodes: Sequence[str] = (), vtep: str = "vtep1024") -> Spec:
    """Validate raw options into a :class:`Spec`; errors name the field and the value."""
    if not isinstance(netgroups, dict):
        raise NetgroupError(f"netgroups: {netgroups!r} is not a mapping of names to policy IDs")
    docker_blocks = docker_blocks or {}
    groups: List[Group] = []
    seen_ids: Dict[int, str] = {}
    for name in sorted(netgroups):
        pid = netgroups[name]
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise NetgroupError(f"netgroups: {name!r} is not a netgroup name")
        if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 0 or pid & ~OWN_MASK or pid & (pid - 1):
            raise NetgroupError(
                f"netgroups.{name}: {pid!r} is not a policy ID (a single bit of {OWN_MASK:#06x})")
        if pid in seen_ids:
            raise NetgroupError(f"netgroups.{name}: policy ID {pid} is also that of {seen_ids[pid]!r}")
        seen_ids[pid] = name
        blocks = tuple(sorted(_net(f"docker_blocks.{name}", b) for b in docker_blocks.get(name) or ()))
        groups.append(Group(name, pid, blocks))
    unknown = sorted(set(docker_blocks) - set(netgroups))
    if unknown:
        raise NetgroupError(f"docker_blocks: {unknown[0]!r} is not one of the netgroups")
    if not _IFACE_RE.fullmatch(vtep or ""):
        raise NetgroupError(f"vtep: {vtep!r} is not an interface name")
    iso = tuple(_net(f"isolated[{i}]", s) for i, s in enumerate(isolated or ()))
    addrs = []
    for i, a in enumerate(nodes or ()):
        try:
            addrs.append(str(ipaddress.IPv4Address(str(a).split("/", maxsplit=1)[0])))
        except ValueError:
            raise NetgroupError(f"nodes[{i}]: {a!r} is not an IPv4 address") from None
    return Spec(tuple(groups), iso, tuple(sorted(set(addrs), key=ipaddress.IPv4Address)), vtep)


def _c(suffix: str = "") -> Rule:
    return ("-m", "comment", "--comment", COMMENT + (":" + suffix if suffix else ""))


def _hex(value: int) -> str:
    return f"{value:#x}"


def chain_rules(spec: Spec) -> Dict[Tuple[str, str], List[Rule]]:
    """The full content of our chains, as iptables-save prints them back.

    The mangle chains (marking and masks) only with netgroups; the filter chain
    whenever there is a netgroup or an isolated overlay.
    """
    mark: List[Rule] = [("-i", spec.vtep) + _c() + ("-j", "MARK", "--set-xmark", f"0x0/{_hex(0xFFFFFFFF & ~OWN_MASK)}")]
    for g in spec.groups:
        mark.append(("!", "-i", spec.vtep, "-m", "set", "--match-set", g.set, "src") + _c(g.name)
                    + ("-j", "MARK", "--set-xmark", f"{_hex(g.policy_id)}/{_hex(g.policy_id)}"))
    out: List[Rule] = [("-o", spec.vtep) + _c() + ("-j", "MARK", "--set-xmark", f"0x0/{_hex(WIRE_MASK & ~OWN_MASK)}")]
    filt: List[Rule] = [
        ("-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED") + _c() + ("-j", "RETURN"),
        ("-m", "set", "--match-set", NODES_SET, "src") + _c() + ("-j", "RETURN"),
    ]
    for subnet in spec.isolated:
        filt.append(("!", "-s", subnet, "-d", subnet) + _c("isolated") + ("-j", "DROP"))
    for g in spec.groups:
        filt.append(("-m", "set", "--match-set", g.set, "dst", "-m", "mark", "--mark", f"{_hex(g.policy_id)}/{_hex(g.policy_id)}")
                    + _c(g.name) + ("-j", "RETURN"))
    for g in spec.groups:
        filt.append(("-m", "set", "--match-set", g.set, "dst") + _c(g.name) + ("-j", "DROP"))
    chains = {("filter", CHAIN): filt}
    if spec.groups:
        chains.update({("mangle", MARK_CHAIN): mark, ("mangle", OUT_CHAIN): out})
    return chains


# where each chain of ours is jumped from
JUMPS: Tuple[Tuple[str, str, str], ...] = (
    ("mangle", "PREROUTING", MARK_CHAIN),
    ("mangle", "POSTROUTING", OUT_CHAIN),
    ("filter", "FORWARD", CHAIN),
    ("filter", DOCKER_USER, CHAIN),
)


def jump_rule(chain: str) -> Rule:
    return _c() + ("-j", chain)


# --------------------------------------------------------------------------
# ipsets


@dataclass
class IpSet:
    name: str
    header: Tuple[str, ...]
    members: Dict[str, str] = field(default_factory=dict)   # entry -> comment ('' without)


def parse_ipset_save(text: str) -> Dict[str, IpSet]:
    """Our sets (``mo-ng-*``, ``mo-nodes``) from ``ipset save`` output."""
    sets: Dict[str, IpSet] = {}
    for line in text.splitlines():
        if not line.startswith(("create ", "add ")):
            continue
        try:
            tokens = shlex.split(line)
        except ValueError:
            continue  # a line we cannot split is not one of ours: ours have plain comments
        if len(tokens) < 3 or not is_our_set(tokens[1]):
            continue
        if tokens[0] == "create":
            sets[tokens[1]] = IpSet(tokens[1], tuple(tokens[2:]))
        elif tokens[1] in sets:
            comment = ""
            if "comment" in tokens[3:]:
                at = tokens.index("comment", 3)
                comment = tokens[at + 1] if at + 1 < len(tokens) else ""
            sets[tokens[1]].members[_norm_net(tokens[2])] = comment
    return sets


def is_our_set(name: str) -> bool:
    return name.startswith(SET_PREFIX) or name == NODES_SET


def wanted_sets(spec: Spec) -> Dict[str, Dict[str, str]]:
    """Per set, the entries this module keeps (the CNI plugin keeps the ``task:`` ones)."""
    out: Dict[str, Dict[str, str]] = {}
    if spec.active:
        out[NODES_SET] = {f"{a}/32": "" for a in spec.nodes}
    for g in spec.groups:
        out[g.set] = {b: DOCKER_ENTRY for b in g.docker_blocks}
    return out


def _set_ok(ipset: IpSet) -> bool:
    head = ipset.header
    return bool(head) and head[0] == "hash:net" and "comment" in head and \
        ("family" not in head or head[head.index("family") + 1] == "inet")


# --------------------------------------------------------------------------
# The plan


@dataclass
class Plan:
    ipset_pre: List[str] = field(default_factory=list)     # before the rules (create, add, del)
    iptables: Dict[str, List[str]] = field(default_factory=dict)
    ipset_post: List[str] = field(default_factory=list)    # after the rules (destroy)
    before: List[str] = field(default_factory=list)
    after: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.ipset_pre or self.ipset_post) or any(self.iptables.values())

    def iptables_script(self) -> str:
        out: List[str] = []
        for table in ("mangle", "filter"):
            if self.iptables.get(table):
                out += ["*" + table] + self.iptables[table] + ["COMMIT"]
        return "\n".join(out) + "\n" if out else ""


def _describe(sets: Dict[str, IpSet], own: Dict[Tuple[str, str], Optional[List[Rule]]],
              jumps: Dict[Tuple[str, str], bool]) -> List[str]:
    out: List[str] = []
    for name in sorted(sets):
        out.append(f"ipset {name} {' '.join(sets[name].header[:1])}")
        for entry, comment in sorted(sets[name].members.items()):
            if not comment.startswith(TASK_ENTRY):
                out.append(f"ipset {name} {entry}" + (f" {comment}" if comment else ""))
    for (table, chain), present in sorted(jumps.items()):
        if present:
            out.append(f"-t {table} -A {chain} {render(jump_rule(_target(table, chain)))} (first)")
    for (table, chain), rules in sorted(own.items()):
        if rules is None:
            continue
        out.append(f"-t {table} -N {chain}")
        out.extend(f"-t {table} -A {chain} {render(r)}" for r in rules)
    return out


def _target(table: str, chain: str) -> str:
    for t, c, target in JUMPS:
        if (t, c) == (table, chain):
            return target
    raise KeyError(chain)


def plan(spec: Spec, tables: Tables, sets: Dict[str, IpSet], present: bool = True) -> Plan:
    """What turns the host into the wanted state (``present`` and ``spec.active``) or removes ours."""
    want = present and spec.active
    result = Plan()
    own_have = {(t, c): (tables.rules(t, c) if tables.has_chain(t, c) else None)
                for t, c in (("mangle", MARK_CHAIN), ("mangle", OUT_CHAIN), ("filter", CHAIN))}
    jump_have = {}
    for table, chain, target in JUMPS:
        if table == "filter" and chain == DOCKER_USER and not tables.has_chain(table, chain):
            continue
        rules = tables.rules(table, chain)
        jump_have[(table, chain)] = bool(rules) and rules[0] == jump_rule(target)
    result.before = _describe(sets, own_have, jump_have)

    # sets: created and filled before the rules use them, destroyed after
    want_sets = wanted_sets(spec) if want else {}
    for name, entries in want_sets.items():
        have = sets.get(name)
        if have is not None and not _set_ok(have):
            raise NetgroupError(
                f"ipset {name!r} exists as {' '.join(have.header)}, not hash:net family inet comment;"
                " remove it (and the rules using it) and run again")
        if have is None:
            result.ipset_pre.append(f"create {name} hash:net family inet comment")
        members = have.members if have else {}
        for entry, comment in sorted(members.items()):
            if comment.startswith(TASK_ENTRY) and name != NODES_SET:
                continue  # the CNI plugin's
            if entries.get(entry) != comment:
                result.ipset_pre.append(f"del {name} {entry}")
        for entry, comment in entries.items():
            if members.get(entry) != comment:
                result.ipset_pre.append(f"add {name} {entry}" + (f' comment "{comment}"' if comment else ""))
    for name in sorted(sets):
        if name not in want_sets:
            result.ipset_post.append(f"destroy {name}")

    # rules: our chains rewritten whole when they differ; jumps kept first
    want_chains = chain_rules(spec) if want else {}
    lines: Dict[str, List[str]] = {"mangle": [], "filter": []}
    for (table, chain), rules in want_chains.items():
        if own_have[(table, chain)] != rules:
            lines[table].append(f":{chain} - [0:0]")
            lines[table].extend(f"-A {chain} {render(r)}" for r in rules)
    for (table, chain), first in jump_have.items():
        target = _target(table, chain)
        wanted = (table, target) in want_chains
        ours = [r for r in tables.rules(table, chain) if _is_ours(r, COMMENT)]
        if not (wanted and first and len(ours) == 1):
            lines[table].extend(f"-D {chain} {render(r)}" for r in ours)
            if wanted:
                lines[table].append(f"-I {chain} 1 {render(jump_rule(target))}")
    for (table, chain), rules in own_have.items():
        if rules is not None and (table, chain) not in want_chains:
            lines[table] += [f"-F {chain}", f"-X {chain}"]
    result.iptables = {t: ls for t, ls in lines.items() if ls}

    if want:
        after_sets = {n: IpSet(n, ("hash:net",), dict(e)) for n, e in want_sets.items()}
        result.after = _describe(after_sets, dict(want_chains),
                                 {k: (k[0], _target(*k)) in want_chains for k in jump_have})
    return result


# --------------------------------------------------------------------------
# Running it


def read_state(run: Runner, tools: Tools) -> Tuple[Tables, Dict[str, IpSet]]:
    tables = parse_iptables_save(_run(run, [tools.iptables_save]))
    sets = parse_ipset_save(_run(run, [tools.ipset, "save"]))
    return tables, sets


def apply(run: Runner, tools: Tools, result: Plan) -> None:
    if result.ipset_pre:
        _run(run, [tools.ipset, "restore"], "\n".join(result.ipset_pre) + "\n")
    if any(result.iptables.values()):
        _run(run, [tools.iptables_restore, "--noflush"], result.iptables_script())
    if result.ipset_post:
        _run(run, [tools.ipset, "restore"], "\n".join(result.ipset_post) + "\n")


def reconcile(run: Runner, spec: Spec, present: bool = True, check: bool = False,
              backend: str = "auto") -> Plan:
    """Read once, plan, apply unless ``check``. Returns the plan."""
    tools = tools_for(backend)
    tables, sets = read_state(run, tools)
    result = plan(spec, tables, sets, present=present)
    if result.changed and not check:
        apply(run, tools, result)
    return result


def run_netgroups(module: Any) -> Dict[str, Any]:
    """The ``overlay_netgroups`` module: check the input, reconcile (nothing
    written in check mode), return the commands (the plan)."""
    p = module.params
    ids = {}
    for name, value in (p["netgroups"] or {}).items():
        try:
            ids[name] = int(value)
        except (TypeError, ValueError):
            raise NetgroupError(f"netgroups.{name}: {value!r} is not a policy ID") from None
    spec = make_spec(ids, p["docker_blocks"], isolated=p["isolated"], nodes=p["nodes"], vtep=p["vtep"])
    result = reconcile(command_runner(module), spec, present=p["state"] == "present", check=module.check_mode,
                       backend=p["backend"])
    out = dict(
        changed=result.changed,
        commands=dict(ipset=result.ipset_pre + result.ipset_post,
                      iptables=result.iptables_script().splitlines()),
    )
    if module._diff:
        out["diff"] = dict(before="\n".join(result.before) + "\n", after="\n".join(result.after) + "\n")
    return out


__all__ = [
    "NetgroupError", "Spec", "Group", "make_spec", "plan", "reconcile", "run_netgroups", "set_name",
    "docker_bridge", "docker_network_name", "OWN_MASK",
]
