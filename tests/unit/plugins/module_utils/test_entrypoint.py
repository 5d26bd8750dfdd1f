"""entrypoint.run_module: the one place where the core's errors become fail_json."""

import errno

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.allocator import AllocationError
from ansible_collections.mesos.overlay.plugins.module_utils.common import Failed, MissingLibrary, OverlayError
from ansible_collections.mesos.overlay.plugins.module_utils.config import ConfigError
from ansible_collections.mesos.overlay.plugins.module_utils.entrypoint import run_module
from ansible_collections.mesos.overlay.plugins.module_utils.nat import NatError
from ansible_collections.mesos.overlay.plugins.module_utils.netlink import InputError, NetlinkError
from ansible_collections.mesos.overlay.plugins.module_utils.state import StateFileError


class Exited(Exception):
    pass


class FakeModule:
    """Records how the module ended (exit_json and fail_json do not return)."""

    def __init__(self):
        self.ended = None

    def exit_json(self, **kw):
        self.ended = ("exit", kw)
        raise Exited()

    def fail_json(self, **kw):
        self.ended = ("fail", kw)
        raise Exited()


def end(run):
    module = FakeModule()
    with pytest.raises(Exited):
        run_module(module, run)
    return module.ended


def raising(exc):
    def run(_module):
        raise exc
    return run


def test_result_is_the_exit():
    assert end(lambda m: {"changed": True, "changes": ["add x"]}) == ("exit", {"changed": True, "changes": ["add x"]})


@pytest.mark.parametrize("error", [
    ConfigError("overlays[1].prefix: 16 is not longer than subnet 192.168.128.0/17"),
    AllocationError("no VTEP address left"),
    StateFileError("state_file: is not valid JSON"),
    InputError("peers[3].vtep_mac: 'zz' is not a MAC address"),
    NatError("backend: 'x' is not one of auto, nft, legacy"),
])
def test_every_core_error_is_an_overlay_error_and_fails_with_its_message(error):
    assert isinstance(error, OverlayError)
    assert end(raising(error)) == ("fail", {"msg": str(error)})


def test_netlink_error_carries_its_errno():
    error = NetlinkError(errno.ENODEV, "device vtep9", "not found")
    assert isinstance(error, OSError) and error.errno == errno.ENODEV
    assert end(raising(error)) == ("fail", {"msg": "device vtep9: No such device (not found)", "errno": errno.ENODEV})


def test_partial_failure_returns_what_was_done():
    kind, out = end(raising(Failed("2 netlink request(s) failed", changed=True, failures=["a", "b"])))
    assert kind == "fail" and out == {"msg": "2 netlink request(s) failed", "changed": True, "failures": ["a", "b"]}


def test_missing_library_names_the_package():
    kind, out = end(raising(MissingLibrary("pyroute2 (Debian/Ubuntu: python3-pyroute2)", "No module named 'pyroute2'")))
    assert kind == "fail" and "pyroute2 (Debian/Ubuntu: python3-pyroute2)" in out["msg"]
    assert out["exception"] == "No module named 'pyroute2'"


def test_permission_error_says_what_is_needed():
    kind, out = end(raising(PermissionError(1, "Operation not permitted")))
    assert kind == "fail" and out["msg"].endswith("(the module needs root / CAP_NET_ADMIN)")


def test_programming_errors_are_not_hidden():
    with pytest.raises(KeyError):
        run_module(FakeModule(), raising(KeyError("params")))
