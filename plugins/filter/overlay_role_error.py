# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's error message, reworded to name the role variable the user set."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_role_error
short_description: Name the role variable at fault in a module's error message
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - "A module names its own option (C(network_file: ...)); a user of a role set a role
    variable (C(overlay_network_file)). This rewrites the head of the message to the
    role variable. A message about a field of the overlay configuration
    (C(overlays[1].prefix: ...), C(vtep_subnet: ...)) is put under C(_config), the
    variable that held the configuration."
  - Any other message is returned as it is.
positional: _input, names
options:
  _input:
    description: The module's error message.
    type: str
    required: true
  names:
    description:
      - Module option -> what to call it instead; the key C(_config) gives the prefix of
        configuration fields (ending in C(.) it is joined without a space).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail naming the role variable
  ansible.builtin.fail:
    msg: "{{ result.msg | mesos.overlay.overlay_role_error({'network_file': 'overlay_network_file', '_config': 'overlay_network.'}) }}"
"""

RETURN = r"""
_value:
  description: The message, its head renamed.
  type: str
"""

from ansible_collections.mesos.overlay.plugins.plugin_utils.filters import as_filter, role_error

overlay_role_error = as_filter(role_error, "overlay_role_error")


class FilterModule:
    """mesos.overlay role error wording."""

    def filters(self):
        return {"overlay_role_error": overlay_role_error}
