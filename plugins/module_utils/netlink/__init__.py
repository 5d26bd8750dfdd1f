# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The VXLAN data plane over netlink: the VTEP device and its peers.

A package of files a reader can hold in their head:

* :mod:`.constants`: kernel numbers by name, our marks and defaults;
* :mod:`.inputs`: checks of the modules' input (:class:`InputError`);
* :mod:`.rtnl`: the rtnetlink socket (dumps, requests, batches) and the
  message layouts (:class:`NetlinkError`);
* :mod:`.vtep`: the VTEP reconciler (:func:`reconcile_vtep`);
* :mod:`.peers`: the peer reconciler (:func:`reconcile_peers`).

Each reconciler reads the kernel once, plans the difference (pure) and
applies it in one pass.  Speed: the peer entries are dumped with kernel-side
filtering and parsed with ``struct``; changes are encoded with ``struct`` and
sent many per ``sendto`` (the byte layout is the one pyroute2's message
classes produce; the unit tests compare the two); the device, one message,
goes through pyroute2's classes.

Ownership marks: every route and rule made here carries the route protocol
:data:`ROUTE_PROTO` (44, ``mesos_overlay``); only those are ever deleted.
Neighbour and FDB entries are only read and removed on the VTEP device, and
only permanent ones.

No Ansible code is imported here.  pyroute2 0.7.2 (Debian 12) or 0.9.x is
needed for the device; :data:`HAS_PYROUTE2` tells whether it was found.
This module re-exports the public names of the files above.
"""

from __future__ import annotations

from ansible_collections.mesos.overlay.plugins.module_utils.netlink.constants import (  # noqa: F401
    AF_BRIDGE,
    AF_INET,
    AF_INET6,
    DEFAULT_DEVICE,
    DEFAULT_PORT,
    DEFAULT_TABLE,
    DEFAULT_VNI,
    FRA_DPORT_RANGE,
    FRA_DST,
    FRA_FWMARK,
    FRA_GOTO,
    FRA_IIFNAME,
    FRA_IP_PROTO,
    FRA_OIFNAME,
    FRA_PRIORITY,
    FRA_PROTOCOL,
    FRA_SPORT_RANGE,
    FRA_SRC,
    FRA_TABLE,
    FRA_TUN_ID,
    FRA_UID_RANGE,
    FR_ACT_TO_TBL,
    IFA_ADDRESS,
    IFA_F_PERMANENT,
    IFA_LOCAL,
    IFF_UP,
    IFLA_ADDRESS,
    IFLA_EXT_MASK,
    IFLA_IFNAME,
    NDA_DST,
    NDA_IFINDEX,
    NDA_LLADDR,
    NETLINK_CAP_ACK,
    NETLINK_EXT_ACK,
    NETLINK_GET_STRICT_CHK,
    NETLINK_ROUTE,
    NLMSGERR_ATTR_MSG,
    NLMSG_DONE,
    NLMSG_ERROR,
    NLM_F_ACK,
    NLM_F_ACK_TLVS,
    NLM_F_CAPPED,
    NLM_F_CREATE,
    NLM_F_DUMP,
    NLM_F_DUMP_INTR,
    NLM_F_EXCL,
    NLM_F_MULTI,
    NLM_F_REPLACE,
    NLM_F_REQUEST,
    NTF_SELF,
    NUD_NOARP,
    NUD_PERMANENT,
    ROUTE_PROTO,
    RTA_DST,
    RTA_GATEWAY,
    RTA_OIF,
    RTA_PRIORITY,
    RTA_TABLE,
    RTEXT_FILTER_VF,
    RTM_DELADDR,
    RTM_DELLINK,
    RTM_DELNEIGH,
    RTM_DELROUTE,
    RTM_DELRULE,
    RTM_GETADDR,
    RTM_GETLINK,
    RTM_GETNEIGH,
    RTM_GETROUTE,
    RTM_GETRULE,
    RTM_NEWADDR,
    RTM_NEWLINK,
    RTM_NEWNEIGH,
    RTM_NEWROUTE,
    RTM_NEWRULE,
    RTNH_F_ONLINK,
    RTN_UNICAST,
    RT_SCOPE_LINK,
    RT_SCOPE_UNIVERSE,
    RT_TABLE_MAIN,
    RT_TABLE_UNSPEC,
    RULE_SELECTORS,
    SOL_NETLINK,
    SO_RCVBUFFORCE,
    SO_SNDBUFFORCE,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.inputs import (  # noqa: F401
    IFNAME_RE,
    MAC_RE,
    PEER_KEYS,
    InputError,
    Peer,
    as_list,
    parse_ifname,
    parse_ip,
    parse_mac,
    parse_net,
    parse_peer,
    parse_peers,
    parse_rule_subnets,
    parse_table,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.rtnl import (  # noqa: F401
    addr_body,
    encode_body,
    HAS_PYROUTE2,
    PYROUTE2_IMPORT_ERROR,
    FIB_RULE_HDR,
    IFADDRMSG,
    IFINFOMSG,
    NDMSG,
    NLATTR,
    NLMSGERR,
    NLMSGHDR,
    RTMSG,
    U32,
    Netlink,
    NetlinkError,
    family_of,
    get_link,
    ip_text,
    iter_nlas,
    link_index,
    mac_text,
    message,
    nla,
    nla_u32,
    nla_u8,
    parse_nlas,
    require_pyroute2,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.peers import (  # noqa: F401
    CHANGES_SHOWN,
    iter_requests,
    plan_changes,
    FdbKey,
    NeighKey,
    PeerPlan,
    PeerTables,
    RouteKey,
    RuleKey,
    apply_plan_to,
    describe_tables,
    fdb_body,
    neigh_body,
    plan_peers,
    plan_requests,
    read_fdb,
    read_neigh,
    read_peer_tables,
    read_routes,
    read_rules,
    reconcile_peers,
    route_body,
    rule_body,
    table_name,
    want_tables,
)
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.vtep import (  # noqa: F401
    VtepPlan,
    VtepSpec,
    VtepState,
    apply_vtep,
    create_link_body,
    describe_spec,
    describe_vtep,
    parse_vtep_spec,
    plan_vtep,
    read_addresses,
    read_vtep,
    reconcile_vtep,
    recreate_reasons,
    set_up_body,
)
