#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ovn_chassis_record
short_description: Remove the Southbound chassis records of removed nodes
version_added: 0.1.0
description:
  - A node whose C(ovn-controller) stopped cleanly removed its own C(Chassis) record; a node
    that could not be reached left it behind. This module deletes the C(Chassis) (and its
    C(Encap) and C(Chassis_Private)) records named in O(absent), the nodes' system-ids, and
    nothing else.
attributes:
  check_mode:
    support: full
    description: Reports the records that would go.
  diff_mode:
    support: none
    description: Nothing to show as a diff.
  idempotent:
    support: full
    description: Records already gone are fine.
options:
  sb:
    description: The Southbound database.
    type: str
    required: true
  absent:
    description: System-ids of the chassis to remove.
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - mesos.overlay.ovsdb
"""

EXAMPLES = r"""
- name: Forget agent3's chassis
  mesos.overlay.ovn_chassis_record:
    sb: tcp:172.31.220.11:6642
    absent: [agent3]
"""

RETURN = r"""
removed:
  description: The chassis removed (or that would be).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.ovn.runs import run_chassis_record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sb=dict(type="str", required=True),
            absent=dict(type="list", elements="str", required=True),
            timeout=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_chassis_record)


if __name__ == "__main__":
    main()
