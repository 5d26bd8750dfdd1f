#!/usr/bin/env bash
# Host tools the tests use outside the lab: netlink and NAT tests in network
# namespaces (iproute2, iptables, ipset), the real CNI plugins that the Mesos
# CNI harness runs (containernetworking-plugins), the sanity copy (rsync), the lab
# image (debootstrap), the ZooKeeper server of the state-store tests (zookeeper,
# with Java), shellcheck (scripts/shellcheck.sh and ansible-test sanity), and Open vSwitch +
# OVN (openvswitch-switch, ovn-central, ovn-host, ethtool) for the ovn-marked tests.
# Installed from Debian only when a command or file is missing.
set -euo pipefail
declare -A NEED=([containernetworking-plugins]=/usr/lib/cni/bridge [iproute2]=ip [iptables]=iptables [ipset]=ipset [iputils-ping]=ping [rsync]=rsync [debootstrap]=debootstrap [shellcheck]=shellcheck [openvswitch-switch]=ovs-vswitchd [ovn-central]=ovn-northd [ovn-host]=ovn-controller [ethtool]=ethtool)
missing=()
for pkg in "${!NEED[@]}"; do
  cmd=${NEED[$pkg]}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || missing+=("$pkg")
done
if ! { [ -e /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1; }; then
  missing+=(zookeeper)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "host-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
