"""What the netgroup tests share: the plugin's path, a task's NetworkInfo, the CNI
config the role writes, and one CNI call made as the Mesos isolator makes it."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN = os.path.join(ROOT, "roles", "agent", "files", "mesos-overlay-netgroups")
CNI_PATH = "/usr/lib/cni"


def info(groups=None, label=None):
    out = {"name": "ov1"}
    if groups is not None:
        out["groups"] = groups
    if label is not None:
        out["labels"] = {"labels": [{"key": "other", "value": "x"}, {"key": "netgroups", "value": label}]}
    return {"org.apache.mesos": {"network_info": out}}


def conf(data_dir, subnet="10.77.0.0/25", netgroups=None):
    """The overlay's CNI config as the role writes it for the bridge format."""
    return {
        "name": "ov1",
        "type": "mesos-overlay-netgroups",
        "netgroups": netgroups if netgroups is not None else {"blue": "mo-ng-blue", "red": "mo-ng-red"},
        "delegate": {
            "cniVersion": "0.2.0", "type": "bridge", "bridge": "m-ov1", "isGateway": True,
            "ipMasq": False, "hairpinMode": True, "mtu": 1420,
            "ipam": {"type": "host-local", "dataDir": data_dir, "subnet": subnet,
                     "routes": [{"dst": "0.0.0.0/0"}]},
        },
    }


def call(node, command, config, container, netns, args=None):
    """Run the plugin inside ``node`` as the Mesos isolator does."""
    data = dict(config)
    if args is not None:
        data["args"] = args
    env = dict(os.environ, CNI_COMMAND=command, CNI_CONTAINERID=container,
               CNI_NETNS=f"/run/netns/{netns}", CNI_IFNAME="eth0", CNI_PATH=f"{os.path.dirname(PLUGIN)}:{CNI_PATH}")
    proc = subprocess.run(["ip", "netns", "exec", node, sys.executable, PLUGIN], input=json.dumps(data),
                          capture_output=True, text=True, env=env, check=False)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None
