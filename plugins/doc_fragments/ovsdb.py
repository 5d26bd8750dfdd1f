# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the OVN modules share in their documentation: who wrote them, ovsdbapp,
and how long they wait for a database."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
author:
  - mesos.overlay developers (@mesos-overlay)
requirements:
  - ovsdbapp (Debian/Ubuntu package C(python3-ovsdbapp))
options:
  timeout:
    description: Seconds to wait for the database (connection and transaction; each database where there are two).
    type: int
    default: 20
"""
