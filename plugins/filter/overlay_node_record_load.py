# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of an earlier run of the agent role, read with an error that names the file."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_node_record_load
short_description: Read the agent role's record of an earlier run
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - Parses the local fact C(mesos_overlay) that an earlier run of the agent role wrote.
  - Text that is not a JSON object fails with a message naming the file, rather than
    looking like a first run (which would make the role forget what it made).
positional: _input, path
options:
  _input:
    description: The file's text.
    type: str
    required: true
  path:
    description: The file's path, named in the error.
    type: str
    default: the record
"""

EXAMPLES = r"""
- name: Keep the earlier record
  ansible.builtin.set_fact:
    earlier: "{{ slurped.content | b64decode | mesos.overlay.overlay_node_record_load('/etc/ansible/facts.d/mesos_overlay.fact') }}"
"""

RETURN = r"""
_value:
  description: The record, as P(mesos.overlay.overlay_node_record#filter) built it.
  type: dict
"""

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter
from ansible_collections.mesos.overlay.plugins.plugin_utils.node_record import parse_record

overlay_node_record_load = as_filter(parse_record, "overlay_node_record_load")


class FilterModule:
    """mesos.overlay node record reader."""

    def filters(self):
        return {"overlay_node_record_load": overlay_node_record_load}
