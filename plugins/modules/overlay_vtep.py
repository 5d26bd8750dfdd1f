#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay_vtep
short_description: The VXLAN device (VTEP) of the DC/OS overlay network on a node
version_added: 0.1.0
description:
  - Keeps the VXLAN device of the overlay network (C(vtep1024), VNI 1024, UDP port
    64000) as dcos-net made it - learning on, TTL and TOS inherited, no UDP
    checksum - with the node's VTEP MAC and address, its IPv6 address when given,
    its MTU when given, and up.
  - A device whose kind, VNI, port, MAC, MTU, learning or O(gbp) setting differ is deleted
    and created again; its neighbour, FDB and route entries go with it, so run
    M(mesos.overlay.overlay_peers) after this module. No VXLAN attribute is ever
    changed in place (the kernel cannot change C(gbp), and a C(gbp) device changed
    in place was seen to drop every incoming GBP packet).
  - Addresses on the device other than O(address) and O(address6) are removed
    (IPv6 link-local addresses are left alone).
  - Talks netlink directly (pyroute2's message classes); works with pyroute2 0.7.2
    (Debian 12) and later.
author:
  - mesos.overlay developers (@mesos-overlay)
requirements:
  - pyroute2 (Debian/Ubuntu package C(python3-pyroute2))
  - Linux with VXLAN support, root (CAP_NET_ADMIN)
attributes:
  check_mode:
    support: full
    description: Computes and reports what would change; changes nothing.
  diff_mode:
    support: full
    description: Shows the device (kind, VNI, port, MAC, MTU, up, addresses) before and after.
  idempotent:
    support: full
    description: A second run with the same options changes nothing.
options:
  name:
    description: Name of the device.
    type: str
    default: vtep1024
  vni:
    description: VXLAN network identifier.
    type: int
    default: 1024
  port:
    description: UDP destination port of the VXLAN traffic.
    type: int
    default: 64000
  mac:
    description:
      - The VTEP MAC, e.g. C(70:b3:d5:80:00:01).
      - Required with O(state=present).
    type: str
  address:
    description:
      - The VTEP IPv4 address with its prefix length, e.g. C(44.128.0.1/20). Without
        a prefix length it is a C(/32).
      - Required with O(state=present).
    type: str
  address6:
    description:
      - The VTEP IPv6 address with its prefix length, e.g. C(fd01:a::1/64).
      - When given, IPv6 is enabled on the device (C(disable_ipv6=0)).
    type: str
  mtu:
    description:
      - MTU of the device (at least 552). When not given, the MTU is left as it is.
    type: int
  gbp:
    description:
      - VXLAN Group Based Policy (C(ip link add ... type vxlan ... gbp)) - the low 16 bits
        of a packet's mark travel in the VXLAN header and become the mark on the
        receiving node; what netgroup isolation (M(mesos.overlay.overlay_netgroups)) needs.
      - A receiver without C(gbp) drops packets that carry a policy, so turn it on on
        every node of the cluster before any node marks packets.
    type: bool
    default: false
    version_added: 0.1.0
  state:
    description: Whether the device should exist.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: The VTEP of this node
  mesos.overlay.overlay_vtep:
    mac: "{{ overlay_allocation.vtep_mac }}"
    address: "{{ overlay_allocation.vtep_ip }}"
    address6: "{{ overlay_allocation.vtep_ip6 | default(omit, true) }}"
    mtu: "{{ overlay_network_config.vtep_mtu | default(omit, true) }}"

- name: Remove the VTEP
  mesos.overlay.overlay_vtep:
    state: absent
"""

RETURN = r"""
device:
  description: The device after the run (as it would be in check mode).
  returned: always
  type: dict
  sample:
    state: present
    name: vtep1024
    kind: vxlan
    vni: 1024
    port: 64000
    mac: "70:b3:d5:80:00:01"
    mtu: 1420
    up: true
    learning: true
    gbp: false
    addresses: ["44.128.0.1/20"]
    addresses6: []
recreated:
  description: Whether the device was (or would be, in check mode) deleted and created again.
  returned: always
  type: bool
reasons:
  description: Why an existing device had to be created again.
  returned: always
  type: list
  elements: str
  sample: ["VNI is 42, not 1024"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.netlink.vtep import run_vtep


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", default="vtep1024"),
            vni=dict(type="int", default=1024),
            port=dict(type="int", default=64000),
            mac=dict(type="str"),
            address=dict(type="str"),
            address6=dict(type="str"),
            mtu=dict(type="int"),
            gbp=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        required_if=[("state", "present", ("mac", "address"))],
        supports_check_mode=True,
    )
    run_module(module, run_vtep)


if __name__ == "__main__":
    main()
