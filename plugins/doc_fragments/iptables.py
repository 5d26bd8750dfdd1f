# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the modules that keep iptables rules and ipsets share in their
documentation: which iptables they call, and removal."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  backend:
    description:
      - V(auto) calls C(iptables-save)/C(iptables-restore) (the system's alternative, which is
        also what Docker uses); V(nft) and V(legacy) call C(iptables-nft-*) or C(iptables-legacy-*).
    type: str
    choices: [auto, nft, legacy]
    default: auto
  state:
    description: V(absent) removes every set, rule and chain of ours.
    type: str
    choices: [present, absent]
    default: present
"""
