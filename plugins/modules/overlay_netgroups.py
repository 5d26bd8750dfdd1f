#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay_netgroups
short_description: Netgroup isolation and isolated overlays on a node (ipsets and iptables)
version_added: 0.1.0
description:
  - Keeps, per netgroup, the ipset C(mo-ng-<netgroup>) (C(hash:net) with comments) of the
    node's own members; this module keeps the blocks of the node's docker networks of that
    netgroup in it, the C(mesos-overlay-netgroups) CNI plugin adds and removes the Mesos
    tasks' addresses (entries C(task:<container id>)), which this module never touches.
  - Keeps the ipset C(mo-nodes) of the cluster's nodes (O(nodes)); their connections are
    always accepted (health checks, masters).
  - In C(mangle PREROUTING), packets from the VTEP keep only the mark bits of the netgroups
    (C(0x0fff)), packets from a local member get the policy ID of each of its netgroups
    (C(--or-mark)); in C(mangle POSTROUTING), packets leaving through the VTEP have the other
    low 16 bits cleared, so no other software's mark goes on the wire. With a VXLAN-GBP VTEP
    (M(mesos.overlay.overlay_vtep) O(mesos.overlay.overlay_vtep#module:gbp=true)) on every
    node, the mark travels in the VXLAN header.
  - In C(filter), a chain C(MESOS-OVERLAY-NG) jumped from C(FORWARD) and C(DOCKER-USER) as
    their first rule (before the overlay's own accept rules) - replies and connections from
    O(nodes) pass; a new connection into an overlay of O(isolated) from outside it is dropped;
    a new connection to a member of a netgroup passes only when its mark carries that
    netgroup's policy ID. Destinations in no netgroup are not restricted.
  - Every rule carries C(-m comment --comment mesos-overlay-ng...); the chains and sets are
    recognised by their names (C(MESOS-OVERLAY-NG*), C(mo-ng-*), C(mo-nodes)). Reads
    C(iptables-save) and C(ipset save) once and applies the difference in one
    C(iptables-restore --noflush) between the set changes that must precede and follow it.
  - With no netgroups and no isolated overlay, or O(state=absent), everything of the above
    is removed.
  - IPv4 only.
author:
  - mesos.overlay developers (@mesos-overlay)
requirements:
  - iptables (iptables-save, iptables-restore) and ipset on the node.
  - The kernel's C(xt_set), C(xt_mark), C(xt_conntrack), C(xt_comment); C(br_netfilter) with
    C(net.bridge.bridge-nf-call-iptables=1) for traffic between two tasks of one bridge.
attributes:
  check_mode:
    support: full
    description: Reads the state and reports what would change; runs no restore.
  diff_mode:
    support: full
    description: C(before)/C(after) list our sets (without the CNI plugin's entries) and rules.
  idempotent:
    support: full
    description: Rules are compared as iptables-save prints them back; a re-run changes nothing.
options:
  netgroups:
    description: Netgroup name -> policy ID (a single bit of C(0x0fff)), as the allocator gave them.
    type: dict
    default: {}
  docker_blocks:
    description: Netgroup name -> the blocks of this node's docker networks of that netgroup.
    type: dict
    default: {}
  isolated:
    description: The subnets of the node's isolated overlays.
    type: list
    elements: str
    default: []
  nodes:
    description: The addresses (underlay and VTEP) of every node of the cluster.
    type: list
    elements: str
    default: []
  vtep:
    description: The VXLAN device.
    type: str
    default: vtep1024
extends_documentation_fragment:
  - mesos.overlay.iptables
"""

EXAMPLES = r"""
- name: Two netgroups and an isolated overlay
  mesos.overlay.overlay_netgroups:
    netgroups: {blue: 1, red: 2}
    docker_blocks: {blue: [10.210.3.0/24], red: [10.210.4.0/24]}
    isolated: [10.220.0.0/17]
    nodes: [172.31.0.11, 44.128.0.1, 172.31.0.12, 44.128.0.2]

- name: From the allocations the master role published
  mesos.overlay.overlay_netgroups: >-
    {{ overlay_allocations | mesos.overlay.overlay_netgroup_policy(
         inventory_hostname, overlay_network_config, overlay_netgroups) }}

- name: Remove everything of ours
  mesos.overlay.overlay_netgroups:
    state: absent
"""

RETURN = r"""
commands:
  description: What was (or, in check mode, would be) fed to the restore commands.
  returned: always
  type: dict
  contains:
    ipset:
      description: Lines for C(ipset restore), those run before the rules then those run after.
      type: list
      elements: str
    iptables:
      description: Lines for C(iptables-restore --noflush), with the C(*table)/C(COMMIT) framing.
      type: list
      elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.netgroups import run_netgroups


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netgroups=dict(type="dict", default={}),
            docker_blocks=dict(type="dict", default={}),
            isolated=dict(type="list", elements="str", default=[]),
            nodes=dict(type="list", elements="str", default=[]),
            vtep=dict(type="str", default="vtep1024"),
            backend=dict(type="str", choices=["auto", "nft", "legacy"], default="auto"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_netgroups)


if __name__ == "__main__":
    main()
