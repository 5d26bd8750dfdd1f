# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel numbers (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h,
linux/fib_rules.h, linux/if_link.h, linux/if_addr.h) and this collection's
own marks and defaults.  Nothing but names."""

import socket


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

IFLA_ADDRESS = 1
IFLA_IFNAME = 3
IFLA_EXT_MASK = 29
RTEXT_FILTER_VF = 1

IFA_ADDRESS = 1
IFA_LOCAL = 2

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
FRA_GOTO = 4
FRA_PRIORITY = 6
FRA_FWMARK = 10
FRA_TUN_ID = 12
FRA_TABLE = 15
FRA_OIFNAME = 17
FRA_UID_RANGE = 20
FRA_PROTOCOL = 21
FRA_IP_PROTO = 22
FRA_SPORT_RANGE = 23
FRA_DPORT_RANGE = 24
FR_ACT_TO_TBL = 1
# Rule attributes that make a rule select more than "from <subnet>".
# A rule with any of them is not one of ours, whatever its source and table.
RULE_SELECTORS = frozenset(
    (FRA_DST, FRA_IIFNAME, FRA_GOTO, FRA_FWMARK, FRA_TUN_ID, FRA_OIFNAME, FRA_UID_RANGE, FRA_IP_PROTO, FRA_SPORT_RANGE, FRA_DPORT_RANGE)
)

IFF_UP = 0x1
IFA_F_PERMANENT = 0x80
RT_SCOPE_LINK = 253

# Our mark on routes and rules (an unassigned number in linux/rtnetlink.h;
# /etc/iproute2/rt_protos.d/mesos_overlay.conf may name it "mesos_overlay").
ROUTE_PROTO = 44
DEFAULT_TABLE = 42
DEFAULT_DEVICE = "vtep1024"
DEFAULT_VNI = 1024
DEFAULT_PORT = 64000
