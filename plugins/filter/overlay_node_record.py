# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The agent role's record of a node (the local fact), built from its steps' results."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_node_record
short_description: The agent role's record of a node, from its steps' registered results
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - Builds what the agent role keeps in the local fact C(mesos_overlay) - per overlay its
    blocks and C(state) (C(status), C(error)), the VTEP, and what the role made on the
    node (C(cni_files), C(docker_networks)) so that a later run removes only those.
  - Each step of the role registers its result; this filter reads them together with the
    record of the earlier run. A step that failed marks the overlays it concerns
    C(STATUS_FAILED) with the reason; a removal that failed (or did not run) keeps the file
    or network in the record, so the next run tries again.
positional: _input
options:
  _input:
    description: This node's allocation (C(overlay_allocation), published by the master role).
    type: dict
    required: true
  old:
    description: The record of the earlier run (empty on a first run).
    type: dict
    default: {}
  results:
    description:
      - The registered results, by step - C(cni_dir), C(cni) (loop over overlay names),
        C(cni_removed) (loop over paths), C(docker_engine), C(docker_plan) (the list of
        C(overlay_docker_plan)), C(docker) (loop over plan entries), C(docker_removed)
        (loop over names), C(nat). A step that did not run may be missing or null.
    type: dict
    default: {}
  cni_dir:
    description: Where the CNI configs are written (C(overlay_cni_dir)).
    type: str
    default: /var/lib/mesos/cni
  mesos_bridge:
    description: Whether the node has Mesos halves (CNI configs).
    type: bool
    default: true
  docker_bridge:
    description: Whether the node has Docker halves (docker networks).
    type: bool
    default: true
  vtep:
    description: The VTEP's C(name), C(vni) and C(port), recorded beside its addresses.
    type: dict
  docker_host:
    description: The Docker engine's address, named in the error when it cannot be reached.
    type: str
    default: ""
  configuring:
    description:
      - The record written before the work starts - overlays the earlier record does not
        know are C(STATUS_CONFIGURING), the others keep their earlier state; C(results) are
        not read.
    type: bool
    default: false
  failure:
    description: An error that stopped the run; every overlay is C(STATUS_FAILED) with it.
    type: str
"""

EXAMPLES = r"""
- name: Record what this run made and each overlay's status
  ansible.builtin.copy:
    dest: /etc/ansible/facts.d/mesos_overlay.fact
    content: >-
      {{ overlay_allocation | mesos.overlay.overlay_node_record(
           old=earlier_record, results={'cni': cni_result, 'nat': nat_result},
           cni_dir='/var/lib/mesos/cni') | to_nice_json }}
    mode: "0644"
"""

RETURN = r"""
_value:
  description:
    - C({version, ip, vtep, mesos_bridge, docker_bridge, overlays, cni_files, docker_networks}),
      C(overlays) keyed by name, each with its blocks, C(netgroups) (netgroup to the block of
      its docker network, when the allocation has them) and C(state).
  type: dict
"""

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import node_record

overlay_node_record = as_filter(node_record, "overlay_node_record",
                                " (are these the agent role's registered results?)")


class FilterModule:
    """mesos.overlay node record filter."""

    def filters(self):
        return {"overlay_node_record": overlay_node_record}
