# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rtnetlink socket and its messages.

:class:`Netlink` sends dumps (kernel-side filtered where the kernel can),
single requests with an acknowledgement, and batches of many requests per
``sendto`` (only the last asks for an ack); the message layouts are
``struct`` formats named after their C structs.  A device and its
addresses (one message each, many nested attributes) go through pyroute2's
``ifinfmsg`` and ``ifaddrmsg``; :data:`HAS_PYROUTE2` tells whether pyroute2
was found.
"""

from __future__ import annotations

import errno as errno_mod
import os
import socket
import struct
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ansible_collections.mesos.overlay.plugins.module_utils.common import MissingLibrary, OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import (
    AF_INET,
    AF_INET6,
    IFLA_EXT_MASK,
    IFLA_IFNAME,
    NETLINK_CAP_ACK,
    NETLINK_EXT_ACK,
    NETLINK_GET_STRICT_CHK,
    NETLINK_ROUTE,
    NLM_F_ACK,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLM_F_DUMP,
    NLM_F_DUMP_INTR,
    NLM_F_REQUEST,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLMSGERR_ATTR_MSG,
    RTEXT_FILTER_VF,
    RTM_GETLINK,
    SO_RCVBUFFORCE,
    SO_SNDBUFFORCE,
    SOL_NETLINK,
)

try:
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR: Optional[str] = None
except ImportError as _exc:  # pragma: no cover - exercised on nodes without it
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = str(_exc)
    ifaddrmsg = ifinfmsg = None  # type: ignore[assignment,misc]

NLMSGHDR = struct.Struct("=IHHII")  # nlmsghdr: len, type, flags, seq, pid
NLATTR = struct.Struct("=HH")  # nlattr: len, type
NDMSG = struct.Struct("=BxxxiHBB")  # family, ifindex, state, flags, type
RTMSG = struct.Struct("=BBBBBBBBI")  # family dst_len src_len tos table proto scope type flags
FIB_RULE_HDR = RTMSG  # fib_rule_hdr: family dst_len src_len tos table res1 res2 action flags
IFADDRMSG = struct.Struct("=BBBBI")  # family prefixlen flags scope index
IFINFOMSG = struct.Struct("=BxHiII")  # family type index flags change
U32 = struct.Struct("=I")
NLMSGERR = struct.Struct("=i")


class NetlinkError(OverlayError, OSError):
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

    def fail_fields(self) -> Dict[str, Any]:
        return {"errno": self.err}


# ---------------------------------------------------------------------------
# Encoding and decoding (pure).


def nla(kind: int, payload: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    length = 4 + len(payload)
    return NLATTR.pack(length, kind) + payload + b"\0" * (-length & 3)


def nla_u32(kind: int, value: int) -> bytes:
    return NLATTR.pack(8, kind) + U32.pack(value)


def nla_u8(kind: int, value: int) -> bytes:
    return NLATTR.pack(5, kind) + bytes((value, 0, 0, 0))


def message(kind: int, flags: int, seq: int, body: bytes) -> bytes:
    """A netlink message (header + body), the body already padded."""
    return NLMSGHDR.pack(16 + len(body), kind, flags, seq, 0) + body


def iter_nlas(buf: bytes, offset: int, end: int) -> Iterator[Tuple[int, bytes]]:
    """(type, payload) of the attributes in ``buf[offset:end]``."""
    while offset + 4 <= end:
        length, kind = NLATTR.unpack_from(buf, offset)
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
        (err,) = NLMSGERR.unpack_from(data, offset + 16)
        req_len, _t, _f, req_seq, _p = NLMSGHDR.unpack_from(data, offset + 20)
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
                length, mtype, mflags, mseq, _pid = NLMSGHDR.unpack_from(data, offset)
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
                length, mtype, mflags, mseq, _pid = NLMSGHDR.unpack_from(data, offset)
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
# Devices by name (pyroute2's message class decodes the answer).


def require_pyroute2() -> None:
    """Raise :class:`MissingLibrary` on a host without pyroute2 (the first
    step of the modules, and of everything that encodes a device)."""
    if not HAS_PYROUTE2:
        raise MissingLibrary("pyroute2 (Debian/Ubuntu: python3-pyroute2)", PYROUTE2_IMPORT_ERROR)


def get_link(nl: Netlink, name: str) -> Optional[Any]:
    """The decoded RTM_NEWLINK of device ``name``, or None."""
    require_pyroute2()
    body = IFINFOMSG.pack(0, 0, 0, 0, 0) + nla(IFLA_IFNAME, name.encode() + b"\0") + nla_u32(IFLA_EXT_MASK, RTEXT_FILTER_VF)
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


# ---------------------------------------------------------------------------
# Messages encoded by pyroute2's classes (one per device or address).


def encode_body(msg: Any) -> bytes:
    """The body (the header cut off) of a pyroute2 message."""
    msg.encode()
    return bytes(msg.data)[16:]


def addr_body(ifindex: int, addr: Tuple[bytes, int]) -> bytes:
    require_pyroute2()
    ip, plen = addr
    msg = ifaddrmsg()
    msg["family"] = family_of(ip)
    msg["prefixlen"] = plen
    msg["index"] = ifindex
    text = ip_text(ip)
    msg["attrs"] = [("IFA_LOCAL", text), ("IFA_ADDRESS", text)] if len(ip) == 4 else [("IFA_ADDRESS", text)]
    return encode_body(msg)
