#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay_allocate
short_description: Allocate VTEP addresses, MACs and overlay subnets to Mesos nodes
version_added: 0.1.0
description:
  - The allocating half of the DC/OS overlay master module, as an Ansible module
    that runs on the controller.
  - Gives every node a VTEP IP (the lowest free address of C(vtep_subnet)),
    a VTEP MAC (the OUI's upper three bytes and the VTEP IP's last three bytes)
    and, per enabled overlay, the lowest free block of length C(prefix) in the
    overlay's C(subnet), split into a Mesos half (lower) and a Docker half (upper).
    The same for IPv6 when C(vtep_subnet6) and C(subnet6) are set.
  - Allocations are kept in a JSON state file, keyed by node name, and never move.
    A node missing from O(agents) keeps its allocation unless O(prune) is set or it
    is named in O(remove). A new overlay gets fresh blocks for every node.
  - The state file is written atomically (temporary file, fsync, rename) under an
    exclusive lock, with the previous version kept as C(<state_file>.bak). It is not
    touched at all when nothing changes.
  - A configuration that would move an existing allocation (another C(vtep_subnet),
    C(vtep_mac_oui), or an overlay's C(subnet)/C(prefix)) is refused.
author:
  - mesos.overlay developers (@mesos-overlay)
attributes:
  check_mode:
    support: full
    description: Computes and returns the allocations; writes nothing.
  diff_mode:
    support: full
    description: Shows the nodes whose allocation is added, changed or released.
  idempotent:
    support: full
    description: A second run with the same input changes nothing and leaves the state file untouched.
options:
  network:
    description:
      - The overlay network configuration (the C(NetworkConfig) of the Mesos overlay
        modules) as a dict with C(vtep_subnet), C(vtep_subnet6), C(vtep_mac_oui),
        C(vtep_mtu) and C(overlays).
      - Each overlay is C({name, subnet, prefix, subnet6, prefix6, enabled}).
      - With O(network_file), it supplies what the file lacks, such as the VTEP
        settings beside a bare list of overlays.
      - At least one of O(network) and O(network_file) is required.
    type: dict
  network_file:
    description:
      - Path (on the controller) to the configuration in one of its published shapes
        - an object C({vtep_subnet, vtep_mac_oui, overlays}), a bare list of
        overlays (VTEP settings from O(network)), a master config with a C(network)
        object, or the Mesos C(--modules) JSON whose overlay master module points
        at one of those with its C(overlays) or C(master_config) parameter.
    type: path
  agents:
    description:
      - The nodes to allocate for, in order; new nodes are allocated in this order.
      - Masters and agents alike; C(role) is recorded for the agent role (masters
        get a VTEP and subnets, but no bridges).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The node's name (the inventory hostname). Allocations are keyed by it.
        type: str
        required: true
      ip:
        description: The node's underlay IPv4 address. Two nodes with one IP are an error.
        type: str
        required: true
      role:
        description: C(agent) or C(master).
        type: str
        choices: [agent, master]
        default: agent
  state_file:
    description:
      - Path of the JSON state file on the controller. Its directory is created when missing.
    type: path
    required: true
  prune:
    description:
      - Release every node that is not listed in O(agents).
    type: bool
    default: false
  remove:
    description:
      - Names of nodes to release. Their addresses become free for later nodes.
    type: list
    elements: str
    default: []
notes:
  - "Runs on the controller (use C(delegate_to: localhost) and C(run_once: true)), where
    the state file lives."
seealso:
  - module: mesos.overlay.overlay_vtep
  - module: mesos.overlay.overlay_peers
"""

EXAMPLES = r"""
- name: Allocate for three agents with the configuration of the Mesos overlay README
  mesos.overlay.overlay_allocate:
    network:
      vtep_subnet: 44.128.0.0/16
      vtep_mac_oui: "70:B3:D5:00:00:00"
      overlays:
        - {name: vxlan-1, subnet: 192.168.0.0/17, prefix: 24}
        - {name: vxlan-2, subnet: 192.168.128.0/17, prefix: 24}
    agents:
      - {name: a1, ip: 10.0.0.11}
      - {name: a2, ip: 10.0.0.12}
      - {name: a3, ip: 10.0.0.13}
    state_file: /var/lib/mesos-overlay/state.json
  delegate_to: localhost
  run_once: true
  register: overlay

- name: Read the configuration the Mesos master modules used
  mesos.overlay.overlay_allocate:
    network_file: /opt/mesosphere/etc/master_modules.json
    agents: "{{ nodes }}"
    state_file: /var/lib/mesos-overlay/state.json

- name: Release two agents that left the cluster
  mesos.overlay.overlay_allocate:
    network_file: files/overlay-config.json
    remove: [agent7, agent9]
    state_file: /var/lib/mesos-overlay/state.json
"""

RETURN = r"""
allocations:
  description:
    - Every node's allocation, keyed by name, in the order first allocated.
    - Only enabled overlays appear; absent IPv6 values are null.
  returned: success
  type: dict
  sample:
    a1:
      ip: 10.0.0.11
      role: agent
      vtep_ip: 44.128.0.1/16
      vtep_ip6: null
      vtep_mac: "70:b3:d5:80:00:01"
      overlays:
        vxlan-1:
          subnet: 192.168.0.0/24
          mesos_subnet: 192.168.0.0/25
          docker_subnet: 192.168.0.128/25
          subnet6: null
          mesos_subnet6: null
          docker_subnet6: null
network:
  description: The validated, normalised configuration.
  returned: success
  type: dict
netgroups:
  description:
    - The policy ID of every netgroup of C(network.netgroups), a single bit of the
      VXLAN group policy field; kept in the state and never moved.
    - With netgroups, every agent's entry of an overlay in RV(allocations) also has
      C(netgroups), the block of the docker network of that overlay and netgroup.
  returned: success
  type: dict
  sample: {"blue": 1, "red": 2}
added:
  description: Nodes that got a new allocation.
  returned: success
  type: list
  elements: str
removed:
  description: Nodes whose allocation was released.
  returned: success
  type: list
  elements: str
updated:
  description: Known nodes that changed (a new underlay IP, blocks of a new overlay...).
  returned: success
  type: list
  elements: str
state_file:
  description: The state file used.
  returned: success
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.allocate import run_allocate
from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            network=dict(type="dict"),
            network_file=dict(type="path"),
            agents=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    name=dict(type="str", required=True),
                    ip=dict(type="str", required=True),
                    role=dict(type="str", default="agent", choices=["agent", "master"]),
                ),
            ),
            state_file=dict(type="path", required=True),
            prune=dict(type="bool", default=False),
            remove=dict(type="list", elements="str", default=[]),
        ),
        required_one_of=[("network", "network_file")],
        supports_check_mode=True,
    )
    run_module(module, run_allocate)


if __name__ == "__main__":
    main()
