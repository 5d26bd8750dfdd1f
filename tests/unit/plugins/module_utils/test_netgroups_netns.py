"""Netgroup isolation end to end on the real kernel: two nodes, VXLAN-GBP, real CNI plugins.

Two "nodes" are network namespaces joined by a veth (the underlay), each with
a ``vtep1024`` created with ``gbp`` and the peer's neighbour, FDB entry and
route; Mesos tasks are namespaces plugged in by the collection's CNI plugin
(delegating to the real ``bridge`` plugin) exactly as the Mesos isolator calls
it; the policy is the ``netgroups`` reconciler, with the NAT module's chains
in front of it as on an agent. Then the matrix of issue 11, on one node and
across nodes, ICMP and TCP, and a capture of the VXLAN header on the underlay.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils import nat, netgroups

from netns_helpers import requires_root, sh
from netgroups_helpers import CNI_PATH, call, conf, info

pytestmark = [
    pytest.mark.kernel,
    requires_root,
    pytest.mark.skipif(not os.path.exists(f"{CNI_PATH}/bridge"), reason="needs the CNI plugins"),
]

NETGROUPS = {"blue": 1, "red": 2}
NODES = ("10.99.0.1", "10.99.0.2", "44.128.0.1", "44.128.0.2")


def runner(ns):
    def run(argv, data=None):
        proc = subprocess.run(["ip", "netns", "exec", ns] + argv, input=data, capture_output=True, text=True)
        return proc.returncode, proc.stdout, proc.stderr
    return run


def ex(ns, *cmd, check=True):
    return sh("ip", "netns", "exec", ns, *cmd, check=check)


def policy(ns, present=True):
    spec = netgroups.make_spec(NETGROUPS, isolated=["10.220.0.0/16"], nodes=NODES)
    return netgroups.reconcile(runner(ns), spec, present=present)


def nat_rules(ns):
    spec = nat.make_spec([{"name": "ov1", "subnet": "10.210.0.0/16"}, {"name": "ov2", "subnet": "10.220.0.0/16"}],
                         docker_bridge=False)
    return nat.reconcile(runner(ns), spec)


class Lab:
    def __init__(self, tmp):
        self.tmp = tmp
        self.suffix = uuid.uuid4().hex[:6]
        self.namespaces = []
        self.tasks = {}

    def ns(self, name):
        full = f"ng{name}-{self.suffix}"
        sh("ip", "netns", "add", full)
        self.namespaces.append(full)
        ex(full, "ip", "link", "set", "lo", "up")
        return full

    def build(self):
        self.n = {1: self.ns("n1"), 2: self.ns("n2")}
        sh("ip", "link", "add", f"u1-{self.suffix}", "netns", self.n[1], "type", "veth",
           "peer", "name", f"u2-{self.suffix}", "netns", self.n[2])
        for i in (1, 2):
            node, dev = self.n[i], f"u{i}-{self.suffix}"
            ex(node, "ip", "addr", "add", f"10.99.0.{i}/24", "dev", dev)
            ex(node, "ip", "link", "set", dev, "up")
            ex(node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            ex(node, "ip", "link", "add", "vtep1024", "type", "vxlan", "id", "1024", "dstport", "64000",
               "local", f"10.99.0.{i}", "dev", dev, "nolearning", "gbp")
            ex(node, "ip", "link", "set", "vtep1024", "address", f"70:b3:d5:80:00:0{i}", "mtu", "1450", "up")
            ex(node, "ip", "addr", "add", f"44.128.0.{i}/20", "dev", "vtep1024")
            j = 3 - i
            ex(node, "ip", "neigh", "add", f"44.128.0.{j}", "lladdr", f"70:b3:d5:80:00:0{j}", "dev", "vtep1024", "nud", "permanent")
            ex(node, "bridge", "fdb", "add", f"70:b3:d5:80:00:0{j}", "dev", "vtep1024", "dst", f"10.99.0.{j}", "self", "permanent")
            for overlay in ("10.210", "10.220"):
                ex(node, "ip", "route", "add", f"{overlay}.{j}.0/24", "via", f"44.128.0.{j}", "dev", "vtep1024", "onlink")

    def config(self, node, overlay):
        i = self.n_index(node)
        data_dir = os.path.join(self.tmp, f"ipam{i}")
        if overlay == "ov1":
            return conf(data_dir, subnet=f"10.210.{i}.0/25", netgroups={g: netgroups.set_name(g) for g in NETGROUPS})
        plain = conf(data_dir, subnet=f"10.220.{i}.0/25")["delegate"]
        return dict(plain, name="ov2", bridge="m-ov2")

    def n_index(self, node):
        return 1 if node == self.n[1] else 2

    def task(self, label, node, overlay="ov1", args=None):
        ns = self.ns(label)
        config = self.config(node, overlay)
        env = None
        if overlay == "ov1":
            rc, out = call(node, "ADD", config, label, ns, args or info())
        else:
            env = dict(os.environ, CNI_COMMAND="ADD", CNI_CONTAINERID=label, CNI_NETNS=f"/run/netns/{ns}",
                       CNI_IFNAME="eth0", CNI_PATH=CNI_PATH)
            proc = subprocess.run(["ip", "netns", "exec", node, f"{CNI_PATH}/bridge"], input=json.dumps(config),
                                  capture_output=True, text=True, env=env, check=False)
            rc, out = proc.returncode, json.loads(proc.stdout)
        assert rc == 0, out
        address = (out.get("ip4") or out["ips"][0])["ip" if "ip4" in out else "address"].split("/")[0]
        self.tasks[label] = (ns, address)
        return ns, address

    def cleanup(self):
        for ns in self.namespaces:
            sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def lab():
    with tempfile.TemporaryDirectory() as tmp:
        lab = Lab(tmp)
        try:
            lab.build()
            yield lab
        finally:
            lab.cleanup()


def ping(src_ns, address):
    return subprocess.run(["ip", "netns", "exec", src_ns, "ping", "-c1", "-W1", "-q", address],
                          capture_output=True, check=False).returncode == 0


def tcp(src_ns, address, port=8080):
    code = (f"import socket\ntry:\n socket.create_connection(({address!r},{port}),timeout=1).close()\n"
            "except OSError:\n raise SystemExit(1)\n")
    return subprocess.run(["ip", "netns", "exec", src_ns, sys.executable, "-c", code],
                          capture_output=True, check=False).returncode == 0


def serve(ns, port=8080):
    code = ("import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
            f"s.bind(('0.0.0.0',{port}))\ns.listen(16)\nwhile True:\n c,_=s.accept()\n c.close()\n")
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code])


def test_matrix_on_one_node_and_across_nodes_with_gbp_on_the_wire(lab):
    n1, n2 = lab.n[1], lab.n[2]
    for node in (n1, n2):
        assert policy(node).changed   # the sets exist before any task is plugged in
    blue1, _ = lab.task("b1", n1, args=info(["blue"]))            # Marathon 1.4: NetworkInfo.groups
    blue1b, _ = lab.task("b1b", n1, args=info(label="blue"))      # Marathon 1.5+: the label
    red1, _ = lab.task("r1", n1, args=info(label="red"))
    free1, _ = lab.task("f1", n1)
    blue2, _ = lab.task("b2", n2, args=info(label="blue"))
    free2, _ = lab.task("f2", n2)
    iso1, _ = lab.task("i1", n1, overlay="ov2")
    iso2, _ = lab.task("i2", n2, overlay="ov2")
    addr = {k: v[1] for k, v in lab.tasks.items()}

    for node in (n1, n2):
        assert not policy(node).changed   # tasks come and go without a change of ours
        nat_rules(node)            # NAT's accept chains now jump first...
        assert policy(node).changed  # ...so ours is put back in front
        assert not nat_rules(node).changed
        assert not policy(node).changed

    servers = [serve(ns) for ns, _ in lab.tasks.values()]
    try:
        time.sleep(0.5)
        reach = {
            # same netgroup, one node and across nodes, ICMP and TCP
            ("b1", "b1b"): True, ("b1", "b2"): True, ("b2", "b1b"): True,
            # another netgroup, or no netgroup, to a grouped task: refused
            ("r1", "b1"): False, ("r1", "b2"): False, ("f1", "b1"): False, ("f2", "b1"): False,
            ("f1", "b2"): False,
            # a grouped task to an ungrouped one: reached; ungrouped among themselves too
            ("b1", "f2"): True, ("b2", "f1"): True, ("r1", "f1"): True, ("f1", "f2"): True,
            # the isolated overlay: reached from itself only
            ("i1", "i2"): True, ("f1", "i2"): False, ("f2", "i1"): False, ("b1", "i1"): False,
        }
        tasks = {k: v[0] for k, v in lab.tasks.items()}
        got = {(s, d): (ping(tasks[s], addr[d]), tcp(tasks[s], addr[d])) for s, d in reach}
        want = {k: (v, v) for k, v in reach.items()}
        assert got == want
        # the nodes reach grouped and isolated tasks (health checks), local and remote
        for node in (n1, n2):
            for task in ("b1", "b2", "r1", "i1", "i2"):
                assert ping(node, addr[task]) and tcp(node, addr[task]), (node, task)
    finally:
        for proc in servers:
            proc.kill()

    # a packet from b1 to b2 carries blue's policy ID in the VXLAN header
    capture = ("import socket,struct\n"
               "s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))\n"
               f"s.bind(('u2-{lab.suffix}',0))\ns.settimeout(5)\n"
               "while True:\n"
               " f=s.recv(2048)\n"
               " if f[12:14]!=b'\\x08\\x00' or f[23]!=17: continue\n"
               " ihl=(f[14]&15)*4; u=14+ihl\n"
               " if struct.unpack('!H',f[u+2:u+4])[0]!=64000: continue\n"
               " v=f[u+8:u+16]\n"
               " print(hex(v[0]), struct.unpack('!H',v[2:4])[0], int.from_bytes(v[4:7],'big')); break\n")
    sniffer = subprocess.Popen(["ip", "netns", "exec", n2, sys.executable, "-c", capture],
                               stdout=subprocess.PIPE, text=True)
    time.sleep(0.3)
    ping(lab.tasks["b1"][0], addr["b2"])
    flags, group, vni = sniffer.communicate(timeout=10)[0].split()
    assert (flags, group, vni) == ("0x88", str(NETGROUPS["blue"]), "1024")


def test_removal_leaves_no_trace(lab):
    for node in (lab.n[1], lab.n[2]):
        assert policy(node, present=False).changed
        assert not policy(node, present=False).changed
        saved = ex(node, "iptables-save")
        assert "mesos-overlay-ng" not in saved and "MESOS-OVERLAY-NG" not in saved
        assert "mo-ng-" not in ex(node, "ipset", "list", "-n") and "mo-nodes" not in ex(node, "ipset", "list", "-n")


def test_isolated_only_keeps_no_marking_and_switching_is_clean(lab):
    node = lab.n[1]
    run = runner(node)
    grouped = netgroups.make_spec(NETGROUPS, isolated=["10.220.0.0/16"], nodes=NODES)
    iso_only = netgroups.make_spec({}, isolated=["10.220.0.0/16"], nodes=NODES)
    netgroups.reconcile(run, grouped)
    assert netgroups.reconcile(run, iso_only).changed
    saved = ex(node, "iptables-save")
    assert "MESOS-OVERLAY-NG-MARK" not in saved and "MESOS-OVERLAY-NG-OUT" not in saved
    assert "mesos-overlay-ng:isolated" in saved
    assert "mo-ng-" not in ex(node, "ipset", "list", "-n")
    assert not netgroups.reconcile(run, iso_only).changed
    assert netgroups.reconcile(run, grouped).changed
    assert not netgroups.reconcile(run, grouped).changed
    netgroups.reconcile(run, grouped, present=False)
