# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Would this allocation renumber the node that holds this record?"""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_renumbered
short_description: Why an allocation would renumber a node, or an empty string
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - Compares a node's allocation with what the node holds, its record (the local fact
    C(mesos_overlay) the agent role writes) - the VTEP address (v4 and v6), the VTEP
    MAC, each overlay's blocks, the blocks of the node's docker networks of netgroups,
    and the netgroups' policy IDs (against O(netgroups)).
  - Only values present on both sides count - gaining an overlay, IPv6 or a netgroup is
    not renumbering, nor losing an overlay or a netgroup that was removed from the
    configuration. A record written before records held the docker blocks of netgroups
    is compared on what it holds.
  - Returns an empty string when nothing would move, else a message naming the node,
    what it holds, what it would get, and how to resolve it.
positional: _input, record, name
options:
  _input:
    description: The node's allocation (C(overlay_allocation)).
    type: dict
    required: true
  record:
    description: The node's record of an earlier run (empty on a first run).
    type: dict
    required: true
  name:
    description: The node's name, for the message.
    type: str
    required: true
  netgroups:
    description:
      - The netgroups' policy IDs of this allocation (C(overlay_netgroups), published by
        the master role); compared with the IDs the record's netgroup policy uses.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Refuse to renumber this node
  ansible.builtin.assert:
    that: __why | length == 0
    fail_msg: "{{ __why }}"
  vars:
    __why: >-
      {{ overlay_allocation | mesos.overlay.overlay_renumbered(ansible_local.mesos_overlay | default(none),
                                                              inventory_hostname,
                                                              netgroups=overlay_netgroups | default({})) }}
"""

RETURN = r"""
_value:
  description: The reason, or an empty string.
  type: str
"""

from ansible_collections.mesos.overlay.plugins.module_utils.takeover import RESOLVE, renumber_line
from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter


def renumbered(allocation, record, name, netgroups=None):
    line = renumber_line(name, record, allocation, netgroups)
    if not line:
        return ""
    return (f"refusing to renumber {line}; nothing on {name} was touched. The allocation state"
            " does not record what the node holds (lost, replaced by an older copy, or another"
            " cluster's). " + RESOLVE)


overlay_renumbered = as_filter(renumbered, "overlay_renumbered")


class FilterModule:
    """mesos.overlay renumbering check."""

    def filters(self):
        return {"overlay_renumbered": overlay_renumbered}
