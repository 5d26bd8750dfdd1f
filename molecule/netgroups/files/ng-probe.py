#!/usr/bin/env python
"""Probes of the netgroups scenario, run on a lab agent (stdlib only).

  ng-probe.py up               JSON on stdin: this agent's endpoints
                               [{"id", "kind": "mesos"|"docker", "overlay",
                               "network_info"?, "network"?}]; makes the missing
                               ones (Mesos-style: a netns plugged in by
                               mesos-cni, the Mesos isolator harness, with the
                               overlay's CNI file as written; docker: a busybox
                               container on the docker network); prints them
                               with "ip" and "netns"
  ng-probe.py down             JSON on stdin: endpoints to remove (CNI DEL
                               as Mesos runs it, netns; docker rm)
  ng-probe.py serve NETNS...   a TCP listener on port 8080 in each network
                               namespace (a path: /run/netns/X or
                               /proc/PID/ns/net), detached; pids kept in
                               /run/ng-probe.pids
  ng-probe.py stop             stop them
  ng-probe.py probe            JSON on stdin: {"sources": [endpoint or
                               {"id", "kind": "node"}], "targets": [endpoint],
                               "grouped": bool}; pings and connects from every
                               source to every target, in parallel; prints
                               [{"src", "dst", "expect", "icmp", "tcp"}]
  ng-probe.py vxlan DEV        capture one VXLAN packet to UDP port 64000 on
                               DEV with tcpdump; prints {"flags", "group", "vni"}
"""

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

PIDS = "/run/ng-probe.pids"
PORT = 8080
SERVER = ("import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
          f"s.bind(('0.0.0.0',{PORT}))\ns.listen(64)\nwhile True:\n c,_=s.accept()\n c.close()\n")
CLIENT = ("import socket,sys\ntry:\n socket.create_connection((sys.argv[1],%d),timeout=1.5).close()\n"
          "except OSError:\n sys.exit(1)\n" % PORT)


def inside(netns, argv):
    if netns == "host":
        return argv
    return ["nsenter", "--net=" + netns] + argv


def serve(namespaces):
    stop()
    pids = []
    for netns in namespaces:
        proc = subprocess.Popen(inside(netns, [sys.executable, "-c", SERVER]), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        pids.append(proc.pid)
    with open(PIDS, "w") as handle:
        json.dump(pids, handle)
    return {"serving": len(pids)}


def stop():
    try:
        with open(PIDS) as handle:
            pids = json.load(handle)
    except (OSError, ValueError):
        return {"stopped": 0}  # nothing started yet
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # already gone
    os.unlink(PIDS)
    return {"stopped": len(pids)}


def one(probe):
    ping = subprocess.run(inside(probe["src"], ["ping", "-c1", "-W1", "-q", probe["dst"]]),
                          capture_output=True, check=False)
    if ping.returncode != 0:  # the first packet to a new neighbour may be lost
        ping = subprocess.run(inside(probe["src"], ["ping", "-c1", "-W1", "-q", probe["dst"]]),
                              capture_output=True, check=False)
    tcp = subprocess.run(inside(probe["src"], [sys.executable, "-c", CLIENT, probe["dst"]]),
                         capture_output=True, check=False)
    return {"id": probe["id"], "icmp": ping.returncode == 0, "tcp": tcp.returncode == 0}


def vxlan(dev):
    out = subprocess.run(["timeout", "15", "tcpdump", "-i", dev, "-nn", "-c", "1", "-x", "udp dst port 64000"],
                         capture_output=True, text=True, check=False).stdout
    data = bytes.fromhex("".join(line.split(":", 1)[1] for line in out.splitlines()
                                 if line.strip().startswith("0x")).replace(" ", ""))
    if not data:
        return {"error": "no packet captured"}
    udp = (data[0] & 0x0F) * 4
    head = data[udp + 8:udp + 16]
    return {"flags": head[0], "group": int.from_bytes(head[2:4], "big"), "vni": int.from_bytes(head[4:7], "big")}


CNI_DIR = "/var/lib/mesos/cni"
DOCKER_IMAGE = "lab/busybox:latest"


def sh(argv, data=None):
    return subprocess.run(argv, input=data, capture_output=True, text=True, check=False)


def netns_ip(netns):
    res = sh(["nsenter", "--net=" + netns, "ip", "-4", "-j", "addr", "show", "dev", "eth0"])
    for link in json.loads(res.stdout or "[]") if res.returncode == 0 else []:
        for addr in link.get("addr_info", []):
            return addr["local"]
    return None


def docker_pid(name):
    res = sh(["docker", "inspect", "--format", "{{.State.Pid}} {{.State.Running}}", name])
    if res.returncode != 0:
        return None
    pid, running = res.stdout.split()
    return int(pid) if running == "true" and int(pid) > 0 else None


def up(endpoints):
    out = []
    for ep in endpoints:
        name = "ng-" + ep["id"].split("/")[-1]
        if ep["kind"] == "mesos":
            netns = "/run/netns/" + name
            if not (os.path.exists(netns) and netns_ip(netns)):
                down_one(ep["id"], ep["overlay"])
                sh(["ip", "netns", "add", name])
                res = sh(["mesos-cni", "add", f"{CNI_DIR}/{ep['overlay']}.conf", netns, name,
                          "--network-info", json.dumps(ep["network_info"])])
                if res.returncode != 0:
                    raise SystemExit(f"{ep['id']}: {res.stderr.strip()}")
        else:
            if docker_pid(name) is None:
                sh(["docker", "rm", "-f", name])
                res = sh(["docker", "run", "-d", "--name", name, "--network", ep["network"],
                          DOCKER_IMAGE, "sleep", "100000000"])
                if res.returncode != 0:
                    raise SystemExit(f"{ep['id']}: {res.stderr.strip()}")
            netns = f"/proc/{docker_pid(name)}/ns/net"
        out.append(dict(ep, netns=netns, ip=netns_ip(netns)))
    return out


def down_one(ident, overlay=None):
    name = "ng-" + ident.split("/")[-1]
    if os.path.exists("/run/netns/" + name):
        if overlay:
            sh(["mesos-cni", "del", f"{CNI_DIR}/{overlay}.conf", "/run/netns/" + name, name])
        sh(["ip", "netns", "del", name])
    sh(["docker", "rm", "-f", name])


def expect(src, dst, grouped):
    """The isolation this collection promises (docs/netgroups.md)."""
    if src["kind"] == "node":
        return True
    if dst.get("isolated") and src["overlay"] != dst["overlay"]:
        return False
    if grouped and dst.get("groups"):
        return bool(set(src.get("groups") or ()) & set(dst["groups"]))
    return True


def matrix(spec):
    probes = [{"src": s, "dst": d, "netns": s.get("netns", "host")}
              for s in spec["sources"] for d in spec["targets"] if s["id"] != d["id"]]

    def run_one(p):
        got = one({"id": None, "src": p["netns"], "dst": p["dst"]["ip"]})
        return {"src": p["src"]["id"], "dst": p["dst"]["id"],
                "expect": expect(p["src"], p["dst"], spec["grouped"]), "icmp": got["icmp"], "tcp": got["tcp"]}

    with ThreadPoolExecutor(max_workers=24) as pool:
        return list(pool.map(run_one, probes))


def main():
    cmd = sys.argv[1]
    if cmd == "serve":
        out = serve(sys.argv[2:])
    elif cmd == "stop":
        out = stop()
    elif cmd == "probe":
        out = matrix(json.load(sys.stdin))
    elif cmd == "up":
        out = up(json.load(sys.stdin))
    elif cmd == "down":
        spec = json.load(sys.stdin)
        for ep in spec:
            down_one(ep["id"], ep.get("overlay") if ep["kind"] == "mesos" else None)
        out = {"removed": len(spec)}
    elif cmd == "vxlan":
        out = vxlan(sys.argv[2])
    else:
        raise SystemExit(__doc__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
