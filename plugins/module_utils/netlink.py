# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Netlink reconcilers for the overlay data plane: the VTEP and its peers.

Two reconcilers, each "read the kernel once, compute the difference, apply it
in one pass":

* :func:`reconcile_vtep` keeps the VXLAN device (``vtep1024``, VNI 1024, UDP
  port 64000, MAC, addresses, MTU, up) as asked.  It is created the way
  dcos-net created it (learning on, TTL/TOS inherited, no UDP checksum, no
  proxy/rsc/miss notifications).  A device whose kind, VNI, port, MAC, MTU or
  learning differ is deleted and created again (DESIGN.md).
* :func:`reconcile_peers` keeps, for all peers at once, the permanent
  neighbour entries, the FDB entries, the routes to the peers' subnets, the
  table-42 routes to their underlay addresses and the ``from <overlay subnet>
  lookup 42`` rules.

Speed: the peer entries are dumped with kernel-side filtering (strict dump
checking: by device, table and route protocol) and parsed with ``struct``;
the changes are encoded with ``struct`` into netlink messages and sent many
per ``sendto`` without asking for an acknowledgement of each (the kernel
answers failures anyway); only the last message of a batch asks for an ack,
which tells us that every failure before it has been read.  The byte layout
is the one pyroute2's message classes produce (the unit tests compare the
two); the device, which is one message, is encoded and decoded with
pyroute2's classes directly.

Ownership marks: every route we make carries the route protocol
:data:`ROUTE_PROTO` (44, ``mesos_overlay``) and every rule we make carries it
as ``FRA_PROTOCOL``; only routes and rules with that mark are ever deleted.
Neighbour and FDB entries are only read and removed on the VTEP device, and
only permanent ones (learned entries age out by themselves).

This module imports no Ansible code.  It needs pyroute2 (0.7.2 as shipped by
Debian 12, or 0.9.x); :data:`HAS_PYROUTE2` tells whether it was found.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno as errno_mod
import ipaddress
import os
import re
import socket
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Set, Tuple

try:
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR: Optional[str] = None
except ImportError as _exc:  # pragma: no cover - exercised on nodes without it
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = str(_exc)

# ---------------------------------------------------------------------------
# Kernel constants (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h,
# linux/fib_rules.h, linux/if_link.h).

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NETLINK_GET_STRICT_CHK = 12
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_DUMP_INTR = 0x10
NLM_F_DUMP = 0x300
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1

RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18
RTM_NEWADDR = 20
RTM_DELADDR = 21
RTM_GETADDR = 22
RTM_NEWROUTE = 24
RTM_DELROUTE = 25
RTM_GETROUTE = 26
RTM_NEWNEIGH = 28
RTM_DELNEIGH = 29
RTM_GETNEIGH = 30
RTM_NEWRULE = 32
RTM_DELRULE = 33
RTM_GETRULE = 34

AF_INET = socket.AF_INET
AF_INET6 = socket.AF_INET6
AF_BRIDGE = 7

NUD_NOARP = 0x40
NUD_PERMANENT = 0x80
NTF_SELF = 0x02

NDA_DST = 1
NDA_LLADDR = 2
NDA_IFINDEX = 8

RTA_DST = 1
RTA_OIF = 4
RTA_GATEWAY = 5
RTA_PRIORITY = 6
RTA_TABLE = 15
RTN_UNICAST = 1
RT_SCOPE_UNIVERSE = 0
RT_TABLE_UNSPEC = 0
RT_TABLE_MAIN = 254
RTNH_F_ONLINK = 4

FRA_DST = 1
FRA_SRC = 2
FRA_IIFNAME = 3
FRA_PRIORITY = 6
FRA_FWMARK = 10
FRA_TABLE = 15
FRA_OIFNAME = 17
FRA_PROTOCOL = 21
FR_ACT_TO_TBL = 1
# Rule attributes that make a rule select more than "from <subnet>".
_RULE_SELECTORS = frozenset((FRA_DST, FRA_IIFNAME, FRA_FWMARK, FRA_OIFNAME, 4, 12, 20, 22, 23, 24))

IFF_UP = 0x1
CLONE_NEWNET = 0x40000000
IFA_F_PERMANENT = 0x80
RT_SCOPE_LINK = 253

# Our mark on routes and rules (an unassigned number in linux/rtnetlink.h;
# /etc/iproute2/rt_protos.d/mesos_overlay.conf may name it "mesos_overlay").
ROUTE_PROTO = 44
DEFAULT_TABLE = 42
DEFAULT_DEVICE = "vtep1024"
DEFAULT_VNI = 1024
DEFAULT_PORT = 64000

_HDR = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
_NLA = struct.Struct("=HH")  # nlattr: len, type
_NDMSG = struct.Struct("=BxxxiHBB")  # family, ifindex, state, flags, type
_RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table proto scope type flags
_FRHDR = _RTMSG  # fib_rule_hdr: family dst_len src_len tos table res1 res2 action flags
_IFADDR = struct.Struct("=BBBBI")  # family prefixlen flags scope index
_IFINFO = struct.Struct("=BxHiII")  # family type index flags change
_U32 = struct.Struct("=I")
_ERR = struct.Struct("=i")

MAC_RE = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
IFNAME_RE = re.compile(r"^[^/\s:]{1,15}$")


class NetlinkError(OSError):
    """A request the kernel refused; ``str()`` names what was asked."""

    def __init__(self, err: int, what: str, extack: str = "") -> None:
        self.err = err
        self.what = what
        self.extack = extack
        text = os.strerror(err)
        if extack:
            text = f"{text} ({extack})"
        super().__init__(err, f"{what}: {text}")

    def __str__(self) -> str:
        return self.args[1]


class InputError(ValueError):
    """Bad input; the message names the field and the value."""


# ---------------------------------------------------------------------------
# Network namespaces (tests and benchmarks; the modules run where they are).


@contextlib.contextmanager
def netns(name: Optional[str]) -> Iterator[None]:
    """Run the body inside network namespace ``name`` (``ip netns`` name or a
    path); ``None`` stays where we are.  Sockets opened inside keep talking
    to that namespace after the body."""
    if name is None:
        yield
        return
    path = name if "/" in name else os.path.join("/run/netns", name)
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
        try:
            yield
        finally:
            libc.setns(own, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(own)


# ---------------------------------------------------------------------------
# Encoding helpers (pure).


def nla(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    length = 4 + len(payload)
    return _NLA.pack(length, kind) + payload + b"\0" * (-length & 3)


def nla_u32(kind: int, value: int) -> bytes:
    return _NLA.pack(8, kind) + _U32.pack(value)


def nla_u8(kind: int, value: int) -> bytes:
    return _NLA.pack(5, kind) + bytes((value, 0, 0, 0))


def message(kind: int, flags: int, seq: int, body: bytes) -> bytes:
    """A netlink message (header + body), the body already padded."""
    return _HDR.pack(16 + len(body), kind, flags, seq, 0) + body


def iter_nlas(buf: bytes, offset: int, end: int) -> Iterator[Tuple[int, bytes]]:
    """(type, payload) of the attributes in ``buf[offset:end]``."""
    while offset + 4 <= end:
        length, kind = _NLA.unpack_from(buf, offset)
        if length < 4:
            break
        yield kind & 0x3FFF, buf[offset + 4 : offset + length]
        offset += (length + 3) & ~3


def parse_nlas(buf: bytes, offset: int, end: int) -> Dict[int, bytes]:
    return dict(iter_nlas(buf, offset, end))


def mac_text(raw: bytes) -> str:
    return raw.hex(":")


def ip_text(raw: bytes) -> str:
    return socket.inet_ntop(AF_INET if len(raw) == 4 else AF_INET6, raw)


def family_of(raw: bytes) -> int:
    return AF_INET if len(raw) == 4 else AF_INET6


# ---------------------------------------------------------------------------
# The socket.


class Netlink:
    """A rtnetlink socket with dumps, single requests and batches."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_ROUTE)
        for opt, forced, size in ((socket.SO_SNDBUF, SO_SNDBUFFORCE, 1 << 20), (socket.SO_RCVBUF, SO_RCVBUFFORCE, 8 << 20)):
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, forced, size)
            except OSError:
                self.sock.setsockopt(socket.SOL_SOCKET, opt, size)
        for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK):
            try:
                self.sock.setsockopt(SOL_NETLINK, opt, 1)
            except OSError as exc:
                # ENOPROTOOPT: an older kernel without extended acks or strict
                # dumps; the replies are still read correctly without them.
                if exc.errno != errno_mod.ENOPROTOOPT:
                    raise
        self.sock.bind((0, 0))
        self._seq = 0
        self._buf = bytearray(1 << 20)
        # set when a dump was interrupted by a concurrent change (the kernel
        # then flags it NLM_F_DUMP_INTR): its result may be inconsistent
        self.dump_interrupted = False

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Netlink":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- receiving -----------------------------------------------------------

    def _recv(self, flags: int = 0) -> bytes:
        n = self.sock.recv_into(self._buf, 0, flags)
        return bytes(self._buf[:n])

    @staticmethod
    def _error(data: bytes, offset: int, length: int, msg_flags: int) -> Tuple[int, int, str]:
        """(errno, seq of the request, extended ack text) of an NLMSG_ERROR."""
        (err,) = _ERR.unpack_from(data, offset + 16)
        req_len, _t, _f, req_seq, _p = _HDR.unpack_from(data, offset + 20)
        extack = ""
        if msg_flags & NLM_F_ACK_TLVS:
            tlv_off = offset + 20 + (16 if msg_flags & NLM_F_CAPPED else (req_len + 3) & ~3)
            for kind, payload in iter_nlas(data, tlv_off, offset + length):
                if kind == NLMSGERR_ATTR_MSG:
                    extack = payload.rstrip(b"\0").decode("utf-8", "replace")
        return -err, req_seq, extack

    def _replies(self, seq: int) -> Iterator[Tuple[int, int, bytes, int, int]]:
        """(type, flags, data, offset, length) of every message answering ``seq``."""
        while True:
            data = self._recv()
            offset = 0
            while offset + 16 <= len(data):
                length, mtype, mflags, mseq, _pid = _HDR.unpack_from(data, offset)
                if length < 16:
                    break
                if mseq == seq:
                    yield mtype, mflags, data, offset, length
                offset += (length + 3) & ~3

    def dump(self, kind: int, body: bytes, what: str) -> Iterator[Tuple[int, bytes, int, int]]:
        """Yield (type, data, offset, length) for every message of a dump."""
        seq = self.next_seq()
        self.sock.send(message(kind, NLM_F_REQUEST | NLM_F_DUMP, seq, body))
        for mtype, mflags, data, offset, length in self._replies(seq):
            if mflags & NLM_F_DUMP_INTR:
                self.dump_interrupted = True
            if mtype == NLMSG_DONE:
                return
            if mtype == NLMSG_ERROR:
                err, _s, extack = self._error(data, offset, length, mflags)
                if err:
                    raise NetlinkError(err, what, extack)
                return
            yield mtype, data, offset, length

    def request(self, kind: int, flags: int, body: bytes, what: str) -> Optional[bytes]:
        """Send one request with an ack; return the reply message, if any."""
        seq = self.next_seq()
        self.sock.send(message(kind, flags | NLM_F_REQUEST | NLM_F_ACK, seq, body))
        reply = None
        for mtype, mflags, data, offset, length in self._replies(seq):
            if mtype == NLMSG_ERROR:
                err, _s, extack = self._error(data, offset, length, mflags)
                if err:
                    raise NetlinkError(err, what, extack)
                return reply
            reply = data[offset : offset + length]  # the object; the ack follows
        return reply

    def batch(self, requests: Sequence[Tuple[int, int, bytes, str]], chunk: int = 192 * 1024) -> List[NetlinkError]:
        """Send many requests, many per ``sendto``; return the failures.

        Each request is (type, flags, body, description).  Only the last one
        asks for an ack: the kernel handles a sendto's messages in order
        before it returns and reports every failure, so the last ack means
        every failure has been queued for us."""
        if not requests:
            return []
        failures: List[NetlinkError] = []
        first = self._seq + 1
        final_seq = first + len(requests) - 1
        parts: List[bytes] = []
        size = 0
        for kind, flags, body, _what in requests:
            seq = self.next_seq()
            flags |= NLM_F_REQUEST
            if seq == final_seq:
                flags |= NLM_F_ACK
            msg = message(kind, flags, seq, body)
            if size + len(msg) > chunk and parts:
                self.sock.send(b"".join(parts))
                parts, size = [], 0
                self._drain(failures, requests, first, final_seq, block=False)
            parts.append(msg)
            size += len(msg)
        self.sock.send(b"".join(parts))
        self._drain(failures, requests, first, final_seq, block=True)
        return failures

    def _drain(
        self,
        failures: List[NetlinkError],
        requests: Sequence[Tuple[int, int, bytes, str]],
        first: int,
        final_seq: int,
        block: bool,
    ) -> None:
        while True:
            try:
                data = self._recv(0 if block else socket.MSG_DONTWAIT)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno == errno_mod.ENOBUFS:
                    failures.append(NetlinkError(errno_mod.ENOBUFS, "batch: too many failures to list them all"))
                    continue
                raise
            offset = 0
            done = False
            while offset + 16 <= len(data):
                length, mtype, mflags, mseq, _pid = _HDR.unpack_from(data, offset)
                if length < 16:
                    break
                if mtype == NLMSG_ERROR and first <= mseq <= final_seq:
                    err, _s, extack = self._error(data, offset, length, mflags)
                    if err:
                        failures.append(NetlinkError(err, requests[mseq - first][3], extack))
                    if mseq == final_seq:
                        done = True
                offset += (length + 3) & ~3
            if done:
                return


# ---------------------------------------------------------------------------
# Input parsing (pure, fast: thousands of peers).


def parse_ip(path: str, value: Any, version: int, allow_prefix: bool = False) -> Tuple[bytes, Optional[int]]:
    """Address text -> (packed address, prefix length or None)."""
    kind = "IPv4" if version == 4 else "IPv6"
    if not isinstance(value, str):
        raise InputError(f"{path}: {value!r} is not an {kind} address")
    text = value.strip()
    plen: Optional[int] = None
    if "/" in text:
        if not allow_prefix:
            raise InputError(f"{path}: {value!r} is not an {kind} address (no /prefix here)")
        text, _sep, ptext = text.partition("/")
        if not ptext.isdigit() or int(ptext) > (32 if version == 4 else 128):
            raise InputError(f"{path}: {value!r} has an invalid prefix length")
        plen = int(ptext)
    try:
        raw = socket.inet_pton(AF_INET if version == 4 else AF_INET6, text)
    except (OSError, ValueError):
        raise InputError(f"{path}: {value!r} is not an {kind} address") from None
    return raw, plen


def parse_net(path: str, value: Any, version: int) -> Tuple[bytes, int]:
    """Subnet text (CIDR, host bits clear) -> (packed network, prefix length)."""
    kind = "IPv4" if version == 4 else "IPv6"
    if not isinstance(value, str) or "/" not in value:
        raise InputError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation")
    raw, plen = parse_ip(path, value, version, allow_prefix=True)
    if plen is None:
        raise InputError(f"{path}: {value!r} is not an {kind} subnet in CIDR notation")
    bits = len(raw) * 8
    number = int.from_bytes(raw, "big")
    if number & ((1 << (bits - plen)) - 1):
        net = ipaddress.ip_network(value.strip(), strict=False)
        raise InputError(f"{path}: {value!r} has host bits set (the subnet is {net})")
    return raw, plen


def parse_mac(path: str, value: Any) -> bytes:
    if not isinstance(value, str) or not MAC_RE.match(value.strip()):
        raise InputError(f"{path}: {value!r} is not a MAC address")
    raw = bytes.fromhex(value.strip().replace(":", "").replace("-", ""))
    if raw[0] & 1:
        raise InputError(f"{path}: {value!r} is a multicast MAC address")
    return raw


def _list(path: str, value: Any) -> List[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(f"{path}: {value!r} is not a list")
    return list(value)


@dataclass(frozen=True)
class Peer:
    """One other node, as the ``overlay_peer_list`` filter describes it."""

    vtep_ip: bytes
    vtep_mac: bytes
    agent_ip: bytes
    subnets: Tuple[Tuple[bytes, int], ...] = ()
    vtep_ip6: Optional[bytes] = None
    subnets6: Tuple[Tuple[bytes, int], ...] = ()


PEER_KEYS = ("name", "vtep_ip", "vtep_mac", "agent_ip", "subnets", "vtep_ip6", "subnets6")


def parse_peer(path: str, raw: Any) -> Peer:
    if not isinstance(raw, dict):
        raise InputError(f"{path}: {raw!r} is not a dict")
    unknown = sorted(set(raw) - set(PEER_KEYS))
    if unknown:
        raise InputError(f"{path}: unknown key(s) {', '.join(map(str, unknown))} (known: {', '.join(PEER_KEYS)})")
    for key in ("vtep_ip", "vtep_mac", "agent_ip"):
        if raw.get(key) in (None, ""):
            raise InputError(f"{path}.{key}: missing")
    vtep_ip, _plen = parse_ip(f"{path}.vtep_ip", raw["vtep_ip"], 4, allow_prefix=True)
    vtep_ip6 = None
    if raw.get("vtep_ip6") not in (None, ""):
        vtep_ip6, _plen6 = parse_ip(f"{path}.vtep_ip6", raw["vtep_ip6"], 6, allow_prefix=True)
    subnets = tuple(parse_net(f"{path}.subnets[{i}]", s, 4) for i, s in enumerate(_list(f"{path}.subnets", raw.get("subnets"))))
    subnets6 = tuple(
        parse_net(f"{path}.subnets6[{i}]", s, 6) for i, s in enumerate(_list(f"{path}.subnets6", raw.get("subnets6")))
    )
    if subnets6 and vtep_ip6 is None:
        raise InputError(f"{path}.subnets6: {raw.get('subnets6')!r} given but vtep_ip6 is not")
    return Peer(
        vtep_ip=vtep_ip,
        vtep_mac=parse_mac(f"{path}.vtep_mac", raw["vtep_mac"]),
        agent_ip=parse_ip(f"{path}.agent_ip", raw["agent_ip"], 4)[0],
        subnets=subnets,
        vtep_ip6=vtep_ip6,
        subnets6=subnets6,
    )


def parse_peers(raw: Any, field_name: str = "peers") -> List[Peer]:
    """Validate the ``peers`` list; duplicates that would fight over one
    kernel entry are errors naming both places."""
    peers = []
    for i, item in enumerate(_list(field_name, raw)):
        try:
            peers.append(parse_peer(f"{field_name}[{i}]", item))
        except InputError as exc:
            name = item.get("name") if isinstance(item, dict) else None
            if name:
                raise InputError(f"{exc} (node {name})") from None
            raise
    seen: Dict[Tuple[str, bytes], int] = {}

    def claim(kind: str, key: bytes, i: int, text: str) -> None:
        other = seen.setdefault((kind, key), i)
        if other != i:
            raise InputError(f"{field_name}[{i}].{kind}: {text!r} is also {field_name}[{other}].{kind}")

    for i, p in enumerate(peers):
        claim("vtep_ip", p.vtep_ip, i, ip_text(p.vtep_ip))
        claim("vtep_mac", p.vtep_mac, i, mac_text(p.vtep_mac))
        claim("agent_ip", p.agent_ip, i, ip_text(p.agent_ip))
        if p.vtep_ip6 is not None:
            claim("vtep_ip6", p.vtep_ip6, i, ip_text(p.vtep_ip6))
        for net, plen in p.subnets:
            claim("subnets", net + bytes((plen,)), i, f"{ip_text(net)}/{plen}")
        for net, plen in p.subnets6:
            claim("subnets6", net + bytes((plen,)), i, f"{ip_text(net)}/{plen}")
    return peers


def parse_rule_subnets(raw: Any, field_name: str = "rule_subnets") -> List[Tuple[bytes, int]]:
    out: List[Tuple[bytes, int]] = []
    for i, value in enumerate(_list(field_name, raw)):
        version = 6 if isinstance(value, str) and ":" in value else 4
        item = parse_net(f"{field_name}[{i}]", value, version)
        if item not in out:
            out.append(item)
    return out


def parse_ifname(path: str, value: Any) -> str:
    if not isinstance(value, str) or not IFNAME_RE.match(value):
        raise InputError(f"{path}: {value!r} is not a network device name (1 to 15 characters, no '/', ':' or space)")
    return value


# ---------------------------------------------------------------------------
# The peer model: what is wanted, what is there, and the difference.

NeighKey = bytes  # the neighbour's IP (4 or 16 bytes)
FdbKey = Tuple[bytes, bytes]  # (MAC, underlay IP)
RouteKey = Tuple[int, bytes, int]  # (table, destination, prefix length)
RuleKey = Tuple[bytes, int]  # (source subnet, prefix length)


@dataclass
class PeerTables:
    """Neighbours, FDB entries, routes and rules, as wanted or as found."""

    neigh: Dict[NeighKey, bytes] = field(default_factory=dict)  # IP -> MAC
    fdb: Set[FdbKey] = field(default_factory=set)
    routes: Dict[RouteKey, bytes] = field(default_factory=dict)  # -> gateway
    rules: Dict[RuleKey, List[Tuple[int, bool]]] = field(default_factory=dict)  # -> [(priority, ours)]


def want_tables(peers: Sequence[Peer], rule_subnets: Sequence[Tuple[bytes, int]], table: int) -> PeerTables:
    want = PeerTables()
    for p in peers:
        want.neigh[p.vtep_ip] = p.vtep_mac
        want.fdb.add((p.vtep_mac, p.agent_ip))
        for net, plen in p.subnets:
            want.routes[(RT_TABLE_MAIN, net, plen)] = p.vtep_ip
        want.routes[(table, p.agent_ip, 32)] = p.vtep_ip
        if p.vtep_ip6 is not None:
            want.neigh[p.vtep_ip6] = p.vtep_mac
            for net, plen in p.subnets6:
                want.routes[(RT_TABLE_MAIN, net, plen)] = p.vtep_ip6
    for key in rule_subnets:
        want.rules[key] = [(0, True)]
    return want


@dataclass
class PeerPlan:
    neigh_add: List[Tuple[bytes, bytes]] = field(default_factory=list)
    neigh_change: List[Tuple[bytes, bytes]] = field(default_factory=list)
    neigh_del: List[Tuple[bytes, bytes]] = field(default_factory=list)
    fdb_add: List[FdbKey] = field(default_factory=list)
    fdb_del: List[FdbKey] = field(default_factory=list)
    route_add: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    route_change: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    route_del: List[Tuple[RouteKey, bytes]] = field(default_factory=list)
    rule_add: List[RuleKey] = field(default_factory=list)
    rule_del: List[Tuple[RuleKey, int]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def counts(self) -> Dict[str, Dict[str, int]]:
        return {
            "neighbours": {"added": len(self.neigh_add), "updated": len(self.neigh_change), "removed": len(self.neigh_del)},
            "fdb": {"added": len(self.fdb_add), "updated": 0, "removed": len(self.fdb_del)},
            "routes": {"added": len(self.route_add), "updated": len(self.route_change), "removed": len(self.route_del)},
            "rules": {"added": len(self.rule_add), "updated": 0, "removed": len(self.rule_del)},
        }


def _adds_and_changes(want: Dict[Any, Any], have: Dict[Any, Any]) -> Tuple[List[Any], List[Any]]:
    """(key, value) pairs missing from ``have``, and those whose value differs."""
    adds: List[Any] = []
    changes: List[Any] = []
    for key, value in want.items():
        cur = have.get(key)
        if cur is None:
            adds.append((key, value))
        elif cur != value:
            changes.append((key, value))
    return adds, changes


def plan_peers(want: PeerTables, have: PeerTables, purge: bool) -> PeerPlan:
    """The changes that turn ``have`` into ``want`` (pure)."""
    plan = PeerPlan()
    plan.neigh_add, plan.neigh_change = _adds_and_changes(want.neigh, have.neigh)
    plan.fdb_add = sorted(want.fdb - have.fdb)
    plan.route_add, plan.route_change = _adds_and_changes(want.routes, have.routes)
    for key in want.rules:
        if key not in have.rules:
            plan.rule_add.append(key)
    if purge:
        plan.neigh_del = [(ip, mac) for ip, mac in have.neigh.items() if ip not in want.neigh]
        plan.fdb_del = sorted(have.fdb - want.fdb)
        plan.route_del = [(key, gw) for key, gw in have.routes.items() if key not in want.routes]
        for key, found in have.rules.items():
            ours = [prio for prio, mine in found if mine]
            if key not in want.rules:
                plan.rule_del.extend((key, prio) for prio in ours)
            elif len(found) > 1:
                # a duplicate of ours (one copy stays; foreign copies are left)
                keep_foreign = any(not mine for _p, mine in found)
                plan.rule_del.extend((key, prio) for prio in (ours if keep_foreign else ours[1:]))
    return plan


def table_name(table: int) -> str:
    return "main" if table == RT_TABLE_MAIN else str(table)


def describe_tables(tables: PeerTables, table: int) -> Dict[str, List[str]]:
    """Readable, sorted lists (for diff mode)."""
    return {
        "neighbours": sorted(f"{ip_text(ip)} lladdr {mac_text(mac)}" for ip, mac in tables.neigh.items()),
        "fdb": sorted(f"{mac_text(mac)} dst {ip_text(dst)}" for mac, dst in tables.fdb),
        "routes": sorted(
            f"{ip_text(dst)}/{plen} via {ip_text(gw)} table {table_name(t)}" for (t, dst, plen), gw in tables.routes.items()
        ),
        "rules": sorted(f"from {ip_text(src)}/{plen} lookup {table}" for src, plen in tables.rules),
    }


def apply_plan_to(have: PeerTables, plan: PeerPlan) -> PeerTables:
    """What ``have`` becomes after ``plan`` (pure; for diff mode)."""
    after = PeerTables(dict(have.neigh), set(have.fdb), dict(have.routes), {k: list(v) for k, v in have.rules.items()})
    for ip, _mac in plan.neigh_del:
        after.neigh.pop(ip, None)
    for ip, mac in plan.neigh_add + plan.neigh_change:
        after.neigh[ip] = mac
    after.fdb -= set(plan.fdb_del)
    after.fdb |= set(plan.fdb_add)
    for key, _gw in plan.route_del:
        after.routes.pop(key, None)
    for key, gw in plan.route_add + plan.route_change:
        after.routes[key] = gw
    for key, prio in plan.rule_del:
        left = [item for item in after.rules.get(key, []) if item[0] != prio]
        if left:
            after.rules[key] = left
        else:
            after.rules.pop(key, None)
    for key in plan.rule_add:
        after.rules[key] = [(0, True)]
    return after


# ---------------------------------------------------------------------------
# Peer messages (struct; byte for byte what pyroute2's classes encode).


def neigh_body(ifindex: int, ip: bytes, mac: Optional[bytes]) -> bytes:
    body = _NDMSG.pack(family_of(ip), ifindex, NUD_PERMANENT, 0, 0) + nla(NDA_DST, ip)
    if mac is not None:
        body += nla(NDA_LLADDR, mac)
    return body


def fdb_body(ifindex: int, mac: bytes, dst: bytes) -> bytes:
    return (
        _NDMSG.pack(AF_BRIDGE, ifindex, NUD_PERMANENT | NUD_NOARP, NTF_SELF, 0)
        + nla(NDA_LLADDR, mac)
        + nla(NDA_DST, dst)
    )


def route_body(ifindex: int, key: RouteKey, gateway: bytes, proto: int) -> bytes:
    table, dst, plen = key
    return (
        _RTMSG.pack(
            family_of(dst), plen, 0, 0, table if table < 256 else RT_TABLE_UNSPEC, proto, RT_SCOPE_UNIVERSE, RTN_UNICAST, RTNH_F_ONLINK
        )
        + nla_u32(RTA_TABLE, table)
        + nla(RTA_DST, dst)
        + nla(RTA_GATEWAY, gateway)
        + nla_u32(RTA_OIF, ifindex)
    )


def rule_body(key: RuleKey, table: int, proto: int, priority: int = 0) -> bytes:
    src, plen = key
    body = _FRHDR.pack(family_of(src), 0, plen, 0, table if table < 256 else RT_TABLE_UNSPEC, 0, 0, FR_ACT_TO_TBL, 0)
    body += nla(FRA_SRC, src) + nla_u32(FRA_TABLE, table) + nla_u8(FRA_PROTOCOL, proto)
    if priority:
        body += nla_u32(FRA_PRIORITY, priority)
    return body


def plan_requests(plan: PeerPlan, ifindex: int, table: int, proto: int) -> List[Tuple[int, int, bytes, str]]:
    """The batch for a plan: removals first, then additions and changes."""
    create = NLM_F_CREATE | NLM_F_REPLACE
    reqs: List[Tuple[int, int, bytes, str]] = []
    for key, prio in plan.rule_del:
        reqs.append((RTM_DELRULE, 0, rule_body(key, table, proto, prio), f"delete rule from {ip_text(key[0])}/{key[1]} lookup {table}"))
    for key, gw in plan.route_del:
        reqs.append((RTM_DELROUTE, 0, route_body(ifindex, key, gw, proto), f"delete route {ip_text(key[1])}/{key[2]} table {table_name(key[0])}"))
    for mac, dst in plan.fdb_del:
        body = _NDMSG.pack(AF_BRIDGE, ifindex, 0, NTF_SELF, 0) + nla(NDA_LLADDR, mac) + nla(NDA_DST, dst)
        reqs.append((RTM_DELNEIGH, 0, body, f"delete fdb {mac_text(mac)} dst {ip_text(dst)}"))
    for ip, _mac in plan.neigh_del:
        reqs.append((RTM_DELNEIGH, 0, neigh_body(ifindex, ip, None), f"delete neighbour {ip_text(ip)}"))
    for ip, mac in plan.neigh_add + plan.neigh_change:
        reqs.append((RTM_NEWNEIGH, create, neigh_body(ifindex, ip, mac), f"neighbour {ip_text(ip)} lladdr {mac_text(mac)}"))
    for mac, dst in plan.fdb_add:
        reqs.append((RTM_NEWNEIGH, create, fdb_body(ifindex, mac, dst), f"fdb {mac_text(mac)} dst {ip_text(dst)}"))
    for key, gw in plan.route_add + plan.route_change:
        reqs.append(
            (RTM_NEWROUTE, create, route_body(ifindex, key, gw, proto), f"route {ip_text(key[1])}/{key[2]} via {ip_text(gw)} table {table_name(key[0])}")
        )
    for key in plan.rule_add:
        reqs.append((RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, rule_body(key, table, proto), f"rule from {ip_text(key[0])}/{key[1]} lookup {table}"))
    return reqs


# ---------------------------------------------------------------------------
# Reading the peer tables (kernel-side filtering, struct parsing).


def _permanent_entries(nl: Netlink, ifindex: int, family: int, body: bytes, what: str) -> Iterator[Dict[int, bytes]]:
    """The attributes of every permanent neighbour-table entry of the device."""
    for _t, data, off, length in nl.dump(RTM_GETNEIGH, body, what):
        fam, idx, state, _flags, _type = _NDMSG.unpack_from(data, off + 16)
        if idx == ifindex and fam == family and state & NUD_PERMANENT:
            yield parse_nlas(data, off + 28, off + length)


def read_neigh(nl: Netlink, ifindex: int, family: int, have: PeerTables) -> None:
    body = _NDMSG.pack(family, 0, 0, 0, 0) + nla_u32(NDA_IFINDEX, ifindex)
    for attrs in _permanent_entries(nl, ifindex, family, body, f"dump neighbours of ifindex {ifindex}"):
        ip = attrs.get(NDA_DST)
        mac = attrs.get(NDA_LLADDR)
        if ip is not None and mac is not None:
            have.neigh[ip] = mac


def read_fdb(nl: Netlink, ifindex: int, have: PeerTables) -> None:
    body = _NDMSG.pack(AF_BRIDGE, ifindex, 0, 0, 0)
    for attrs in _permanent_entries(nl, ifindex, AF_BRIDGE, body, f"dump fdb of ifindex {ifindex}"):
        mac = attrs.get(NDA_LLADDR)
        dst = attrs.get(NDA_DST)
        if mac is not None and dst is not None:
            have.fdb.add((mac, dst))


def read_routes(nl: Netlink, ifindex: int, family: int, table: int, proto: int, have: PeerTables) -> None:
    body = _RTMSG.pack(family, 0, 0, 0, table if table < 256 else RT_TABLE_UNSPEC, proto, 0, 0, 0)
    body += nla_u32(RTA_TABLE, table) + nla_u32(RTA_OIF, ifindex)
    for _t, data, off, length in nl.dump(RTM_GETROUTE, body, f"dump routes of table {table_name(table)}"):
        fam, plen, _s, _tos, tbl, rproto, _scope, rtype, _flags = _RTMSG.unpack_from(data, off + 16)
        if fam != family or rproto != proto or rtype != RTN_UNICAST:
            continue
        attrs = parse_nlas(data, off + 28, off + length)
        raw_table = attrs.get(RTA_TABLE)
        if (_U32.unpack(raw_table)[0] if raw_table else tbl) != table:
            continue
        oif = attrs.get(RTA_OIF)
        if oif is None or _U32.unpack(oif)[0] != ifindex:
            continue
        dst = attrs.get(RTA_DST, bytes(4 if family == AF_INET else 16))
        gw = attrs.get(RTA_GATEWAY)
        if gw is not None:
            have.routes[(table, dst, plen)] = gw


def read_rules(nl: Netlink, family: int, table: int, proto: int, have: PeerTables) -> None:
    body = _FRHDR.pack(family, 0, 0, 0, 0, 0, 0, 0, 0)
    for _t, data, off, length in nl.dump(RTM_GETRULE, body, "dump rules"):
        fam, dst_len, src_len, _tos, tbl, _r1, _r2, action, _flags = _FRHDR.unpack_from(data, off + 16)
        if fam != family or action != FR_ACT_TO_TBL or dst_len:
            continue
        attrs = parse_nlas(data, off + 28, off + length)
        raw_table = attrs.get(FRA_TABLE)
        if (_U32.unpack(raw_table)[0] if raw_table else tbl) != table:
            continue
        src = attrs.get(FRA_SRC)
        if src is None or any(k in attrs for k in _RULE_SELECTORS):
            continue
        prio = _U32.unpack(attrs[FRA_PRIORITY])[0] if FRA_PRIORITY in attrs else 0
        ours = attrs.get(FRA_PROTOCOL, b"\0")[0] == proto
        have.rules.setdefault((src, src_len), []).append((prio, ours))


def read_peer_tables(nl: Netlink, ifindex: int, table: int, proto: int, rule_families: Sequence[int]) -> PeerTables:
    """Every kind once; read again (up to 3 times) when a concurrent change
    interrupted a dump."""
    for _attempt in range(3):
        nl.dump_interrupted = False
        have = PeerTables()
        for family in (AF_INET, AF_INET6):
            read_neigh(nl, ifindex, family, have)
            read_routes(nl, ifindex, family, RT_TABLE_MAIN, proto, have)
        read_fdb(nl, ifindex, have)
        read_routes(nl, ifindex, AF_INET, table, proto, have)
        for family in rule_families:
            read_rules(nl, family, table, proto, have)
        if not nl.dump_interrupted:
            break
    return have


# ---------------------------------------------------------------------------
# Devices and addresses (pyroute2's message classes).


def _require_pyroute2() -> None:
    if not HAS_PYROUTE2:
        raise ImportError(f"pyroute2 is required: {PYROUTE2_IMPORT_ERROR}")


def get_link(nl: Netlink, name: str) -> Optional[Any]:
    """The decoded RTM_NEWLINK of device ``name``, or None."""
    _require_pyroute2()
    body = _IFINFO.pack(0, 0, 0, 0, 0) + nla(3, name.encode() + b"\0") + nla_u32(29, 1)  # IFLA_IFNAME, IFLA_EXT_MASK
    try:
        reply = nl.request(RTM_GETLINK, 0, body, f"read device {name}")
    except NetlinkError as exc:
        if exc.err in (errno_mod.ENODEV, errno_mod.ENOENT):
            return None
        raise
    if reply is None:
        return None
    msg = ifinfmsg(reply)
    msg.decode()
    return msg


def link_index(nl: Netlink, name: str) -> Optional[int]:
    msg = get_link(nl, name)
    return None if msg is None else int(msg["index"])


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


def parse_vtep_spec(
    name: Any = DEFAULT_DEVICE,
    vni: Any = DEFAULT_VNI,
    port: Any = DEFAULT_PORT,
    mac: Any = None,
    address: Any = None,
    address6: Any = None,
    mtu: Any = None,
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
    return VtepSpec(name, vni, port, raw_mac, (ip4, 32 if plen4 is None else plen4), addr6, mtu)


def _mac_from(value: Any) -> bytes:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str) and MAC_RE.match(value):
        return bytes.fromhex(value.replace(":", "").replace("-", ""))
    return b""


def read_addresses(nl: Netlink, ifindex: int) -> List[Tuple[bytes, int]]:
    """IPv4 addresses and IPv6 addresses of global scope on the device."""
    found: List[Tuple[bytes, int]] = []
    for family in (AF_INET, AF_INET6):
        body = _IFADDR.pack(family, 0, 0, 0, ifindex)
        for _t, data, off, length in nl.dump(RTM_GETADDR, body, f"dump addresses of ifindex {ifindex}"):
            fam, plen, _flags, scope, idx = _IFADDR.unpack_from(data, off + 16)
            if idx != ifindex or fam != family or (family == AF_INET6 and scope == RT_SCOPE_LINK):
                continue
            attrs = parse_nlas(data, off + 24, off + length)
            addr = attrs.get(2) or attrs.get(1)  # IFA_LOCAL, else IFA_ADDRESS
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
    info = msg.get_attr("IFLA_LINKINFO")
    if info is not None:
        kind = info.get_attr("IFLA_INFO_KIND") or ""
        data = info.get_attr("IFLA_INFO_DATA")
        if kind == "vxlan" and data is not None and hasattr(data, "get_attr"):
            vni = data.get_attr("IFLA_VXLAN_ID")
            port = data.get_attr("IFLA_VXLAN_PORT")
            raw_learning = data.get_attr("IFLA_VXLAN_LEARNING")
            learning = None if raw_learning is None else bool(raw_learning)
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
        "addresses": [f"{ip_text(spec.address[0])}/{spec.address[1]}"],
        "addresses6": [f"{ip_text(spec.address6[0])}/{spec.address6[1]}"] if spec.address6 else [],
    }


def _encode(msg: Any) -> bytes:
    msg.encode()
    return bytes(msg.data)


def create_link_body(spec: VtepSpec) -> bytes:
    """RTM_NEWLINK body for the device, as dcos-net made it (pyroute2)."""
    _require_pyroute2()
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
    attrs: List[Tuple[str, Any]] = [("IFLA_IFNAME", spec.name), ("IFLA_ADDRESS", mac_text(spec.mac))]
    if spec.mtu is not None:
        attrs.append(("IFLA_MTU", spec.mtu))
    attrs.append(("IFLA_LINKINFO", {"attrs": [("IFLA_INFO_KIND", "vxlan"), ("IFLA_INFO_DATA", {"attrs": vxlan})]}))
    msg["attrs"] = attrs
    return _encode(msg)[16:]


def set_up_body(ifindex: int) -> bytes:
    return _IFINFO.pack(0, 0, ifindex, IFF_UP, IFF_UP)


def addr_body(ifindex: int, addr: Tuple[bytes, int]) -> bytes:
    _require_pyroute2()
    ip, plen = addr
    msg = ifaddrmsg()
    msg["family"] = family_of(ip)
    msg["prefixlen"] = plen
    msg["index"] = ifindex
    text = ip_text(ip)
    msg["attrs"] = [("IFA_LOCAL", text), ("IFA_ADDRESS", text)] if len(ip) == 4 else [("IFA_ADDRESS", text)]
    return _encode(msg)[16:]


@dataclass
class Result:
    changed: bool
    before: Dict[str, Any]
    after: Dict[str, Any]
    counts: Dict[str, Any] = field(default_factory=dict)
    reasons: List[str] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)


def apply_vtep(nl: Netlink, spec: Optional[VtepSpec], state: Optional[VtepState], plan: VtepPlan) -> None:
    name = spec.name if spec is not None else (state.name if state else "")
    if plan.delete and state is not None:
        nl.request(RTM_DELLINK, 0, _IFINFO.pack(0, 0, state.ifindex, 0, 0), f"delete device {name}")
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


def reconcile_peers(
    device: str,
    peers: Sequence[Peer],
    rule_subnets: Sequence[Tuple[bytes, int]] = (),
    table: int = DEFAULT_TABLE,
    purge: bool = True,
    check: bool = False,
    diff: bool = False,
    proto: int = ROUTE_PROTO,
    nl: Optional[Netlink] = None,
) -> Result:
    """Make the device's peer entries, table ``table`` and its rules match."""
    own = nl is None
    nl = nl or Netlink()
    try:
        ifindex = link_index(nl, device)
        families = sorted({family_of(src) for src, _plen in rule_subnets} | {AF_INET})
        if ifindex is not None:
            have = read_peer_tables(nl, ifindex, table, proto, families)
        elif check:
            # check mode on a fresh node: the device is not there yet (its own
            # task only reported it would make it); everything is to be added
            have = PeerTables()
            for family in families:
                read_rules(nl, family, table, proto, have)
        else:
            raise NetlinkError(errno_mod.ENODEV, f"device {device}", "not found: create it first (overlay_vtep)")
        want = want_tables(peers, rule_subnets, table)
        plan = plan_peers(want, have, purge)
        result = Result(changed=not plan.empty, before={}, after={}, counts=plan.counts())
        if diff:
            result.before = describe_tables(have, table)
            result.after = describe_tables(apply_plan_to(have, plan), table)
        if not plan.empty and not check and ifindex is not None:
            failures = nl.batch(plan_requests(plan, ifindex, table, proto))
            result.failures = [str(f) for f in failures]
        return result
    finally:
        if own:
            nl.close()


def exit_module(module: Any, run: Any, missing_lib: str) -> None:
    """The end of ``main()`` of the netlink modules: run, then exit or fail.

    ``module`` is an AnsibleModule (duck-typed: this file imports no Ansible
    code); ``missing_lib`` is the message for a node without pyroute2.
    """
    if not HAS_PYROUTE2:
        module.fail_json(msg=missing_lib, exception=PYROUTE2_IMPORT_ERROR)
    try:
        module.exit_json(**run(module))
    except InputError as exc:
        module.fail_json(msg=str(exc))
    except NetlinkError as exc:
        module.fail_json(msg=str(exc), errno=exc.err)
    except PermissionError as exc:
        module.fail_json(msg=f"{exc} (the module needs root / CAP_NET_ADMIN)")
