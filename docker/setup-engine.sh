#!/usr/bin/env bash
# Install Debian's Docker engine (docker.io), docker-compose and debootstrap if missing, and start dockerd if it
# is not answering. Idempotent; needs root. No image registry is needed afterwards: the images are built from a
# debootstrapped root file system (docker/build-base.sh).
set -euo pipefail
PKGS=(docker.io docker-compose debootstrap)
if [ "$(id -u)" != 0 ]; then echo "docker-setup: needs root (apt-get, dockerd)" >&2; exit 1; fi
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker-setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if docker info >/dev/null 2>&1; then
  echo "docker-setup: dockerd already running"
  exit 0
fi
echo "docker-setup: starting dockerd (log: /var/log/dockerd.log)"
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  systemctl start docker
else
  nohup dockerd >/var/log/dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "docker-setup: dockerd is up"; exit 0; fi
  sleep 1
done
echo "docker-setup: dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
tail -20 /var/log/dockerd.log >&2 || true
exit 1
