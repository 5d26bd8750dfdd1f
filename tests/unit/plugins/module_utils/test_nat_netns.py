"""overlay_nat's logic against a real kernel, in network namespaces.

A namespace ``host`` plays an agent after Docker 20.10 set it up (FORWARD
policy DROP, DOCKER-USER, the two isolation stages), with the bridges of two
overlays, a container namespace on each bridge, and an ``outside`` namespace
that has no route back to the overlays (so only masqueraded traffic gets an
answer). Runs with both iptables backends. Needs root, iproute2, iptables and
ipset; skipped otherwise.
"""

import os
import shutil
import subprocess
import uuid

import pytest

from ansible_collections.mesos.overlay.plugins.module_utils.nat import make_spec, reconcile

NEEDS = ("ip", "ipset", "iptables-nft-restore", "iptables-legacy-restore", "ping")
pytestmark = [
    pytest.mark.kernel,
    pytest.mark.skipif(
        os.geteuid() != 0 or any(shutil.which(b) is None for b in NEEDS),
        reason="needs root, iproute2, iputils-ping, iptables and ipset",
    ),
]


def sh(*argv, check=True, data=None):
    res = subprocess.run(list(argv), input=data, capture_output=True, text=True, check=False)
    if check and res.returncode != 0:
        raise AssertionError(f"{argv}: rc={res.returncode} {res.stderr}")
    return res


class Lab:
    def __init__(self, backend):
        self.backend = backend
        tag = uuid.uuid4().hex[:6]
        self.ns = {n: f"nat{n}{tag}" for n in ("host", "out", "c1", "c2", "c3")}
        self.ipt = f"iptables-{backend}"

    def x(self, ns, *argv, check=True, data=None):
        return sh("ip", "netns", "exec", self.ns[ns], *argv, check=check, data=data)

    def run(self, argv, data=None):
        res = self.x("host", *argv, check=False, data=data)
        return res.returncode, res.stdout, res.stderr

    def ping(self, src, dst):
        return self.x(src, "ping", "-c1", "-W1", dst, check=False).returncode == 0

    def masq_packets(self):
        out = self.x("host", self.ipt, "-t", "nat", "-L", "POSTROUTING", "-v", "-n", "-x").stdout
        return sum(int(line.split()[0]) for line in out.splitlines() if "MASQUERADE" in line and "match-set" in line)

    def up(self):
        for ns in self.ns.values():
            sh("ip", "netns", "add", ns)
        h = "host"
        for ns in self.ns:
            self.x(ns, "ip", "link", "set", "lo", "up")
        self.x(h, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        # outside: 192.168.99.2, no route to the overlays
        self._veth(h, "up0", "192.168.99.1/24", "out", "eth0", "192.168.99.2/24", gw=None)
        # overlay dcos: m-dcos 9.0.0.1/25 (c1), d-dcos 9.0.0.129/25 (c2); overlay other: d-other (c3)
        for br, addr in (("m-dcos", "9.0.0.1/25"), ("d-dcos", "9.0.0.129/25"), ("d-other", "10.200.0.1/24")):
            self.x(h, "ip", "link", "add", br, "type", "bridge")
            self.x(h, "ip", "addr", "add", addr, "dev", br)
            self.x(h, "ip", "link", "set", br, "up")
        self._veth(h, "v1", None, "c1", "eth0", "9.0.0.2/25", gw="9.0.0.1", bridge="m-dcos")
        self._veth(h, "v2", None, "c2", "eth0", "9.0.0.130/25", gw="9.0.0.129", bridge="d-dcos")
        self._veth(h, "v3", None, "c3", "eth0", "10.200.0.2/24", gw="10.200.0.1", bridge="d-other")
        self.x(h, "ip", "link", "add", "vtep1024", "type", "bridge")  # no dummy module here
        self.x(h, "ip", "link", "set", "vtep1024", "up")
        docker = "\n".join([
            "*filter",
            ":FORWARD DROP [0:0]",
            ":DOCKER - [0:0]",
            ":DOCKER-ISOLATION-STAGE-1 - [0:0]",
            ":DOCKER-ISOLATION-STAGE-2 - [0:0]",
            ":DOCKER-USER - [0:0]",
            "-A FORWARD -j DOCKER-USER",
            "-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
        ] + [line for br in ("d-dcos", "d-other") for line in (
            f"-A FORWARD -o {br} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            f"-A FORWARD -o {br} -j DOCKER",
            f"-A FORWARD -i {br} ! -o {br} -j ACCEPT",
            f"-A FORWARD -i {br} -o {br} -j ACCEPT",
            f"-A DOCKER-ISOLATION-STAGE-1 -i {br} ! -o {br} -j DOCKER-ISOLATION-STAGE-2",
            f"-A DOCKER-ISOLATION-STAGE-2 -o {br} -j DROP",
        )] + [
            "-A DOCKER-ISOLATION-STAGE-1 -j RETURN",
            "-A DOCKER-ISOLATION-STAGE-2 -j RETURN",
            "-A DOCKER-USER -j RETURN",
            "COMMIT",
        ]) + "\n"
        self.x(h, f"{self.ipt}-restore", data=docker)

    def _veth(self, a, a_if, a_addr, b, b_if, b_addr, gw, bridge=None):
        tmp = "t" + uuid.uuid4().hex[:8]
        self.x(a, "ip", "link", "add", a_if, "type", "veth", "peer", "name", tmp)
        self.x(a, "ip", "link", "set", tmp, "netns", self.ns[b])
        self.x(b, "ip", "link", "set", tmp, "name", b_if)
        if a_addr:
            self.x(a, "ip", "addr", "add", a_addr, "dev", a_if)
        if bridge:
            self.x(a, "ip", "link", "set", a_if, "master", bridge)
        self.x(a, "ip", "link", "set", a_if, "up")
        self.x(b, "ip", "addr", "add", b_addr, "dev", b_if)
        self.x(b, "ip", "link", "set", b_if, "up")
        if gw:
            self.x(b, "ip", "route", "add", "default", "via", gw)

    def down(self):
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(params=["nft", "legacy"])
def lab(request):
    lab = Lab(request.param)
    try:
        lab.up()
    except AssertionError as exc:
        lab.down()
        pytest.skip(f"cannot build namespaces here: {exc}")
    yield lab
    lab.down()


SPEC = [{"name": "dcos", "subnet": "9.0.0.0/8"}, {"name": "other", "subnet": "10.200.0.0/16"}]


def test_nat_and_forwarding_for_real(lab):
    spec = make_spec(SPEC)
    # Docker's rules alone: a Mesos container can't get out, overlays can't meet
    assert not lab.ping("c1", "192.168.99.2")
    assert not lab.ping("c1", "9.0.0.130")
    assert not lab.ping("c2", "10.200.0.2")

    # check mode: reports, changes nothing
    planned = reconcile(lab.run, spec, check=True, backend=lab.backend)
    assert planned.changed
    assert lab.x("host", "ipset", "list", "-n").stdout.strip() == ""

    first = reconcile(lab.run, spec, backend=lab.backend)
    assert first.changed
    # a re-run finds nothing to do (both backends print what we wrote back identically)
    again = reconcile(lab.run, spec, backend=lab.backend)
    assert not again.changed, again.iptables_script()

    members = lab.x("host", "ipset", "save", "overlay").stdout
    assert "add overlay 9.0.0.0/8 nomatch" in members and "add overlay 0.0.0.0/1" in members

    # inside the overlays: mesos <-> docker, docker <-> docker of another overlay, no NAT
    before = lab.masq_packets()
    assert lab.ping("c1", "9.0.0.130")
    assert lab.ping("c2", "9.0.0.2")
    assert lab.ping("c2", "10.200.0.2")
    assert lab.ping("c3", "9.0.0.2")
    assert lab.masq_packets() == before

    # out of the overlay: masqueraded (outside has no route back to 9/8 or 10.200/16)
    assert lab.ping("c1", "192.168.99.2")
    assert lab.ping("c2", "192.168.99.2")
    assert lab.masq_packets() > before

    # Docker restarting moves its jumps above ours: still fine, and not "changed"
    lab.x("host", lab.ipt, "-D", "FORWARD", "-j", "DOCKER-USER")
    lab.x("host", lab.ipt, "-I", "FORWARD", "1", "-j", "DOCKER-USER")
    assert not reconcile(lab.run, spec, backend=lab.backend).changed

    # an overlay goes away: its rule and member go, the rest stays
    one = make_spec(SPEC[:1])
    assert reconcile(lab.run, one, backend=lab.backend).changed
    save = lab.x("host", f"{lab.ipt}-save").stdout
    ours = [line for line in save.splitlines() if "mesos-overlay" in line]
    assert ours and not [line for line in ours if "d-other" in line or "10.200.0.0/16" in line]
    assert "10.200.0.0/16" not in lab.x("host", "ipset", "save", "overlay").stdout
    assert not reconcile(lab.run, one, backend=lab.backend).changed

    # absent: nothing of ours left, Docker's rules intact
    gone = reconcile(lab.run, one, present=False, backend=lab.backend)
    assert gone.changed
    save = lab.x("host", f"{lab.ipt}-save").stdout
    assert "mesos-overlay" not in save and "MESOS-OVERLAY" not in save
    assert "-A DOCKER-USER -j RETURN" in save and ":FORWARD DROP" in save
    assert lab.x("host", "ipset", "list", "-n").stdout.strip() == ""
    assert not reconcile(lab.run, one, present=False, backend=lab.backend).changed
