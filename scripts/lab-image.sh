#!/usr/bin/env bash
# Build the lab host image locally: debootstrap + `docker import` (no registry,
# no FROM). Cached: the image is tagged with a hash of its recipe (this script
# and scripts/lab/image/*) and only built when that tag is missing. The last
# built recipe is also tagged ${LAB_IMAGE_NAME}:latest, which the lab
# inventory and molecule use.
#
#   scripts/lab-image.sh          build when needed, print the image tag
#   scripts/lab-image.sh --tag    print the tag of the current recipe only
#   scripts/lab-image.sh --force  build even when the tag exists
#
# Contents: Debian bookworm minbase + python3 (with pyroute2 0.7.2, requests,
# apt), iproute2, iputils-ping, iptables, ipset, the CNI plugins
# (/usr/lib/cni), docker.io (each agent runs its own engine), busybox-static,
# tcpdump, Open vSwitch and OVN (openvswitch-switch, ovn-central, ovn-host,
# python3-ovsdbapp, ethtool: the OVN backend, no services started);
# /usr/share/mesos-overlay-lab/busybox.tar (a busybox rootfs that an
# inner engine `docker import`s for test containers); /usr/local/sbin/lab-init
# (PID 1), /usr/local/sbin/lab-node (test containers, ping matrix),
# /usr/local/sbin/mesos-cni (CNI ADD/DEL exactly as the Mesos isolator runs
# them; the library /usr/local/lib/mesos-overlay-lab/mesos_cni.py) and
# /srv/lab/cgi-bin/whoami (source address echo for NAT checks).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
NAME=${LAB_IMAGE_NAME:-mesos-overlay-lab}
SUITE=bookworm
MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}
BUILD=${LAB_BUILD_DIR:-$ROOT/.build/lab}
PACKAGES=(
  python3 python3-pyroute2 python3-requests python3-apt
  iproute2 iputils-ping iptables ipset netbase procps tcpdump
  containernetworking-plugins busybox-static
  docker.io containerd runc tini
  openvswitch-switch ovn-central ovn-host python3-ovsdbapp ethtool
)

log() { echo "lab-image: $*" >&2; }

recipe_hash() {
  # The recipe: this script, the files baked into the image, the mirror/suite.
  {
    cat "$0"
    echo "$SUITE $MIRROR"
    (cd "$HERE/lab/image" && find . -type f | LC_ALL=C sort | while read -r f; do
      echo "== $f $(stat -c %a "$f")"; cat "$f"; done)
  } | sha256sum | cut -c1-12
}

TAG="$NAME:$(recipe_hash)"
case "${1:-}" in
  --tag) echo "$TAG"; exit 0 ;;
  --force) FORCE=1 ;;
  "") FORCE=0 ;;
  *) echo "usage: $0 [--tag|--force]" >&2; exit 2 ;;
esac

if [ "$FORCE" = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  docker tag "$TAG" "$NAME:latest"
  echo "$TAG"
  exit 0
fi

command -v debootstrap >/dev/null || { log "debootstrap missing: run scripts/docker-engine.sh"; exit 1; }

start=$(date +%s)
mkdir -p "$BUILD/debs"
ROOTFS=$(mktemp -d "$BUILD/rootfs.XXXXXX")
cleanup() {
  for m in proc sys dev/pts dev; do
    if mountpoint -q "$ROOTFS/$m" 2>/dev/null; then umount -l "$ROOTFS/$m" || true; fi
  done
  rm -rf --one-file-system "$ROOTFS"
}
trap cleanup EXIT

log "debootstrap $SUITE into $ROOTFS (packages cached in $BUILD/debs)"
include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --variant=minbase --cache-dir="$BUILD/debs" --include="$include" \
  "$SUITE" "$ROOTFS" "$MIRROR" > "$BUILD/debootstrap.log" 2>&1 || {
    log "debootstrap failed; last lines of $BUILD/debootstrap.log:"
    tail -n 30 "$BUILD/debootstrap.log" >&2
    exit 1
  }

log "customising"
install -m 0755 "$HERE/lab/image/lab-init" "$ROOTFS/usr/local/sbin/lab-init"
install -m 0755 "$HERE/lab/image/lab-node" "$ROOTFS/usr/local/sbin/lab-node"
install -D -m 0755 "$HERE/lab/image/mesos_cni.py" "$ROOTFS/usr/local/lib/mesos-overlay-lab/mesos_cni.py"
ln -sfn ../lib/mesos-overlay-lab/mesos_cni.py "$ROOTFS/usr/local/sbin/mesos-cni"
install -d "$ROOTFS/srv/lab/cgi-bin" "$ROOTFS/usr/share/mesos-overlay-lab" \
  "$ROOTFS/etc/ansible/facts.d" "$ROOTFS/var/lib/mesos/cni" "$ROOTFS/run/netns"
install -m 0755 "$HERE/lab/image/whoami.cgi" "$ROOTFS/srv/lab/cgi-bin/whoami"
echo "mesos.overlay lab: $TAG" > "$ROOTFS/srv/lab/index.html"

# A busybox rootfs for the test containers of the agents' inner engines.
bb=$(mktemp -d "$BUILD/busybox.XXXXXX")
install -d "$bb/bin" "$bb/tmp" "$bb/etc"
install -m 0755 "$ROOTFS/bin/busybox" "$bb/bin/busybox"
for applet in $("$bb/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$bb/bin/$applet"
done
echo "root:x:0:0:root:/:/bin/sh" > "$bb/etc/passwd"
echo "root:x:0:" > "$bb/etc/group"
tar --numeric-owner -C "$bb" -cf "$ROOTFS/usr/share/mesos-overlay-lab/busybox.tar" .
rm -rf "$bb"

# No services inside the image, no apt lists or caches.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
  "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/log/*.log
echo "$TAG" > "$ROOTFS/etc/mesos-overlay-lab-image"

log "docker import $TAG"
tar --numeric-owner -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/usr/local/sbin/lab-init"]' \
  --message "mesos.overlay lab image $TAG" - "$TAG" >/dev/null
docker tag "$TAG" "$NAME:latest"
log "built $TAG in $(( $(date +%s) - start ))s"
echo "$TAG"
