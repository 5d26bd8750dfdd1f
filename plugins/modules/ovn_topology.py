#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ovn_topology
short_description: The OVN logical topology of seed 002 (cluster router, node switches, gateway)
version_added: 0.1.0
description:
  - Keeps the OVN Northbound database holding the topology of the Mesos OVN driver
    (seed 002) - the distributed router C(mesos-router); per node a logical switch
    named after the node with the node's block (C(other_config:subnet), for the
    dynamic addresses of tasks), a router port C(rtos-NODE) at the block's first
    address and the node's own port C(NODE_agent) at the second; and, when
    O(gateway) is given, a gateway router C(GR_NODE) pinned to that node's chassis,
    joined to C(mesos-router) by the switch C(join), reaching the underlay through
    the localnet port C(lnet-NODE) on C(ext_NODE) (bridge mapping C(physnet)), with
    SNAT of O(cluster_subnet) to the gateway's address.
  - Reads the whole database once, computes the difference and writes it in one
    transaction; writes nothing when there is none. MACs are derived from
    addresses (C(0a:58) + the IPv4 address), so reruns never change them.
  - Every row made carries the marks C(mesos.overlay/owner=mesos.overlay) and
    C(mesos.overlay/kind=topology) in C(external_ids); only marked rows are ever
    changed or deleted. A row with a wanted name that is not marked fails the task.
    Task ports made by the CNI plugin (kind C(task)) go with their node's switch, and
    with O(purge) those of nodes no longer in O(nodes) (on tenant networks) go too.
  - Uses ovsdbapp; run it where the Northbound database is reachable (a master).
attributes:
  check_mode:
    support: full
    description: Reads the database and reports the changes; writes nothing.
  diff_mode:
    support: full
    description: Shows the changed columns of every row before and after.
  idempotent:
    support: full
    description: A second run with the same options writes nothing.
options:
  nb:
    description: The Northbound database, e.g. C(tcp:10.0.0.2:6641,tcp:10.0.0.3:6641) or C(unix:/var/run/ovn/ovnnb_db.sock).
    type: str
    required: true
  cluster_subnet:
    description: The address space of all node blocks (C(ovn_cluster_subnet)). Required with O(state=present).
    type: str
  nodes:
    description:
      - Every node of the cluster, each with its block (from M(mesos.overlay.overlay_allocate)).
      - C(chassis) is the node's OVS system-id (default C(name)).
    type: list
    elements: dict
    default: []
  gateway:
    description:
      - The gateway (C(ovn_gateway_node), C(ovn_gateway_ip), C(ovn_gateway_nexthop)) -
        C(node), C(ip) (address with prefix length on the underlay), optional C(nexthop), optional C(chassis).
    type: dict
  tenants:
    description:
      - Tenants of seed 004 (C(ovn_tenants)) - each C({name, cluster_subnet, join_subnet, gateways,
        networks, load_balancers}); C(gateways) C([{node, ip, nexthop}]), C(networks)
        C([{name, subnet, mtu}]), C(load_balancers) C([{name, vip, backends, protocol}]).
      - Per tenant a router C(<name>), a join switch C(join_<name>), a gateway router
        C(GR_<name>_<node>) per gateway (SNAT, default routes of the tenant's router to each),
        per network a switch C(<network>) with router port C(rtos-<name>-<network>), per load
        balancer an OVN load balancer on the tenant's gateway routers. No route joins two tenants.
      - A tenant's gateway router keeps the join address it holds in the database (its port
        C(rtoj-GR_<name>_<node>)), whatever its place in C(gateways); a new one takes the lowest free
        address of the tenant's C(join_subnet) from the second up. Removing a gateway touches no row
        of the others.
    type: list
    elements: dict
    default: []
  join_subnet:
    description: Addresses between C(mesos-router) (first) and the gateway router (second).
    type: str
    default: 100.64.0.0/29
  purge:
    description: Delete marked topology rows that are not wanted (nodes that left, a gateway moved).
    type: bool
    default: true
  state:
    description: C(absent) deletes every marked topology row (and so the task ports on the node switches).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - mesos.overlay.ovsdb
"""

EXAMPLES = r"""
- name: Seed 002's topology
  mesos.overlay.ovn_topology:
    nb: tcp:172.31.220.11:6641
    cluster_subnet: 10.220.0.0/16
    nodes:
      - {name: master1, subnet: 10.220.0.0/24}
      - {name: agent1, subnet: 10.220.1.0/24}
    gateway: {node: master1, ip: 172.31.220.200/24}
"""

RETURN = r"""
actions:
  description: What was (or, in check mode, would be) done, one line per row.
  returned: always
  type: list
  elements: str
  sample: ["create Logical_Router mesos-router", "update Logical_Router_Port rtos-agent1"]
nodes:
  description: Per node, its place in the topology (what the chassis role plugs in).
  returned: always
  type: dict
  sample:
    agent1: {switch: agent1, subnet: 10.220.1.0/24, router_ip: 10.220.1.1/24,
             port: agent1_agent, port_ip: 10.220.1.2/24, port_mac: "0a:58:0a:dc:01:02"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.ovn.runs import run_topology


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nb=dict(type="str", required=True),
            cluster_subnet=dict(type="str"),
            nodes=dict(type="list", elements="dict", default=[]),
            gateway=dict(type="dict"),
            tenants=dict(type="list", elements="dict", default=[]),
            join_subnet=dict(type="str", default="100.64.0.0/29"),
            purge=dict(type="bool", default=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            timeout=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    run_module(module, run_topology)


if __name__ == "__main__":
    main()
