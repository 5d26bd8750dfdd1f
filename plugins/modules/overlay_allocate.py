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
    description:
      - Shows the state file's change by node and overlay - what is allocated, changed and
        released, each value beside its own old value - and the configuration's change,
        overlays matched by name, under the state file's name.
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
      - Each is C({name, ip, role}) - C(name), the node's name (the inventory hostname;
        allocations are keyed by it); C(ip), its underlay IPv4 address (two nodes with
        one IP are an error); C(role), C(agent) (the default) or C(master) (masters get
        a VTEP and subnets, but no bridges).
      - The elements are checked once, by the module itself, with errors naming the
        element and the field (C(agents[3].ip)); at thousands of nodes Ansible's own
        per-element checks would cost more than the allocation.
    type: list
    elements: dict
    default: []
  state_file:
    description:
      - Path of the JSON state file on the controller. Its directory is created when missing.
      - Required with O(state_backend=file).
    type: path
  state_backend:
    description:
      - Where the allocation document lives. V(file) is O(state_file), written under a lock.
        V(zookeeper) is the znode O(zookeeper_path) of the ensemble O(zookeeper_hosts), written
        only if nobody wrote it since it was read (compare-and-set); a lost race re-reads,
        recomputes and retries, up to 8 times, then fails saying so.
      - Both hold the same document byte for byte, so a cluster moves between them with
        O(import_state) without an address moving.
    type: str
    choices: [file, zookeeper]
    default: file
  zookeeper_hosts:
    description:
      - The ZooKeeper ensemble, C(host:port) entries (a list or one comma-separated string).
        The Mesos masters' ensemble will do. Required with O(state_backend=zookeeper).
    type: list
    elements: str
    default: []
  zookeeper_path:
    description: The znode that holds the document; missing parents are created.
    type: str
    default: /mesos-overlay/state
  zookeeper_timeout:
    description: Seconds to wait for a ZooKeeper session (and the session timeout).
    type: float
    default: 10.0
  import_state:
    description:
      - Allocations that already exist, seeded into the state exactly as they are before
        anything is allocated, so converging changes no address. Either a dump of the DC/OS
        overlay master's C(/overlay-master/state) (C({network, agents}); each agent is
        matched to the node of O(agents) with its underlay C(ip)), or a state document of
        this collection (another store's, by node name).
      - A dict, or a path on the controller to the JSON.
      - Refused with the reason, and nothing written, when it conflicts with the
        configuration (another C(vtep_subnet), an address outside its pool, an overlay the
        configuration lacks, a MAC that is not the VTEP address's), with the stored state
        (a node holding something else there, an address held by another node) or with
        itself, or when a dump's agent is not a node of O(agents).
      - Importing what is already stored changes nothing, so it may stay set.
    type: raw
  node_records:
    description:
      - What each node holds, keyed by node name - the agent role's local fact
        C(mesos_overlay) (C(vtep.ip), C(vtep.ip6), C(vtep.mac), C(overlays.NAME.subnet),
        C(overlays.NAME.subnet6), C(overlays.NAME.netgroups) (netgroup to the block of its
        docker network), C(netgroups.ids) (the netgroups' policy IDs)).
      - A node whose allocation would differ from its record fails the run before
        anything is written, naming the node, what it holds and what it would get.
    type: dict
    default: {}
  recover:
    description:
      - Seed the state from O(node_records) before allocating, as O(import_state) does
        (refusing conflicts such as two nodes claiming one address or block, or two policy
        IDs for one netgroup). Rebuilds a lost state, netgroups' policy IDs and docker
        blocks included; with an intact one it changes nothing.
    type: bool
    default: false
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
  - O(state_backend=zookeeper) needs the Python package C(kazoo) on the controller.
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

- name: Read the configuration the Mesos master modules used (their --modules JSON)
  mesos.overlay.overlay_allocate:
    network_file: /opt/mesosphere/etc/master_modules.json
    agents:
      - {name: m1, ip: 10.0.0.2, role: master}
      - {name: a1, ip: 10.0.0.11}
    state_file: /var/lib/mesos-overlay/state.json
  delegate_to: localhost
  run_once: true

- name: Keep the allocations in the Mesos masters' ZooKeeper
  mesos.overlay.overlay_allocate:
    network_file: /etc/mesos/overlay-config.json
    agents:
      - {name: a1, ip: 10.0.0.11}
    state_backend: zookeeper
    zookeeper_hosts: [10.0.0.2:2181, 10.0.0.3:2181, 10.0.0.4:2181]
    zookeeper_path: /mesos-overlay/state
  delegate_to: localhost
  run_once: true

# curl -s http://MASTER:5050/overlay-master/state > /etc/mesos/overlay-master-state.json
- name: Take over a running DC/OS cluster, its configuration and allocations from the dump
  mesos.overlay.overlay_allocate:
    network_file: /etc/mesos/overlay-master-state.json
    import_state: /etc/mesos/overlay-master-state.json
    agents:
      - {name: agent5, ip: 10.0.0.5}
      - {name: agent6, ip: 10.0.0.6}
      - {name: agent9, ip: 10.0.0.9}
    state_file: /var/lib/mesos-overlay/dcos-state.json
  delegate_to: localhost
  run_once: true

- name: Release two agents that left the cluster
  mesos.overlay.overlay_allocate:
    network_file: /etc/mesos/overlay-config.json
    remove: [a2, a3]
    state_file: /var/lib/mesos-overlay/state.json
  delegate_to: localhost
  run_once: true
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
seeded:
  description: Nodes whose allocation was taken from O(import_state) or the records (O(recover)).
  returned: success
  type: list
  elements: str
state_file:
  description: The state file used (null with the zookeeper backend).
  returned: success
  type: str
state_store:
  description: The store used, for messages - the file, or the ensemble and znode.
  returned: success
  type: str
attempts:
  description: Reads of the state this run needed (more than 1 - it lost a race and recomputed).
  returned: success
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.allocate import run_allocate
from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module


def main():
    module = AnsibleModule(
        argument_spec=dict(
            network=dict(type="dict"),
            network_file=dict(type="path"),
            # each element is checked in the core, once (allocator.node_requests)
            agents=dict(type="list", elements="dict", default=[]),
            state_file=dict(type="path"),
            state_backend=dict(type="str", default="file", choices=["file", "zookeeper"]),
            zookeeper_hosts=dict(type="list", elements="str", default=[]),
            zookeeper_path=dict(type="str", default="/mesos-overlay/state"),
            zookeeper_timeout=dict(type="float", default=10.0),
            prune=dict(type="bool", default=False),
            remove=dict(type="list", elements="str", default=[]),
            import_state=dict(type="raw"),
            node_records=dict(type="dict", default={}),
            recover=dict(type="bool", default=False),
        ),
        required_one_of=[("network", "network_file")],
        required_if=[("state_backend", "file", ("state_file",)),
                     ("state_backend", "zookeeper", ("zookeeper_hosts",))],
        supports_check_mode=True,
    )
    run_module(module, run_allocate)


if __name__ == "__main__":
    main()
