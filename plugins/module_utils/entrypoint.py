# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a module meets the core: the one helper every module's ``main()``
calls.

A module's ``main()`` is its argument spec and ``run_module(module, run)``;
``run`` is the core's entry for that module (``allocate.run_allocate``,
``netlink.vtep.run_vtep``, ``netlink.peers.run_peers``, ``nat.run_nat``,
``netgroups.run_netgroups``, ``ovn.topology.run_topology``): it
reads what is there (have), builds what is asked (want), plans the
difference, applies it unless in check mode, and returns the result
(the plan included).  The core's errors become ``fail_json`` here, and only
here.  This is the only file of module_utils that imports Ansible.
"""

from __future__ import annotations

from typing import Any, Callable, Dict

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.mesos.overlay.plugins.module_utils.common import MissingLibrary, OverlayError


def run_module(module: Any, run: Callable[[Any], Dict[str, Any]]) -> None:
    """Call ``run(module)`` and exit with its result, or fail with the
    message of the core's error (never a traceback for the user's mistakes).

    ``module`` is the AnsibleModule; ``run`` reads ``module.params``,
    ``module.check_mode`` and ``module._diff`` (and, for commands,
    ``module.run_command``)."""
    try:
        result = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.library), exception=exc.import_error)
    except OverlayError as exc:
        module.fail_json(msg=str(exc), **exc.fail_fields())
    except PermissionError as exc:
        module.fail_json(msg=f"{exc} (the module needs root / CAP_NET_ADMIN)")
    else:
        module.exit_json(**result)
