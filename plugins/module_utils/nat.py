# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""NAT and forwarding for the overlays: an ipset and a few iptables rules.

Plain Python, no Ansible imports: the module ``overlay_nat`` is a thin wrapper.

What a node gets (DESIGN.md, "Per overlay on an agent"):

* the ipset ``overlay`` (``hash:net``) holding ``0.0.0.0/1``, ``128.0.0.0/1``
  and every overlay subnet flagged ``nomatch``: "anything but the overlays";
* per overlay, in ``nat`` ``POSTROUTING``:
  ``-s <subnet> -m set --match-set overlay dst -j MASQUERADE``;
* forwarding between the overlay interfaces (the VTEP, ``m-<name>``,
  ``d-<name>``) accepted even when the ``FORWARD`` policy is ``DROP`` (Docker
  sets it) and across Docker's isolation chains.

Forwarding is done with two chains of our own in ``filter``:

``MESOS-OVERLAY`` (jumped from ``FORWARD``, and from ``DOCKER-USER`` when that
chain exists):
  * ``-i <ours> -g MESOS-OVERLAY-IN`` for every overlay interface;
  * ``-o <bridge> -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`` for
    every overlay bridge (replies to masqueraded traffic).

``MESOS-OVERLAY-IN`` (entered by ``goto``, so falling off its end returns to
the chain that jumped to ``MESOS-OVERLAY``):
  * ``-o <ours> -j ACCEPT`` for every overlay interface: overlay to overlay,
    whatever Docker's isolation chains would say;
  * ``-i m-<name> -j ACCEPT``: a Mesos bridge is not Docker's, so Docker's rules
    never accept its traffic out of the overlay (to be masqueraded).

Why ``DOCKER-USER``: Docker 20.10 keeps ``-j DOCKER-USER`` as the first rule of
``FORWARD`` and follows it with ``-j DOCKER-ISOLATION-STAGE-1``, whose second
stage drops traffic from one Docker bridge into another (``d-a`` to ``d-b``).
Only a rule reached from ``DOCKER-USER`` runs before that. The ``FORWARD`` jump
covers hosts without Docker, and hosts where Docker starts after us (the next
run adds the ``DOCKER-USER`` jump).

Every rule we add carries ``-m comment --comment mesos-overlay...``; rules in
built-in chains without that comment are never touched.

The state is read once (``iptables-save``, ``ipset save``), the difference
computed here, and applied in one go (``ipset restore``,
``iptables-restore --noflush``). Declaring an existing user chain in a
``--noflush`` restore flushes it, which is how our own chains are rewritten.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import OverlayError

COMMENT = "mesos-overlay"
IPSET = "overlay"
CHAIN = "MESOS-OVERLAY"
DOCKER_USER = "DOCKER-USER"
UNIVERSE = ("0.0.0.0/1", "128.0.0.0/1")

Rule = Tuple[str, ...]

# All matched with fullmatch: the whole string ("$" would let a trailing newline through).
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,12}")
_IFACE_RE = re.compile(r"[A-Za-z0-9_.:-]{1,15}")
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_./:,!=+-]+")


class NatError(OverlayError):
    """A request or a host state we cannot work with; the message names it."""


@dataclass(frozen=True)
class Overlay:
    """An overlay as far as NAT is concerned: its name and its whole subnet."""

    name: str
    subnet: str


@dataclass(frozen=True)
class NatSpec:
    """What the node should have."""

    overlays: Tuple[Overlay, ...] = ()
    vtep: str = "vtep1024"
    mesos_bridge: bool = True
    docker_bridge: bool = True
    ipset: str = IPSET
    chain: str = CHAIN
    comment: str = COMMENT
    # more docker bridges of the overlays (the docker networks of netgroups)
    extra_bridges: Tuple[str, ...] = ()

    @property
    def in_chain(self) -> str:
        return self.chain + "-IN"

    def bridges(self) -> List[str]:
        out: List[str] = []
        for ov in self.overlays:
            if self.mesos_bridge:
                out.append("m-" + ov.name)
            if self.docker_bridge:
                out.append("d-" + ov.name)
        return out + list(self.extra_bridges)

    def interfaces(self) -> List[str]:
        return [self.vtep] + self.bridges()


def make_spec(overlays: Sequence[dict], vtep: str = "vtep1024", mesos_bridge: bool = True,
              docker_bridge: bool = True, ipset: str = IPSET, chain: str = CHAIN,
              comment: str = COMMENT, extra_bridges: Sequence[str] = ()) -> NatSpec:
    """Validate raw options into a :class:`NatSpec`; errors name the field and the value."""
    seen = set()
    items: List[Overlay] = []
    for idx, raw in enumerate(overlays or []):
        if not isinstance(raw, dict):
            raise NatError(f"overlays[{idx}]: expected a dict with name and subnet, got {raw!r}")
        name = raw.get("name")
        if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
            raise NatError(f"overlays[{idx}].name: {name!r} is not an overlay name (1-13 characters)")
        if name in seen:
            raise NatError(f"overlays[{idx}].name: {name!r} is given twice")
        seen.add(name)
        try:
            net = ipaddress.ip_network(str(raw.get("subnet")), strict=True)
        except ValueError:
            raise NatError(f"overlays[{idx}].subnet: {raw.get('subnet')!r} is not an IPv4 network in CIDR notation") from None
        if net.version != 4:
            raise NatError(f"overlays[{idx}].subnet: {raw.get('subnet')!r} is not IPv4 (NAT is IPv4 only)")
        items.append(Overlay(name=name, subnet=str(net)))
    if not _IFACE_RE.fullmatch(vtep or ""):
        raise NatError(f"vtep: {vtep!r} is not an interface name")
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,25}", chain or ""):
        raise NatError(f"chain: {chain!r} is not a usable chain name (1-25 characters)")
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,31}", ipset or ""):
        raise NatError(f"ipset: {ipset!r} is not a usable set name")
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,200}", comment or ""):
        raise NatError(f"comment: {comment!r} must be non-empty, without spaces or quotes")
    for idx, bridge in enumerate(extra_bridges or ()):
        if not isinstance(bridge, str) or not _IFACE_RE.fullmatch(bridge):
            raise NatError(f"extra_bridges[{idx}]: {bridge!r} is not an interface name")
    return NatSpec(overlays=tuple(items), vtep=vtep, mesos_bridge=mesos_bridge,
                   docker_bridge=docker_bridge, ipset=ipset, chain=chain, comment=comment,
                   extra_bridges=tuple(extra_bridges or ()))


# --------------------------------------------------------------------------
# The wanted state


def wanted_members(spec: NatSpec) -> Dict[str, bool]:
    """Set entry -> nomatch flag."""
    members = {net: False for net in UNIVERSE}
    for ov in spec.overlays:
        members[ov.subnet] = True
    return members


def _c(spec: NatSpec, suffix: str = "") -> Rule:
    text = spec.comment + (":" + suffix if suffix else "")
    return ("-m", "comment", "--comment", text)


def masquerade_rule(spec: NatSpec, ov: Overlay) -> Rule:
    return ("-s", ov.subnet, "-m", "set", "--match-set", spec.ipset, "dst") + _c(spec, ov.name) + ("-j", "MASQUERADE")


def jump_rule(spec: NatSpec) -> Rule:
    return _c(spec) + ("-j", spec.chain)


def chain_rules(spec: NatSpec) -> Dict[str, List[Rule]]:
    """The full content of our two filter chains."""
    main: List[Rule] = []
    inner: List[Rule] = []
    for iface in spec.interfaces():
        main.append(("-i", iface) + _c(spec) + ("-g", spec.in_chain))
    for bridge in spec.bridges():
        main.append(("-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED") + _c(spec) + ("-j", "ACCEPT"))
    for iface in spec.interfaces():
        inner.append(("-o", iface) + _c(spec) + ("-j", "ACCEPT"))
    if spec.mesos_bridge:
        for ov in spec.overlays:
            inner.append(("-i", "m-" + ov.name) + _c(spec) + ("-j", "ACCEPT"))
    return {spec.chain: main, spec.in_chain: inner}


# --------------------------------------------------------------------------
# Reading the host


@dataclass
class Tables:
    """``iptables-save`` output: per table, the chains and their rules (as tokens)."""

    chains: Dict[str, Dict[str, List[Rule]]] = field(default_factory=dict)

    def has_chain(self, table: str, chain: str) -> bool:
        return chain in self.chains.get(table, {})

    def rules(self, table: str, chain: str) -> List[Rule]:
        return self.chains.get(table, {}).get(chain, [])


def parse_iptables_save(text: str) -> Tables:
    tables = Tables()
    current: Optional[Dict[str, List[Rule]]] = None
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("*"):
            current = tables.chains.setdefault(line[1:], {})
        elif line == "COMMIT":
            current = None
        elif current is None:
            raise NatError(f"iptables-save line {lineno}: {line!r} outside a table")
        elif line.startswith(":"):
            current.setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            try:
                tokens = shlex.split(line)
            except ValueError as exc:
                raise NatError(f"iptables-save line {lineno}: {exc}: {line!r}") from None
            current.setdefault(tokens[1], []).append(tuple(tokens[2:]))
        # anything else (e.g. counters-only lines) is not ours to understand
    return tables


@dataclass
class IpSet:
    name: str
    type: str
    family: str
    members: Dict[str, bool]


def parse_ipset_save(text: str, name: str) -> Optional[IpSet]:
    """The set ``name`` from ``ipset save`` output, or None."""
    found: Optional[IpSet] = None
    for line in text.splitlines():
        tokens = line.split()
        if len(tokens) < 3 or tokens[1] != name:
            continue
        if tokens[0] == "create":
            family = "inet"
            if "family" in tokens:
                family = tokens[tokens.index("family") + 1]
            found = IpSet(name=name, type=tokens[2], family=family, members={})
        elif tokens[0] == "add" and found is not None:
            entry = _norm_net(tokens[2])
            found.members[entry] = "nomatch" in tokens[3:]
    return found


def _norm_net(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text if "/" in text else text + "/32", strict=False))
    except ValueError:
        return text


# --------------------------------------------------------------------------
# The difference


def _is_ours(rule: Rule, comment: str) -> bool:
    for i, tok in enumerate(rule[:-1]):
        if tok == "--comment" and (rule[i + 1] == comment or rule[i + 1].startswith(comment + ":")):
            return True
    return False


def _quote(tok: str) -> str:
    if _SAFE_TOKEN.fullmatch(tok):
        return tok
    if '"' in tok or "\\" in tok or not tok.isprintable():
        raise NatError(f"cannot quote {tok!r} for iptables-restore")
    return '"' + tok + '"'


def render(rule: Rule) -> str:
    return " ".join(_quote(t) for t in rule)


@dataclass
class Plan:
    """What to run: an ``ipset restore`` script and an ``iptables-restore`` one.

    ``ipset_first`` says the order: the set must exist before rules use it and
    outlive them when both go away.
    """

    ipset_lines: List[str] = field(default_factory=list)
    iptables: Dict[str, List[str]] = field(default_factory=dict)
    before: List[str] = field(default_factory=list)
    after: List[str] = field(default_factory=list)
    ipset_first: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.ipset_lines) or any(self.iptables.values())

    def iptables_script(self) -> str:
        out: List[str] = []
        for table in ("filter", "nat"):
            lines = self.iptables.get(table)
            if lines:
                out.append("*" + table)
                out.extend(lines)
                out.append("COMMIT")
        return "\n".join(out) + "\n" if out else ""

    def ipset_script(self) -> str:
        return "\n".join(self.ipset_lines) + "\n" if self.ipset_lines else ""


def _diff_builtin(table: str, chain: str, have: List[Rule], want: List[Rule], comment: str,
                  insert: bool) -> List[str]:
    """Delete our rules that are not wanted (and duplicates), add the missing ones."""
    lines: List[str] = []
    pending = list(want)
    for rule in have:
        if not _is_ours(rule, comment):
            continue
        if rule in pending:
            pending.remove(rule)
        else:
            lines.append(f"-D {chain} {render(rule)}")
    for rule in (reversed(pending) if insert else pending):
        lines.append((f"-I {chain} 1 " if insert else f"-A {chain} ") + render(rule))
    return lines


def _state_lines(spec: NatSpec, tables: Tables, ipset: Optional[IpSet], own_chains: Dict[str, List[Rule]]) -> List[str]:
    """A readable account of everything of ours, for diff mode."""
    out: List[str] = []
    if ipset is not None:
        out.append(f"ipset {ipset.name} {ipset.type} family {ipset.family}")
        for entry, nomatch in sorted(ipset.members.items()):
            out.append(f"ipset {ipset.name} {entry}" + (" nomatch" if nomatch else ""))
    for table, chain in (("nat", "POSTROUTING"), ("filter", "FORWARD"), ("filter", DOCKER_USER)):
        for rule in tables.rules(table, chain):
            if _is_ours(rule, spec.comment):
                out.append(f"-t {table} -A {chain} {render(rule)}")
    for chain, rules in own_chains.items():
        if rules is None:
            continue
        out.append(f"-t filter -N {chain}")
        out.extend(f"-t filter -A {chain} {render(r)}" for r in rules)
    return out


def plan(spec: NatSpec, tables: Tables, ipset: Optional[IpSet], present: bool = True) -> Plan:
    """Compute what turns the host's state into the wanted one."""
    result = Plan(ipset_first=present)
    own_have = {c: (tables.rules("filter", c) if tables.has_chain("filter", c) else None)
                for c in (spec.chain, spec.in_chain)}
    result.before = _state_lines(spec, tables, ipset, own_have)

    # ipset
    if present:
        want = wanted_members(spec)
        if ipset is None:
            result.ipset_lines.append(f"create {spec.ipset} hash:net family inet")
            have: Dict[str, bool] = {}
        else:
            if ipset.type != "hash:net" or ipset.family != "inet":
                raise NatError(
                    f"ipset {spec.ipset!r} exists as {ipset.type} family {ipset.family}, not hash:net family inet;"
                    f" remove it (and the rules using it) or choose another name with the ipset option")
            have = ipset.members
        for entry, nomatch in sorted(have.items()):
            if entry not in want or want[entry] != nomatch:
                result.ipset_lines.append(f"del {spec.ipset} {entry}")
        for entry, nomatch in want.items():
            if entry not in have or have[entry] != nomatch:
                result.ipset_lines.append(f"add {spec.ipset} {entry}" + (" nomatch" if nomatch else ""))
    elif ipset is not None:
        result.ipset_lines.append(f"destroy {spec.ipset}")

    # nat
    want_nat = [masquerade_rule(spec, ov) for ov in spec.overlays] if present else []
    nat_lines = _diff_builtin("nat", "POSTROUTING", tables.rules("nat", "POSTROUTING"), want_nat, spec.comment, insert=False)
    if nat_lines:
        result.iptables["nat"] = nat_lines

    # filter: our chains first (they must exist before the jumps), then the jumps
    filt: List[str] = []
    want_chains = chain_rules(spec) if present else {}
    jumps: List[str] = []
    for chain in ("FORWARD", DOCKER_USER):
        if chain == DOCKER_USER and not tables.has_chain("filter", DOCKER_USER):
            continue
        want_jump = [jump_rule(spec)] if present else []
        jumps.extend(_diff_builtin("filter", chain, tables.rules("filter", chain), want_jump, spec.comment, insert=True))
    if present:
        rewrite = [c for c in (spec.in_chain, spec.chain) if own_have[c] != want_chains[c]]
        for chain in rewrite:
            filt.append(f":{chain} - [0:0]")
        for chain in rewrite:
            filt.extend(f"-A {chain} {render(r)}" for r in want_chains[chain])
        filt.extend(jumps)
    else:
        filt.extend(jumps)
        gone = [c for c in (spec.chain, spec.in_chain) if own_have[c] is not None]
        filt.extend(f"-F {c}" for c in gone)
        filt.extend(f"-X {c}" for c in gone)
    if filt:
        result.iptables["filter"] = filt

    # the state after, for diff mode
    if present:
        after_tables = Tables(chains={t: dict(c) for t, c in tables.chains.items()})
        after_tables.chains.setdefault("nat", {})["POSTROUTING"] = [
            r for r in tables.rules("nat", "POSTROUTING") if not _is_ours(r, spec.comment)] + want_nat
        for chain in ("FORWARD", DOCKER_USER):
            if chain == DOCKER_USER and not tables.has_chain("filter", DOCKER_USER):
                continue
            after_tables.chains.setdefault("filter", {})[chain] = [jump_rule(spec)] + [
                r for r in tables.rules("filter", chain) if not _is_ours(r, spec.comment)]
        after_set = IpSet(name=spec.ipset, type="hash:net", family="inet", members=wanted_members(spec))
        result.after = _state_lines(spec, after_tables, after_set, want_chains)
    return result


# --------------------------------------------------------------------------
# Running it


Runner = Callable[[List[str], Optional[str]], Tuple[int, str, str]]


@dataclass
class Tools:
    """The binaries to call; ``iptables-save`` and friends follow the system's alternative."""

    iptables_save: str = "iptables-save"
    iptables_restore: str = "iptables-restore"
    ipset: str = "ipset"


def tools_for(backend: str) -> Tools:
    if backend == "auto":
        return Tools()
    if backend in ("nft", "legacy"):
        return Tools(iptables_save=f"iptables-{backend}-save", iptables_restore=f"iptables-{backend}-restore")
    raise NatError(f"backend: {backend!r} is not one of auto, nft, legacy")


def _run(run: Runner, argv: List[str], data: Optional[str] = None) -> str:
    rc, out, err = run(argv, data)
    if rc != 0:
        raise NatError(f"{' '.join(argv)} failed (rc={rc}): {(err or out).strip()}" + (f"\ninput:\n{data}" if data else ""))
    return out


def read_state(run: Runner, tools: Tools, spec: NatSpec) -> Tuple[Tables, Optional[IpSet]]:
    tables = parse_iptables_save(_run(run, [tools.iptables_save]))
    ipset = parse_ipset_save(_run(run, [tools.ipset, "save"]), spec.ipset)
    return tables, ipset


def apply(run: Runner, tools: Tools, result: Plan) -> None:
    steps = []
    if result.ipset_lines:
        steps.append(([tools.ipset, "restore"], result.ipset_script()))
    if any(result.iptables.values()):
        steps.append(([tools.iptables_restore, "--noflush"], result.iptables_script()))
    if not result.ipset_first:
        steps.reverse()
    for argv, data in steps:
        _run(run, argv, data)


def reconcile(run: Runner, spec: NatSpec, present: bool = True, check: bool = False,
              backend: str = "auto") -> Plan:
    """Read once, plan, apply unless ``check``. Returns the plan."""
    tools = tools_for(backend)
    tables, ipset = read_state(run, tools, spec)
    result = plan(spec, tables, ipset, present=present)
    if result.changed and not check:
        apply(run, tools, result)
    return result


def command_runner(module: Any) -> Runner:
    """The module's way to run ``ipset``/``iptables-*`` (found in the sbin
    directories, stdin from ``data``, never failing by itself)."""

    def run(argv: List[str], data: Optional[str] = None) -> Tuple[int, str, str]:
        binary = module.get_bin_path(argv[0], required=True, opt_dirs=["/usr/sbin", "/sbin"])
        return module.run_command([binary] + argv[1:], data=data, binary_data=False, check_rc=False)

    return run


def run_nat(module: Any) -> Dict[str, Any]:
    """The ``overlay_nat`` module: check the input, reconcile (nothing
    written in check mode), return the commands (the plan)."""
    p = module.params
    run = command_runner(module)
    spec = make_spec(p["overlays"], vtep=p["vtep"], mesos_bridge=p["mesos_bridge"],
                     docker_bridge=p["docker_bridge"], ipset=p["ipset"], chain=p["chain"],
                     comment=p["comment"], extra_bridges=p["extra_bridges"])
    result = reconcile(run, spec, present=p["state"] == "present", check=module.check_mode,
                       backend=p["backend"])
    out = dict(
        changed=result.changed,
        commands=dict(ipset=result.ipset_lines, iptables=result.iptables_script().splitlines()),
    )
    if module._diff:
        out["diff"] = dict(before="\n".join(result.before) + "\n", after="\n".join(result.after) + "\n")
    return out
