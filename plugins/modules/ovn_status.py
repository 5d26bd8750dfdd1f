#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ovn_status
short_description: The OVN backend's status per node and per network
version_added: 0.1.0
description:
  - Reads the Northbound and Southbound databases (nothing is written) and reports per node
    its chassis (registered, Geneve endpoint), its switch's block, whether its own port is up and
    how many task ports it has - C(STATUS_OK) or C(STATUS_FAILED) with the reasons - and per
    network the switches with their ports (kind C(topology), C(task) or C(foreign), up, addresses).
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing to show as a diff.
  idempotent:
    support: full
    description: Reads only.
options:
  nb:
    description: The Northbound database.
    type: str
    required: true
  sb:
    description: The Southbound database.
    type: str
    required: true
  nodes:
    description: The nodes (inventory names, which are their system-ids).
    type: list
    elements: str
    required: true
  network:
    description: The Mesos network name of the cluster subnet.
    type: str
    default: ovn
extends_documentation_fragment:
  - mesos.overlay.ovsdb
"""

EXAMPLES = r"""
- name: OVN status
  mesos.overlay.ovn_status:
    nb: tcp:172.31.220.11:6641
    sb: tcp:172.31.220.11:6642
    nodes: [master1, agent1]
"""

RETURN = r"""
nodes:
  description: Per node its status, error, chassis, subnet and number of task ports.
  returned: always
  type: dict
networks:
  description: Per network the router and the switches with their ports.
  returned: always
  type: dict
tenants:
  description: Per tenant its networks (subnet, MTU, task ports), gateway routers (chassis, external address)
    and load balancers (VIP -> backends).
  returned: always
  type: dict
table:
  description: The node table as lines of text.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.ovn.runs import run_status


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nb=dict(type="str", required=True),
            sb=dict(type="str", required=True),
            nodes=dict(type="list", elements="str", required=True),
            network=dict(type="str", default="ovn"),
            timeout=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_status)


if __name__ == "__main__":
    main()
