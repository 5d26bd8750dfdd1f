# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the allocation state document from a store (file or ZooKeeper)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: overlay_state
short_description: The allocation state document held by a store
version_added: 0.1.0
author: mesos.overlay developers (@mesos-overlay)
description:
  - Reads, on the controller, the state document that M(mesos.overlay.overlay_allocate)
    keeps in a state file or a ZooKeeper znode, and returns it as a dict (null when the
    store holds nothing).
  - Give it to C(overlay_import_state) (or the module's C(import_state)) to move a cluster
    from that store to another one; nothing moves, the document is the same byte for byte.
options:
  backend:
    description: V(file) or V(zookeeper).
    type: str
    default: file
    choices: [file, zookeeper]
  state_file:
    description: The state file (V(file)).
    type: path
  zookeeper_hosts:
    description: The ensemble, C(host:port) entries (V(zookeeper)).
    type: list
    elements: str
    default: []
  zookeeper_path:
    description: The znode.
    type: str
    default: /mesos-overlay/state
  zookeeper_timeout:
    description: Seconds to wait for a ZooKeeper session.
    type: float
    default: 10
"""

EXAMPLES = r"""
- name: Move the allocations from ZooKeeper back to a file
  ansible.builtin.import_role:
    name: mesos.overlay.master
  vars:
    overlay_state_backend: file
    overlay_import_state: >-
      {{ lookup('mesos.overlay.overlay_state', backend='zookeeper',
                zookeeper_hosts=['10.0.0.2:2181'], zookeeper_path='/mesos-overlay/state') }}
"""

RETURN = r"""
_raw:
  description: The state document (one element), or null.
  type: list
  elements: dict
"""

import json

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.mesos.overlay.plugins.module_utils.state import StateFileError, open_store


class LookupModule(LookupBase):
    """The state document of a store."""

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            with open_store(self.get_option("backend"), self.get_option("state_file"),
                            self.get_option("zookeeper_hosts"), self.get_option("zookeeper_path"),
                            float(self.get_option("zookeeper_timeout"))) as store:
                snap = store.read()
        except StateFileError as exc:
            raise AnsibleLookupError(f"overlay_state: {exc}") from None
        return [json.loads(snap.text) if snap.text else None]
