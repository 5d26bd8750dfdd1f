#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay_peers
short_description: Neighbour, FDB, route and policy-routing entries for every overlay peer
version_added: 0.1.0
description:
  - For every other node of the overlay network (a I(peer)), keeps on the VTEP
    device what dcos-net kept there - a permanent neighbour entry VTEP IP to VTEP
    MAC; a permanent FDB entry VTEP MAC to the peer's underlay IP; a route to each
    of the peer's overlay subnets via its VTEP IP; the same neighbour entry and
    routes for IPv6 when the peer has C(vtep_ip6) and C(subnets6) - and
    the policy routing - C(ip rule from <overlay subnet> lookup 42) for each of
    O(rule_subnets), and in table O(table) a route to each peer's underlay IP via
    its VTEP IP.
  - All peers at once - each kind of entry is read once (filtered by the kernel by
    device, table and route protocol), the difference is computed and applied in
    one batch of netlink messages. It stays fast at thousands of peers.
  - With O(purge), entries on the device that belong to no current peer are
    removed. Entries on other devices are never touched, nor are routes and rules
    the module did not make. Its routes and rules carry the route protocol 44
    (C(proto 44) in C(ip route) and C(ip rule)); only those are ever deleted.
    Only permanent neighbour and FDB entries are considered (learned ones age out).
  - Works with pyroute2 0.7.2 (Debian 12) and later.
author:
  - mesos.overlay developers (@mesos-overlay)
requirements:
  - pyroute2 (Debian/Ubuntu package C(python3-pyroute2))
  - Linux, root (CAP_NET_ADMIN); the device must exist (M(mesos.overlay.overlay_vtep))
attributes:
  check_mode:
    support: full
    description: Reads the kernel and returns the planned changes themselves (RV(changes), RV(counts)); changes nothing.
  diff_mode:
    support: full
    description: Shows the neighbour, FDB, route and rule entries before and after, as sorted readable lists.
  idempotent:
    support: full
    description: A second run with the same peers changes nothing.
options:
  device:
    description:
      - The VTEP device. It must exist, except in check mode, where a missing device
        (one that M(mesos.overlay.overlay_vtep) would create) means every entry is to be added.
    type: str
    default: vtep1024
  peers:
    description:
      - The other nodes, as the C(mesos.overlay.overlay_peer_list) filter gives them.
      - "Each is a dict: C(vtep_ip), the peer's VTEP IPv4 address, with or without its
        prefix length (C(44.128.0.2/20) or C(44.128.0.2)); C(vtep_mac), its VTEP MAC;
        C(agent_ip), its underlay IPv4 address (where its VXLAN packets go); C(subnets),
        its overlay subnets (IPv4 CIDR), routed via its VTEP IP; C(vtep_ip6), its VTEP
        IPv6 address; C(subnets6), its IPv6 overlay subnets, routed via C(vtep_ip6);
        C(name), its inventory hostname, only used in messages. C(vtep_ip), C(vtep_mac)
        and C(agent_ip) are required."
      - No two peers may share a VTEP IP, VTEP MAC, underlay IP or subnet.
      - The elements are checked once, by the module itself, with errors naming the
        element and the field (C(peers[3].vtep_mac)); at thousands of peers Ansible's own
        per-element checks would cost more than programming them.
    type: list
    elements: dict
    default: []
  rule_subnets:
    description:
      - The overlay subnets (the C(subnet) of each overlay, e.g. C(9.0.0.0/8)) whose
        traffic is looked up in O(table) first - C(ip rule from <subnet> lookup 42).
      - A rule that already exists (whoever made it) is kept; with O(purge), rules
        to O(table) made by this module for subnets no longer listed are removed.
    type: list
    elements: str
    default: []
  table:
    description: The routing table of the routes to the peers' underlay IPs.
    type: int
    default: 42
  purge:
    description: Remove entries (made by this module, or permanent entries on O(device)) that belong to no current peer.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Peers of this node
  mesos.overlay.overlay_peers:
    device: vtep1024
    peers: "{{ overlay_allocations | mesos.overlay.overlay_peer_list(inventory_hostname) }}"
    rule_subnets: "{{ overlay_network_config.overlays | selectattr('enabled') | map(attribute='subnet') | list }}"

- name: Add one peer by hand, leave the others
  mesos.overlay.overlay_peers:
    purge: false
    peers:
      - vtep_ip: 44.128.0.2/20
        vtep_mac: "70:b3:d5:80:00:02"
        agent_ip: 172.31.254.12
        subnets: [192.168.1.0/24]
"""

RETURN = r"""
changes:
  description:
    - The changes made (or, in check mode, to be made), one line each, removals
      first; at most 100 lines, then a line C(... and N more) (RV(counts) has the totals).
    - Each line names the entry as C(ip) shows it, e.g. C(add route 9.0.2.0/24 via 44.128.0.2 table main).
  returned: always
  type: list
  elements: str
  sample:
    - delete neighbour 44.128.0.9
    - add neighbour 44.128.0.2 lladdr 70:b3:d5:80:00:02
    - add fdb 70:b3:d5:80:00:02 dst 172.31.254.12
    - add route 9.0.2.0/24 via 44.128.0.2 table main
    - add route 172.31.254.12/32 via 44.128.0.2 table 42
    - add rule from 9.0.0.0/8 lookup 42
counts:
  description:
    - Per kind (C(neighbours), C(fdb), C(routes), C(rules)), how many entries were
      (or would be, in check mode) C(added), C(updated) (same key, other MAC or
      gateway) and C(removed).
  returned: always
  type: dict
  sample:
    neighbours: {added: 3, updated: 0, removed: 1}
    fdb: {added: 3, updated: 0, removed: 1}
    routes: {added: 9, updated: 0, removed: 3}
    rules: {added: 1, updated: 0, removed: 0}
peers:
  description: The number of peers.
  returned: always
  type: int
  sample: 3
route_proto:
  description: The route protocol number that marks this module's routes and rules.
  returned: always
  type: int
  sample: 44
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.peers import run_peers


def main():
    module = AnsibleModule(
        argument_spec=dict(
            device=dict(type="str", default="vtep1024"),
            # each element is checked in the core, once (netlink.inputs.parse_peers)
            peers=dict(type="list", elements="dict", default=[]),
            rule_subnets=dict(type="list", elements="str", default=[]),
            table=dict(type="int", default=42),
            purge=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_peers)


if __name__ == "__main__":
    main()
