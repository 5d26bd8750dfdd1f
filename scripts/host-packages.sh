#!/usr/bin/env bash
# Host tools the tests use outside the lab: netlink and NAT tests in network
# namespaces (iproute2, iptables, ipset), the real CNI plugins that the Mesos
# CNI harness runs (containernetworking-plugins), the sanity copy (rsync), the lab
# image (debootstrap). Installed from Debian only when a command is missing.
set -euo pipefail
declare -A NEED=([containernetworking-plugins]=/usr/lib/cni/bridge [iproute2]=ip [iptables]=iptables [ipset]=ipset [iputils-ping]=ping [rsync]=rsync [debootstrap]=debootstrap)
missing=()
for pkg in "${!NEED[@]}"; do
  cmd=${NEED[$pkg]}
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || [ -x "/sbin/$cmd" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "host-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
