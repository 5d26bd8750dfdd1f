# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VTEP reconciler: the VXLAN device (``vtep1024``, VNI 1024, UDP port
64000, MAC, addresses, MTU, up) as asked.

It is created the way dcos-net created it (learning on, TTL/TOS inherited,
no UDP checksum, no proxy/rsc/miss notifications).  A device whose kind, VNI,
port, MAC, MTU or learning differ is deleted and created again (DESIGN.md);
addresses and the up flag are changed in place.

With ``gbp`` (netgroups, see netgroups.py) the device carries the group
policy ID (the low 16 bits of a packet's mark) in every VXLAN header. The
kernel cannot change that flag on an existing device, and a VXLAN attribute
changed in place on a ``gbp`` device was seen to leave it silently dropping
every incoming GBP packet: a device whose ``gbp`` differs is recreated, and
no VXLAN attribute is ever changed in place.
"""

from __future__ import annotations

import errno as errno_mod
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import Result
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import (
    AF_INET,
    AF_INET6,
    DEFAULT_DEVICE,
    DEFAULT_PORT,
    DEFAULT_VNI,
    IFA_ADDRESS,
    IFA_LOCAL,
    IFF_UP,
    NLM_F_CREATE,
    NLM_F_EXCL,
    NLM_F_REPLACE,
    RT_SCOPE_LINK,
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_GETADDR,
    RTM_NEWADDR,
    RTM_NEWLINK,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.inputs import MAC_RE, InputError, parse_ifname, parse_ip, parse_mac
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.rtnl import (
    IFADDRMSG,
    IFINFOMSG,
    addr_body,
    encode_body,
    Netlink,
    NetlinkError,
    get_link,
    ifinfmsg,
    ip_text,
    link_index,
    mac_text,
    parse_nlas,
    require_pyroute2,
)


@dataclass(frozen=True)
class VtepSpec:
    """The wanted VXLAN device."""

    name: str = DEFAULT_DEVICE
    vni: int = DEFAULT_VNI
    port: int = DEFAULT_PORT
    mac: bytes = b""
    address: Tuple[bytes, int] = (b"", 0)
    address6: Optional[Tuple[bytes, int]] = None
    mtu: Optional[int] = None
    learning: bool = True
    gbp: bool = False


@dataclass
class VtepState:
    """The device as found."""

    ifindex: int
    name: str
    kind: str
    vni: Optional[int]
    port: Optional[int]
    mac: bytes
    mtu: int
    up: bool
    learning: Optional[bool]
    addresses: List[Tuple[bytes, int]]  # IPv4, and IPv6 of global scope
    ipv6_disabled: bool = False
    gbp: bool = False


def parse_vtep_spec(
    name: Any = DEFAULT_DEVICE,
    vni: Any = DEFAULT_VNI,
    port: Any = DEFAULT_PORT,
    mac: Any = None,
    address: Any = None,
    address6: Any = None,
    mtu: Any = None,
    gbp: Any = False,
) -> VtepSpec:
    """Validate the device options; messages name the option and value."""
    name = parse_ifname("name", name)
    if isinstance(vni, bool) or not isinstance(vni, int) or not 0 <= vni < (1 << 24):
        raise InputError(f"vni: {vni!r} is not a VXLAN network identifier (0 to 16777215)")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InputError(f"port: {port!r} is not a UDP port (1 to 65535)")
    if mac in (None, ""):
        raise InputError("mac: missing (the VTEP MAC, e.g. 70:b3:d5:80:00:01)")
    raw_mac = parse_mac("mac", mac)
    if address in (None, ""):
        raise InputError("address: missing (the VTEP IPv4 address with its prefix, e.g. 44.128.0.1/20)")
    ip4, plen4 = parse_ip("address", address, 4, allow_prefix=True)
    addr6 = None
    if address6 not in (None, ""):
        ip6, plen6 = parse_ip("address6", address6, 6, allow_prefix=True)
        addr6 = (ip6, 128 if plen6 is None else plen6)
    if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or not 552 <= mtu <= 65535):
        raise InputError(f"mtu: {mtu!r} is not an MTU (552 to 65535)")
    if not isinstance(gbp, bool):
        raise InputError(f"gbp: {gbp!r} is not a boolean")
    return VtepSpec(name, vni, port, raw_mac, (ip4, 32 if plen4 is None else plen4), addr6, mtu, gbp=gbp)


def _mac_from(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and MAC_RE.fullmatch(value):
        return bytes.fromhex(value.replace(":", "").replace("-", ""))
    return b""


def read_addresses(nl: Netlink, ifindex: int) -> List[Tuple[bytes, int]]:
    """IPv4 addresses and IPv6 addresses of global scope on the device."""
    found: List[Tuple[bytes, int]] = []
    for family in (AF_INET, AF_INET6):
        body = IFADDRMSG.pack(family, 0, 0, 0, ifindex)
        for _t, data, off, length in nl.dump(RTM_GETADDR, body, f"dump addresses of ifindex {ifindex}"):
            fam, plen, _flags, scope, idx = IFADDRMSG.unpack_from(data, off + 16)
            if idx != ifindex or fam != family or (family == AF_INET6 and scope == RT_SCOPE_LINK):
                continue
            attrs = parse_nlas(data, off + 24, off + length)
            addr = attrs.get(IFA_LOCAL) or attrs.get(IFA_ADDRESS)
            if addr is not None:
                found.append((addr, plen))
    return found


def _ipv6_disabled_path(name: str) -> str:
    return f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6"


def read_vtep(nl: Netlink, name: str) -> Optional[VtepState]:
    msg = get_link(nl, name)
    if msg is None:
        return None
    kind = ""
    vni = port = None
    learning = None
    gbp = False
    info = msg.get_attr("IFLA_LINKINFO")
    if info is not None:
        kind = info.get_attr("IFLA_INFO_KIND") or ""
        data = info.get_attr("IFLA_INFO_DATA")
        if kind == "vxlan" and data is not None and hasattr(data, "get_attr"):
            vni = data.get_attr("IFLA_VXLAN_ID")
            port = data.get_attr("IFLA_VXLAN_PORT")
            raw_learning = data.get_attr("IFLA_VXLAN_LEARNING")
            learning = None if raw_learning is None else bool(raw_learning)
            gbp = data.get_attr("IFLA_VXLAN_GBP") is not None
    ifindex = int(msg["index"])
    disabled = False
    try:
        with open(_ipv6_disabled_path(name), encoding="ascii") as fh:
            disabled = fh.read().strip() == "1"
    except FileNotFoundError:
        # no per-device IPv6 settings: the kernel has no IPv6 (ipv6.disable=1),
        # so there is nothing to turn back on
        pass
    return VtepState(
        ifindex=ifindex,
        name=name,
        kind=kind,
        vni=vni,
        port=port,
        mac=_mac_from(msg.get_attr("IFLA_ADDRESS")),
        mtu=int(msg.get_attr("IFLA_MTU") or 0),
        up=bool(int(msg["flags"]) & IFF_UP),
        learning=learning,
        addresses=read_addresses(nl, ifindex),
        ipv6_disabled=disabled,
        gbp=gbp,
    )


@dataclass
class VtepPlan:
    create: bool = False
    delete: bool = False
    reasons: List[str] = field(default_factory=list)
    set_up: bool = False
    enable_ipv6: bool = False
    addr_add: List[Tuple[bytes, int]] = field(default_factory=list)
    addr_del: List[Tuple[bytes, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.delete or self.set_up or self.enable_ipv6 or self.addr_add or self.addr_del)


def recreate_reasons(spec: VtepSpec, state: VtepState) -> List[str]:
    """Why the existing device cannot stay (pure)."""
    reasons = []
    if state.kind != "vxlan":
        reasons.append(f"kind is {state.kind or 'unknown'!r}, not 'vxlan'")
    else:
        if state.vni != spec.vni:
            reasons.append(f"VNI is {state.vni}, not {spec.vni}")
        if state.port != spec.port:
            reasons.append(f"port is {state.port}, not {spec.port}")
        if state.learning is not None and state.learning != spec.learning:
            reasons.append(f"learning is {'on' if state.learning else 'off'}")
        if state.gbp != spec.gbp:
            reasons.append(f"group policy (gbp) is {'on' if state.gbp else 'off'}")
    if state.mac != spec.mac:
        reasons.append(f"MAC is {mac_text(state.mac)}, not {mac_text(spec.mac)}")
    if spec.mtu is not None and state.mtu != spec.mtu:
        reasons.append(f"MTU is {state.mtu}, not {spec.mtu}")
    return reasons


def plan_vtep(spec: Optional[VtepSpec], state: Optional[VtepState]) -> VtepPlan:
    """The changes for ``state: present`` (spec given) or absent (None)."""
    plan = VtepPlan()
    if spec is None:
        plan.delete = state is not None
        return plan
    wanted = [spec.address] + ([spec.address6] if spec.address6 else [])
    if state is not None:
        plan.reasons = recreate_reasons(spec, state)
        if plan.reasons:
            plan.delete = True
    if state is None or plan.delete:
        plan.create = True
        plan.addr_add = wanted
        plan.enable_ipv6 = spec.address6 is not None and (state is None or state.ipv6_disabled)
        return plan
    plan.set_up = not state.up
    plan.enable_ipv6 = spec.address6 is not None and state.ipv6_disabled
    plan.addr_add = [a for a in wanted if a not in state.addresses]
    plan.addr_del = [a for a in state.addresses if a not in wanted]
    return plan


def describe_vtep(state: Optional[VtepState]) -> Dict[str, Any]:
    if state is None:
        return {"state": "absent"}
    v4 = [f"{ip_text(a)}/{p}" for a, p in state.addresses if len(a) == 4]
    v6 = [f"{ip_text(a)}/{p}" for a, p in state.addresses if len(a) == 16]
    return {
        "state": "present",
        "name": state.name,
        "kind": state.kind,
        "vni": state.vni,
        "port": state.port,
        "mac": mac_text(state.mac),
        "mtu": state.mtu,
        "up": state.up,
        "learning": state.learning,
        "gbp": state.gbp,
        "addresses": sorted(v4),
        "addresses6": sorted(v6),
    }


def describe_spec(spec: Optional[VtepSpec], mtu_now: Optional[int]) -> Dict[str, Any]:
    if spec is None:
        return {"state": "absent"}
    return {
        "state": "present",
        "name": spec.name,
        "kind": "vxlan",
        "vni": spec.vni,
        "port": spec.port,
        "mac": mac_text(spec.mac),
        "mtu": spec.mtu if spec.mtu is not None else mtu_now,
        "up": True,
        "learning": spec.learning,
        "gbp": spec.gbp,
        "addresses": [f"{ip_text(spec.address[0])}/{spec.address[1]}"],
        "addresses6": [f"{ip_text(spec.address6[0])}/{spec.address6[1]}"] if spec.address6 else [],
    }


def create_link_body(spec: VtepSpec) -> bytes:
    """RTM_NEWLINK body for the device, as dcos-net made it (pyroute2)."""
    require_pyroute2()
    msg = ifinfmsg()
    msg["family"] = 0
    msg["flags"] = IFF_UP
    msg["change"] = IFF_UP
    vxlan = [
        ("IFLA_VXLAN_ID", spec.vni),
        ("IFLA_VXLAN_TTL", 0),
        ("IFLA_VXLAN_TOS", 0),
        ("IFLA_VXLAN_LEARNING", 1 if spec.learning else 0),
        ("IFLA_VXLAN_PROXY", 0),
        ("IFLA_VXLAN_RSC", 0),
        ("IFLA_VXLAN_L2MISS", 0),
        ("IFLA_VXLAN_L3MISS", 0),
        ("IFLA_VXLAN_UDP_CSUM", 0),
        ("IFLA_VXLAN_PORT", spec.port),
    ]
    if spec.gbp:
        vxlan.append(("IFLA_VXLAN_GBP", True))
    attrs: List[Tuple[str, Any]] = [("IFLA_IFNAME", spec.name), ("IFLA_ADDRESS", mac_text(spec.mac))]
    if spec.mtu is not None:
        attrs.append(("IFLA_MTU", spec.mtu))
    attrs.append(("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "vxlan"), ("IFLA_INFO_DATA", {"attrs": vxlan})]}))
    msg["attrs"] = attrs
    return encode_body(msg)


def set_up_body(ifindex: int) -> bytes:
    return IFINFOMSG.pack(0, 0, ifindex, IFF_UP, IFF_UP)


def apply_vtep(nl: Netlink, spec: Optional[VtepSpec], state: Optional[VtepState], plan: VtepPlan) -> None:
    name = spec.name if spec is not None else (state.name if state else "")
    if plan.delete and state is not None:
        nl.request(RTM_DELLINK, 0, IFINFOMSG.pack(0, 0, state.ifindex, 0, 0), f"delete device {name}")
    if spec is None:
        return
    if plan.create:
        nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, create_link_body(spec), f"create device {name}")
        ifindex = link_index(nl, spec.name)
        if ifindex is None:
            raise NetlinkError(errno_mod.ENODEV, f"create device {name}", "gone right after its creation")
    elif state is not None:
        ifindex = state.ifindex
    else:  # pragma: no cover - plan_vtep creates whenever there is no device
        raise NetlinkError(errno_mod.ENODEV, f"device {name}", "not found")
    if plan.enable_ipv6:
        try:
            with open(_ipv6_disabled_path(spec.name), "w", encoding="ascii") as fh:
                fh.write("0\n")
        except OSError as exc:
            raise NetlinkError(exc.errno or errno_mod.EPERM, f"enable IPv6 on {name}", str(exc)) from None
    for addr in plan.addr_del:
        try:
            nl.request(RTM_DELADDR, 0, addr_body(ifindex, addr), f"delete address {ip_text(addr[0])}/{addr[1]} of {name}")
        except NetlinkError as exc:
            # deleting a primary IPv4 address takes its secondaries with it
            if exc.err not in (errno_mod.EADDRNOTAVAIL, errno_mod.ENOENT):
                raise
    for addr in plan.addr_add:
        nl.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, addr_body(ifindex, addr), f"address {ip_text(addr[0])}/{addr[1]} on {name}")
    if plan.set_up:
        nl.request(RTM_NEWLINK, 0, set_up_body(ifindex), f"set {name} up")


def reconcile_vtep(spec: Optional[VtepSpec], name: str = DEFAULT_DEVICE, check: bool = False, nl: Optional[Netlink] = None) -> Result:
    """Make the device as ``spec`` says (or absent for None)."""
    own = nl is None
    nl = nl or Netlink()
    try:
        dev = spec.name if spec is not None else name
        state = read_vtep(nl, dev)
        plan = plan_vtep(spec, state)
        before = describe_vtep(state)
        after = describe_spec(spec, state.mtu if state and not plan.create else None)
        if not plan.empty and not check:
            apply_vtep(nl, spec, state, plan)
            if spec is not None:
                after = describe_vtep(read_vtep(nl, dev))
        return Result(changed=not plan.empty, before=before, after=after, reasons=plan.reasons)
    finally:
        if own:
            nl.close()


def run_vtep(module: Any) -> Dict[str, Any]:
    """The ``overlay_vtep`` module: check the input, reconcile the device
    (nothing written in check mode), return what it is (or would be)."""
    require_pyroute2()
    p = module.params
    name = parse_ifname("name", p["name"])
    spec = None
    if p["state"] == "present":
        spec = parse_vtep_spec(
            name=p["name"],
            vni=p["vni"],
            port=p["port"],
            mac=p["mac"],
            address=p["address"],
            address6=p["address6"],
            mtu=p["mtu"],
            gbp=p.get("gbp", False),
        )
    result = reconcile_vtep(spec, name=name, check=module.check_mode)
    out = {
        "changed": result.changed,
        "device": result.after,
        "recreated": bool(result.reasons),
        "reasons": result.reasons,
    }
    if module._diff:
        out["diff"] = {"before": result.before, "after": result.after}
    return out
