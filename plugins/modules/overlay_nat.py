#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay_nat
short_description: Masquerading and forwarding for the DC/OS overlays on a node
version_added: 0.1.0
description:
  - Keeps the ipset O(ipset) (C(hash:net)) holding C(0.0.0.0/1), C(128.0.0.0/1)
    and every overlay subnet flagged C(nomatch), and per overlay the rule
    C(-t nat -A POSTROUTING -s <subnet> -m set --match-set overlay dst -j MASQUERADE),
    so traffic leaving an overlay is masqueraded and traffic inside the overlays is not.
  - Accepts forwarding between the overlay interfaces (the VTEP O(vtep), the Mesos
    bridges C(m-<name>) and the Docker bridges C(d-<name>)), and from the Mesos
    bridges out of the overlay, even when the C(FORWARD) policy is C(DROP) as Docker
    sets it, and across Docker's C(DOCKER-ISOLATION-STAGE-1)/C(-2) chains. This is
    done in two chains of its own, O(chain) and C(<chain>-IN), jumped to from
    C(FORWARD) and, when it exists, from C(DOCKER-USER) (which Docker runs before its
    isolation chains).
  - Every rule it adds to a built-in chain carries C(-m comment --comment mesos-overlay...);
    rules without that mark are never touched. Rules of overlays that are no longer
    listed are removed; re-runs never add duplicates.
  - Reads C(iptables-save) and C(ipset save) once, computes the difference and applies
    it in one C(ipset restore) and one C(iptables-restore --noflush).
  - Works with the C(nft) and C(legacy) backends of iptables; by default it uses
    whichever C(iptables-save) and C(iptables-restore) the system's alternatives
    select, which is also what Docker uses.
  - IPv4 only.
author:
  - mesos.overlay developers (@mesos-overlay)
requirements:
  - iptables (iptables-save, iptables-restore) and ipset on the node.
  - The kernel's C(xt_set), C(xt_comment), C(xt_conntrack) and C(MASQUERADE) support.
attributes:
  check_mode:
    support: full
    description: Reads the state and reports what would change; runs no restore.
  diff_mode:
    support: full
    description: C(before)/C(after) list the set members and every rule of ours.
  idempotent:
    support: full
    description: Our rules are compared as iptables-save prints them back; a re-run changes nothing.
options:
  overlays:
    description:
      - The overlays of the node, each a dict with C(name) (its bridges are C(m-<name>)
        and C(d-<name>)) and C(subnet), the overlay's whole IPv4 address space
        (C(9.0.0.0/8)), not the node's block.
      - Other keys are ignored, so the overlays of C(overlay_network_config) can be
        passed as they are.
    type: list
    elements: dict
    default: []
  vtep:
    description: The VXLAN device of the overlays.
    type: str
    default: vtep1024
  mesos_bridge:
    description: Whether the node has the Mesos bridges C(m-<name>).
    type: bool
    default: true
  docker_bridge:
    description: Whether the node has the Docker bridges C(d-<name>).
    type: bool
    default: true
  extra_bridges:
    description:
      - More Docker bridges of the overlays, treated like C(d-<name>) - the bridges of the
        docker networks of netgroups (C(ngd-*), see M(mesos.overlay.overlay_netgroups)).
    type: list
    elements: str
    default: []
    version_added: 0.1.0
  ipset:
    description: Name of the ipset.
    type: str
    default: overlay
  chain:
    description: Name of our filter chain; the second one is C(<chain>-IN).
    type: str
    default: MESOS-OVERLAY
  comment:
    description: The mark on our rules (C(-m comment --comment)); masquerade rules get C(<comment>:<overlay>).
    type: str
    default: mesos-overlay
extends_documentation_fragment:
  - mesos.overlay.iptables
"""

EXAMPLES = r"""
- name: NAT and forwarding for two overlays
  mesos.overlay.overlay_nat:
    overlays:
      - name: dcos
        subnet: 9.0.0.0/8
      - name: vxlan-2
        subnet: 12.0.0.0/8

- name: A master (no bridges, only the VTEP)
  mesos.overlay.overlay_nat:
    overlays: [{name: dcos, subnet: 9.0.0.0/8}]
    mesos_bridge: false
    docker_bridge: false

- name: Remove everything of ours
  mesos.overlay.overlay_nat:
    state: absent
"""

RETURN = r"""
commands:
  description: What was (or, in check mode, would be) fed to the restore commands.
  returned: always
  type: dict
  contains:
    ipset:
      description: Lines for C(ipset restore).
      type: list
      elements: str
    iptables:
      description: Lines for C(iptables-restore --noflush), with the C(*table)/C(COMMIT) framing.
      type: list
      elements: str
  sample:
    ipset: ["create overlay hash:net family inet", "add overlay 0.0.0.0/1"]
    iptables: ["*nat", "-A POSTROUTING -s 9.0.0.0/8 -m set --match-set overlay dst -m comment --comment mesos-overlay:dcos -j MASQUERADE", "COMMIT"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.nat import run_nat


def main():
    module = AnsibleModule(
        argument_spec=dict(
            overlays=dict(type="list", elements="dict", default=[]),
            vtep=dict(type="str", default="vtep1024"),
            mesos_bridge=dict(type="bool", default=True),
            docker_bridge=dict(type="bool", default=True),
            extra_bridges=dict(type="list", elements="str", default=[]),
            ipset=dict(type="str", default="overlay"),
            chain=dict(type="str", default="MESOS-OVERLAY"),
            comment=dict(type="str", default="mesos-overlay"),
            backend=dict(type="str", choices=["auto", "nft", "legacy"], default="auto"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_nat)


if __name__ == "__main__":
    main()
