#!/usr/bin/env bash
# Debian packages the tests use: getfacl (acl) to tell a default ACL from an access one, systemd-analyze for unit verification,
# promtool for the Prometheus output and the generated rules, curl (inside the systemd container), strace to count port-health-check's reads,
# nft and ufw to check `ports firewall` (never enabled: the tests load rules in their own network namespaces),
# and the real daemons of the end-to-end
# suite. Skips what is already installed; needs root for anything missing.
set -euo pipefail
want=(systemd dbus curl lsof iproute2 psmisc prometheus prometheus-node-exporter redis-server nginx-light python3-uvicorn openssh-server python3 util-linux strace nftables ufw acl)
missing=()
for package in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "install-system-packages: missing ${missing[*]}; run as root to install them (tests that need them are skipped)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d: the packages must not start their daemons; the tests start their own on loopback.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
