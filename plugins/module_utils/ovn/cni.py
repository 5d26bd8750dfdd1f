# -*- coding: utf-8 -*-
# Copyright: mesos.overlay developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's CNI plugin for OVN networks (installed as ``mesos-overlay-ovn``).

Called by the Mesos ``network/cni`` isolator with the config written by the
``ovn_chassis`` role on stdin and ``CNI_COMMAND``, ``CNI_CONTAINERID``,
``CNI_NETNS``, ``CNI_IFNAME`` in the environment:

- ADD: creates the task's logical switch port on the node's switch with
  ``dynamic`` addresses (marked ``kind=task``), waits for northd to give it a MAC
  and an address, plugs a veth into ``br-int`` with ``iface-id`` = the port's
  name, configures the task's end (name, MAC, address, MTU, default route via
  the router port), waits until ovn-controller reports the port up and answers
  in the CNI 0.1/0.2 result shape (``ip4``) that Mesos parses.
- DEL: removes the OVS port, the veth and the logical switch port; whatever is
  already gone is fine.

Config keys: ``nb`` (Northbound remote), ``switch``, ``gateway`` (the router
port's address), ``subnet``, optional ``mtu``, ``bridge`` (br-int), ``ovs``
(the local OVS database), ``tx_off`` (turn TX checksum offload off on both
veth ends: needed by the userspace datapath), ``timeout`` (seconds).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import subprocess
import sys
import time
from typing import Any, Dict, Optional, TextIO

from ..common import OverlayError
from . import model, nbdb

CNI_VERSIONS = ("0.1.0", "0.2.0")
DEFAULT_OVS = "unix:/var/run/openvswitch/db.sock"


class CniError(Exception):
    def __init__(self, code: int, msg: str, details: str = "") -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.details = details


def host_ifname(container_id: str, ifname: str) -> str:
    """The host end of a task's veth: 15 characters at most, stable per task."""
    return "ovn" + hashlib.sha256(("%s/%s" % (container_id, ifname)).encode()).hexdigest()[:11]


LABEL_SWITCH = "logical_switch"


def label(data: Dict[str, Any], key: str) -> Optional[str]:
    """A label of the task's NetworkInfo (``args."org.apache.mesos".network_info.labels.labels``)."""
    info = ((data.get("args") or {}).get("org.apache.mesos") or {}).get("network_info") or {}
    for item in (info.get("labels") or {}).get("labels") or []:
        if isinstance(item, dict) and item.get("key") == key:
            return str(item.get("value") or "")
    return None


def parse_config(data: Dict[str, Any]) -> Dict[str, Any]:
    for key in ("name", "nb", "switch", "gateway", "subnet"):
        if not data.get(key):
            raise CniError(7, "config: %s is missing" % key)
    version = data.get("cniVersion") or "0.2.0"
    if version not in CNI_VERSIONS:
        raise CniError(1, "config: cniVersion %s is not supported (use 0.1.0 or 0.2.0: the shape Mesos reads)" % version)
    if "org.apache.mesos" in (data.get("args") or {}) and not isinstance(data["args"]["org.apache.mesos"], dict):
        raise CniError(7, "config: args.org.apache.mesos is not an object")
    cfg = dict(data)
    cfg["cniVersion"] = version
    cfg.setdefault("bridge", "br-int")
    cfg.setdefault("ovs", DEFAULT_OVS)
    cfg.setdefault("timeout", 20)
    cfg.setdefault("mtu", None)
    cfg.setdefault("tx_off", False)
    cfg["label_switch"] = label(data, LABEL_SWITCH)
    return cfg


def switch_settings(api, cfg: Dict[str, Any]) -> None:
    """The task picks its switch with the label ``logical_switch`` (seed 004): its
    subnet, gateway (the router port on it) and MTU are read from the Northbound
    database; only switches this collection made can be picked."""
    name = cfg["label_switch"]
    if not name or name == cfg["switch"]:
        return
    row = nbdb.find(api, "Logical_Switch", name, kind=None)
    if row is None or not nbdb.is_ours(row):
        raise CniError(11, "label logical_switch: %r is not a switch of this cluster's OVN networks" % name)
    subnet = row.other_config.get("subnet")
    peers = [p.options.get("router-port") for p in row.ports if p.type == "router"]
    lrp = nbdb.find(api, "Logical_Router_Port", peers[0], kind=None) if peers else None
    if not subnet or lrp is None or not lrp.networks:
        raise CniError(11, "label logical_switch: switch %s has no subnet or no router port" % name)
    cfg["switch"], cfg["subnet"] = name, subnet
    cfg["gateway"] = lrp.networks[0].split("/")[0]
    mtu = row.external_ids.get(model.MTU_KEY)
    if mtu:
        cfg["mtu"] = int(mtu)


def result(cfg: Dict[str, Any], address: str) -> Dict[str, Any]:
    """The CNI 0.2.0 result Mesos reads (``ip4`` with the address and its gateway)."""
    prefix = ipaddress.IPv4Network(cfg["subnet"]).prefixlen
    return {
        "cniVersion": cfg["cniVersion"],
        "ip4": {"ip": "%s/%d" % (address, prefix), "gateway": cfg["gateway"],
                "routes": [{"dst": "0.0.0.0/0", "gw": cfg["gateway"]}]},
        "dns": {},
    }


# ------------------------------------------------------------ the NB side


def _marks(cfg: Dict[str, Any], container_id: str, ifname: str) -> Dict[str, str]:
    return {model.OWNER_KEY: model.OWNER, model.KIND_KEY: model.KIND_TASK, model.NODE_KEY: cfg.get("node") or cfg["switch"],
            "mesos.overlay/container-id": container_id, "mesos.overlay/ifname": ifname,
            "mesos.overlay/network": cfg["name"]}


def ensure_port(api, cfg: Dict[str, Any], port: str, container_id: str, ifname: str) -> None:
    row = nbdb.find(api, "Logical_Switch_Port", port, kind=None)
    if row is not None:
        if not nbdb.is_ours(row, model.KIND_TASK):
            raise CniError(11, "logical switch port %s exists and was not made by this plugin" % port)
        return
    switch = nbdb.find(api, "Logical_Switch", cfg["switch"], kind=None)
    if switch is None:
        raise CniError(11, "logical switch %s does not exist in %s (run the site playbook)" % (cfg["switch"], cfg["nb"]))
    with api.transaction(check_error=True) as txn:
        txn.add(api.lsp_add(cfg["switch"], port, may_exist=True, addresses=["dynamic"],
                            external_ids=_marks(cfg, container_id, ifname)))


def wait_for(what: str, probe, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise CniError(11, "timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(step)


def dynamic_address(api, port: str, timeout: float):
    def probe():
        value = api.db_get("Logical_Switch_Port", port, "dynamic_addresses").execute(check_error=True)
        value = value[0] if isinstance(value, list) and value else value
        parts = str(value or "").split()
        return (parts[0], parts[1]) if len(parts) >= 2 else None
    return wait_for("northd to give %s an address" % port, probe, timeout)


def port_up(api, port: str, timeout: float) -> None:
    def probe():
        return api.db_get("Logical_Switch_Port", port, "up").execute(check_error=True) in ([True], True)
    wait_for("ovn-controller to bind %s (is ovn-controller running on this node?)" % port, probe, timeout)


def delete_port(api, port: str) -> None:
    row = nbdb.find(api, "Logical_Switch_Port", port, kind=None)
    if row is None or not nbdb.is_ours(row, model.KIND_TASK):
        return
    with api.transaction(check_error=True) as txn:
        txn.add(api.lsp_del(port, if_exists=True))


# ------------------------------------------------------------ the host side


def _ethtool_tx_off(dev: str, netns: Optional[str] = None) -> None:
    argv = ["ethtool", "-K", dev, "tx", "off"]
    if netns:
        argv = ["nsenter", "--net=" + netns, *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode not in (0, 80):  # 80: nothing to change
        raise CniError(11, "%s: %s" % (" ".join(argv), proc.stderr.strip()))


def plug_veth(cfg: Dict[str, Any], netns: str, ifname: str, host: str, mac: str, address: str) -> None:
    from pyroute2 import IPRoute, NetNS

    prefix = ipaddress.IPv4Network(cfg["subnet"]).prefixlen
    peer = host[:-1] + "p" if host[-1] != "p" else host[:-1] + "q"
    with IPRoute() as ipr:
        if not ipr.link_lookup(ifname=host):
            ipr.link("add", ifname=host, kind="veth", peer=peer)
            index = ipr.link_lookup(ifname=peer)[0]
            fd = os.open(netns, os.O_RDONLY)
            try:
                ipr.link("set", index=index, net_ns_fd=fd)
            finally:
                os.close(fd)
        index = ipr.link_lookup(ifname=host)[0]
        if cfg["mtu"]:
            ipr.link("set", index=index, mtu=int(cfg["mtu"]))
        ipr.link("set", index=index, state="up")
    ns = NetNS(netns)
    try:
        found = ns.link_lookup(ifname=peer) or ns.link_lookup(ifname=ifname)
        if not found:
            raise CniError(11, "the task's end of %s is not in %s" % (host, netns))
        index = found[0]
        ns.link("set", index=index, state="down")
        ns.link("set", index=index, ifname=ifname, address=mac, **({"mtu": int(cfg["mtu"])} if cfg["mtu"] else {}))
        have = [a.get_attr("IFA_ADDRESS") for a in ns.get_addr(index=index, family=2)]
        if address not in have:
            ns.addr("add", index=index, address=address, prefixlen=prefix)
        ns.link("set", index=index, state="up")
        lo = ns.link_lookup(ifname="lo")
        if lo:
            ns.link("set", index=lo[0], state="up")
        ns.route("replace", dst="0.0.0.0/0", gateway=cfg["gateway"], oif=index)
    finally:
        ns.close()
    if cfg["tx_off"]:
        _ethtool_tx_off(host)
        _ethtool_tx_off(ifname, netns)


def unplug_veth(host: str) -> None:
    from pyroute2 import IPRoute

    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=host)
        if found:
            ipr.link("del", index=found[0])


def ovs_attach(ovs, cfg: Dict[str, Any], host: str, port: str, mac: str) -> None:
    with ovs.transaction(check_error=True) as txn:
        txn.add(ovs.add_port(cfg["bridge"], host, may_exist=True))
        txn.add(ovs.db_set("Interface", host, ("external_ids", {
            "iface-id": port, "attached-mac": mac, model.OWNER_KEY: model.OWNER})))


def ovs_detach(ovs, cfg: Dict[str, Any], host: str) -> None:
    with ovs.transaction(check_error=True) as txn:
        txn.add(ovs.del_port(host, bridge=cfg["bridge"], if_exists=True))


# ------------------------------------------------------------ commands


def cmd_add(cfg: Dict[str, Any], env: Dict[str, str]) -> Dict[str, Any]:
    container_id, netns, ifname = env["CNI_CONTAINERID"], env["CNI_NETNS"], env["CNI_IFNAME"]
    host = host_ifname(container_id, ifname)
    timeout = float(cfg["timeout"])
    api = _connect(cfg["nb"], "OVN_Northbound", timeout)
    try:
        switch_settings(api, cfg)
        port = model.task_port(cfg["switch"], container_id, ifname)
        ensure_port(api, cfg, port, container_id, ifname)
        mac, address = dynamic_address(api, port, timeout)
        ovs = _connect(cfg["ovs"], "Open_vSwitch", timeout)
        try:
            plug_veth(cfg, netns, ifname, host, mac, address)
            ovs_attach(ovs, cfg, host, port, mac)
        finally:
            nbdb.close(ovs)
        port_up(api, port, timeout)
    finally:
        nbdb.close(api)
    return result(cfg, address)


def cmd_del(cfg: Dict[str, Any], env: Dict[str, str]) -> None:
    container_id, ifname = env["CNI_CONTAINERID"], env.get("CNI_IFNAME") or "eth0"
    host = host_ifname(container_id, ifname)
    timeout = float(cfg["timeout"])
    ovs = _connect(cfg["ovs"], "Open_vSwitch", timeout)
    try:
        ovs_detach(ovs, cfg, host)
    finally:
        nbdb.close(ovs)
    unplug_veth(host)
    api = _connect(cfg["nb"], "OVN_Northbound", timeout)
    try:
        for row in nbdb.rows(api, "Logical_Switch_Port"):
            ids = row.external_ids
            if (nbdb.is_ours(row, model.KIND_TASK) and ids.get("mesos.overlay/container-id") == container_id
                    and ids.get("mesos.overlay/ifname") == ifname):
                delete_port(api, row.name)
    finally:
        nbdb.close(api)


def _connect(remote: str, schema: str, timeout: float):
    try:
        return nbdb.connect(remote, schema, timeout=timeout)
    except OverlayError as exc:
        raise CniError(11, str(exc)) from None


def main(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout, env: Optional[Dict[str, str]] = None) -> int:
    env = dict(os.environ if env is None else env)
    command = env.get("CNI_COMMAND", "")
    version = "0.2.0"
    try:
        if command == "VERSION":
            json.dump({"cniVersion": version, "supportedVersions": list(CNI_VERSIONS)}, stdout)
            return 0
        try:
            data = json.load(stdin)
        except ValueError as exc:
            raise CniError(6, "config on stdin is not JSON: %s" % exc) from None
        cfg = parse_config(data)
        version = cfg["cniVersion"]
        for key in ("CNI_CONTAINERID",) + (("CNI_NETNS", "CNI_IFNAME") if command == "ADD" else ()):
            if not env.get(key):
                raise CniError(4, "%s is not set" % key)
        if command == "ADD":
            json.dump(result_or_raise(cmd_add, cfg, env), stdout)
        elif command == "DEL":
            cmd_del(cfg, env)
        else:
            raise CniError(4, "CNI_COMMAND: %r is not ADD, DEL or VERSION" % command)
        return 0
    except CniError as exc:
        json.dump({"cniVersion": version, "code": exc.code, "msg": exc.msg, "details": exc.details}, stdout)
        return 1


def result_or_raise(fn, cfg, env):
    try:
        return fn(cfg, env)
    except CniError:
        raise
    except Exception as exc:  # anything from pyroute2 or ovsdbapp: report it in CNI's shape
        raise CniError(999, "%s: %s" % (type(exc).__name__, exc)) from None
