# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark helper: each task's wall time, written as JSON to $BENCH_TIMES.

A task's time runs from its start (after Ansible has picked the host and its
variables) to the last result of any host: what a task costs in a play.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_times
type: aggregate
short_description: Each task's wall time as JSON (bench/ only)
description:
  - Writes C({task name: seconds}) to the file named by the environment variable C(BENCH_TIMES).
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._times = {}
        self._current = None
        self._start = 0.0

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._current = task.get_name()
        self._start = time.perf_counter()

    def _done(self, *_args, **_kwargs):
        if self._current is not None:
            self._times[self._current] = time.perf_counter() - self._start

    v2_runner_on_ok = v2_runner_on_failed = v2_runner_on_skipped = _done

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self._times, handle)
