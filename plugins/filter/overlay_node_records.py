# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The nodes' records (local fact mesos_overlay), for overlay_allocate's node_records."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_node_records
short_description: The records of nodes, from their gathered local facts
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - For each name, the local fact C(mesos_overlay) in C(hostvars[name].ansible_local),
    when facts were gathered and the node holds a VTEP; other names are left out.
  - The result is what M(mesos.overlay.overlay_allocate) takes as C(node_records).
positional: _input, hostvars
options:
  _input:
    description: Inventory names.
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Allocate, refusing to renumber any node
  mesos.overlay.overlay_allocate:
    network: "{{ overlay_network }}"
    agents: "{{ ansible_play_hosts | mesos.overlay.overlay_nodes(hostvars, groups['mesos_masters']) }}"
    state_file: /var/lib/mesos-overlay/state.json
    node_records: "{{ ansible_play_hosts | mesos.overlay.overlay_node_records(hostvars) }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
_value:
  description: Name to record.
  type: dict
"""

from ansible_collections.mesos.overlay.plugins.module_utils.takeover import records_of
from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter

overlay_node_records = as_filter(records_of, "overlay_node_records")


class FilterModule:
    """mesos.overlay node records."""

    def filters(self):
        return {"overlay_node_records": overlay_node_records}
