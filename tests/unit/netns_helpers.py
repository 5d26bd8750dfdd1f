"""Helpers for tests against the real kernel in throw-away network namespaces.

Every namespace is created for one test and deleted after it; nothing in them
is connected to the outside, so no packet leaves the machine.  Root is needed
(the tests are skipped without it).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
# The ansible CLI of the repo's venv; the modules run under the Python that
# runs the tests (so the pyroute2 matrix covers the modules too).
ANSIBLE_BIN = os.path.join(ROOT, ".venv", "bin")

requires_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("ip") is None, reason="needs root and iproute2 (network namespaces)"
)


def sh(*cmd: str, check: bool = True) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return proc.stdout


def ip(ns: str, *args: str) -> str:
    return sh("ip", "-n", ns, *args)


def ip_json(ns: str, *args: str) -> List[Dict[str, Any]]:
    out = sh("ip", "-j", "-n", ns, *args)
    return json.loads(out) if out.strip() else []


def bridge_json(ns: str, *args: str) -> List[Dict[str, Any]]:
    out = sh("bridge", "-j", "-n", ns, *args)
    return json.loads(out) if out.strip() else []


CLONE_NEWNET = 0x40000000


@contextlib.contextmanager
def netns(name: Optional[str]) -> Iterator[None]:
    """Run the body inside network namespace ``name`` (``ip netns`` name or a
    path); ``None`` stays where we are.  Sockets opened inside keep talking
    to that namespace after the body."""
    if name is None:
        yield
        return
    path = name if "/" in name else os.path.join("/run/netns", name)
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {path}: {os.strerror(err)}")
        try:
            yield
        finally:
            libc.setns(own, CLONE_NEWNET)
    finally:
        os.close(target)
        os.close(own)


def netns_fixture() -> Iterator[str]:
    name = f"ut-{uuid.uuid4().hex[:10]}"
    sh("ip", "netns", "add", name)
    try:
        ip(name, "link", "set", "lo", "up")
        yield name
    finally:
        sh("ip", "netns", "del", name, check=False)


def snapshot(ns: str) -> Dict[str, Any]:
    """Everything the reconcilers may touch, to compare before and after."""
    return {
        "links": sorted(
            (l["ifname"], l.get("address"), l.get("mtu"), tuple(l.get("flags", ())))
            for l in ip_json(ns, "-d", "link", "show")
        ),
        "addrs": sorted(
            (a["ifname"], i["local"], i["prefixlen"]) for a in ip_json(ns, "addr", "show") for i in a.get("addr_info", ())
        ),
        "neigh": sorted(json.dumps(n, sort_keys=True) for n in ip_json(ns, "neigh", "show", "nud", "permanent")),
        "fdb": sorted(json.dumps(n, sort_keys=True) for n in bridge_json(ns, "fdb", "show")),
        # routes the kernel adds itself come and go with IPv6 DAD: left out
        "routes4": sorted(
            json.dumps(r, sort_keys=True) for r in ip_json(ns, "-4", "route", "show", "table", "all") if r.get("protocol") != "kernel"
        ),
        "routes6": sorted(
            json.dumps(r, sort_keys=True) for r in ip_json(ns, "-6", "route", "show", "table", "all") if r.get("protocol") != "kernel"
        ),
        "rules": sorted(json.dumps(r, sort_keys=True) for r in ip_json(ns, "rule", "show")),
    }


def run_module(
    ns: str,
    module: str,
    args: Dict[str, Any],
    check: bool = False,
    diff: bool = False,
    python: Optional[str] = None,
) -> Dict[str, Any]:
    """Run ``mesos.overlay.<module>`` with ansible-playbook inside ``ns``; the
    task's result (failures included, as ``failed``)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "args.json"), "w", encoding="utf-8") as fh:
            json.dump({"module_args": args}, fh)
        with open(os.path.join(tmp, "play.yml"), "w", encoding="utf-8") as fh:
            fh.write(
                "- hosts: localhost\n"
                "  connection: local\n"
                "  gather_facts: false\n"
                "  vars_files: [args.json]\n"
                "  tasks:\n"
                f"    - mesos.overlay.{module}: '{{{{ module_args }}}}'\n"
            )
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_STDOUT_CALLBACK="json",
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_NOCOLOR="1",
            PATH=ANSIBLE_BIN + os.pathsep + os.environ.get("PATH", ""),
        )
        cmd = [
            "ip", "netns", "exec", ns,
            os.path.join(ANSIBLE_BIN, "ansible-playbook"), "-i", "localhost,",
            "-e", f"ansible_python_interpreter={python or sys.executable}",
            os.path.join(tmp, "play.yml"),
        ]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp, env=env, check=False)
    try:
        out = json.loads(proc.stdout)
        return out["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError(f"ansible-playbook gave no result:\n{proc.stdout}\n{proc.stderr}") from None
