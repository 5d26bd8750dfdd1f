#!/usr/bin/env bash
# Make sure a Docker engine answers on /var/run/docker.sock, and that the host
# tools the project needs are present. Idempotent; returns at once when the
# engine is already up and the packages are installed.
#
#   scripts/docker-engine.sh
#
# Installs (Debian, non-interactive, only when missing): docker.io, debootstrap,
# iptables, ipset, iproute2. Starts dockerd in the background when none
# answers, logging to ${DOCKERD_LOG:-/var/log/dockerd.log}.
set -euo pipefail

SOCK=/var/run/docker.sock
LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
WAIT=${DOCKERD_WAIT:-60}

log() { echo "docker-engine: $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

# Package name -> a command it provides (to skip dpkg queries when present).
declare -A NEED=(
  [docker.io]=dockerd
  [debootstrap]=debootstrap
  [iptables]=iptables
  [ipset]=ipset
  [iproute2]=ip
)

missing=()
for pkg in "${!NEED[@]}"; do
  cmd=${NEED[$pkg]}
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ] && [ ! -x "/sbin/$cmd" ]; then
    missing+=("$pkg")
  fi
done

engine_up() { docker info >/dev/null 2>&1; }

if [ ${#missing[@]} -gt 0 ]; then
  # A running engine (from elsewhere) does not need Debian's docker.io.
  if engine_up; then
    pruned=()
    for p in "${missing[@]}"; do [ "$p" = docker.io ] || pruned+=("$p"); done
    missing=("${pruned[@]+"${pruned[@]}"}")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if engine_up; then
  exit 0
fi

DOCKERD=$(command -v dockerd || echo /usr/sbin/dockerd)
[ -x "$DOCKERD" ] || { log "no dockerd found"; exit 1; }

# A stale socket or pid file from a dead engine blocks a new one.
if [ -e /var/run/docker.pid ]; then
  pid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "dockerd (pid $pid) runs but does not answer yet; waiting"
  else
    as_root rm -f /var/run/docker.pid "$SOCK"
  fi
fi

if ! { [ -e /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; }; then
  log "starting dockerd (log: $LOG)"
  as_root mkdir -p "$(dirname "$LOG")"
  # setsid: the engine outlives this script and the make/CI job that ran it.
  as_root setsid "$DOCKERD" --host "unix://$SOCK" >>"$LOG" 2>&1 < /dev/null &
fi

for _ in $(seq 1 "$((WAIT * 2))"); do
  if engine_up; then
    log "engine up: $(docker version --format '{{.Server.Version}}' 2>/dev/null)"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within ${WAIT}s; last lines of $LOG:"
tail -n 20 "$LOG" >&2 || true
exit 1
