#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ovn_chassis
short_description: A node's Open vSwitch database as an OVN chassis needs it
version_added: 0.1.0
description:
  - Sets the given keys of C(Open_vSwitch) C(external_ids) (C(system-id), C(ovn-remote),
    C(ovn-encap-type), C(ovn-encap-ip), C(ovn-bridge-datapath-type), C(ovn-bridge-mappings)),
    and makes the given bridges and ports (interface type, MAC, C(external_ids) keys such as
    C(iface-id)) exist. Other keys, bridges and ports are left alone.
  - Reads the database once and writes the difference in one transaction (ovsdbapp).
attributes:
  check_mode:
    support: full
    description: Reports the changes; writes nothing.
  diff_mode:
    support: full
    description: Shows each changed row before and after.
  idempotent:
    support: full
    description: A second run writes nothing.
options:
  db:
    description: The local Open vSwitch database.
    type: str
    default: unix:/var/run/openvswitch/db.sock
  external_ids:
    description: Keys of C(Open_vSwitch) C(external_ids) to set.
    type: dict
    default: {}
  bridges:
    description:
      - Bridges to have, each C({name, datapath_type, other_config, ports}); a port is a
        name or C({name, type, mac, external_ids}).
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - mesos.overlay.ovsdb
"""

EXAMPLES = r"""
- name: Chassis settings and the node's own port
  mesos.overlay.ovn_chassis:
    external_ids:
      system-id: agent1
      ovn-remote: tcp:172.31.220.11:6642
      ovn-encap-type: geneve
      ovn-encap-ip: 172.31.220.21
    bridges:
      - name: br-int
        ports:
          - {name: ovn-mesos, type: internal, mac: "0a:58:0a:dc:01:02", external_ids: {iface-id: agent1_agent}}
"""

RETURN = r"""
actions:
  description: The rows changed (or that would be).
  returned: always
  type: list
  elements: str
  sample: ["Open_vSwitch", "Port ovn-mesos"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.ovn.runs import run_chassis


def main():
    module = AnsibleModule(
        argument_spec=dict(
            db=dict(type="str", default="unix:/var/run/openvswitch/db.sock"),
            external_ids=dict(type="dict", default={}),
            bridges=dict(type="list", elements="dict", default=[]),
            timeout=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_chassis)


if __name__ == "__main__":
    main()
