#!/usr/bin/env bash
# Run by runUfwNetns() (test-support/firewall-netns.ts) inside `unshare --net
# --pid --fork --kill-child --mount-proc` (a mount namespace too): this shell
# is PID 1 of a PID namespace, so every process it starts dies with it. A real
# ufw runs here on copies of its files (/etc/ufw, /lib/ufw, /etc/default/ufw
# and /run, for its lock, on a tmpfs at SCRATCH, bind-mounted over the real
# ones in this mount namespace only) and loads its rules into this network
# namespace only. Nothing here touches the host's ufw files or netfilter.
#
# Usage: ufw-netns.sh SCRATCH PORT...
# $UFW_NETNS_HOST: the host's "mnt:[...] net:[...]" namespaces; the script
# refuses to run in either. ufw is enabled (default: deny incoming), then
# $UFW_NETNS_BEFORE is run (another tool's rules), then each script of
# $UFW_NETNS_SCRIPTS (colon-separated) with sh. The outside host then connects
# to each PORT as netns.sh's does (the server listens on `::`).
# Prints probe lines (after FAMILY KIND PORT open|closed), then `--- then` and,
# for each script, `=== PATH exit STATUS`, its output, `=== added` and `ufw show added`.
set -euo pipefail
scratch=$1
shift
here=$(dirname "$0")
# shellcheck source=netns-setup.sh
source "$here/netns-setup.sh"

here_ns="$(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/net)"
for ns in $here_ns; do
  case " ${UFW_NETNS_HOST:?the host namespaces} " in *" $ns "*)
    echo "ufw-netns.sh: refusing to run in the host's namespace $ns" >&2
    exit 1
    ;;
  esac
done

mount -t tmpfs dsa110-ufw "$scratch"
mkdir -p "$scratch/etc" "$scratch/lib" "$scratch/run"
cp -a /etc/ufw "$scratch/etc/ufw"
cp -a /lib/ufw "$scratch/lib/ufw"
cp /etc/default/ufw "$scratch/default"
# No rules of the host's copy, and no sysctl: ufw-init would apply /etc/ufw/sysctl.conf.
for rules in user.rules user6.rules; do sed -i '/^### tuple ###/,+2d' "$scratch/etc/ufw/$rules"; done
: >"$scratch/sysctl.conf"
sed -i "s|^IPT_SYSCTL=.*|IPT_SYSCTL=$scratch/sysctl.conf|" "$scratch/default"
mount --bind "$scratch/etc/ufw" /etc/ufw
mount --bind "$scratch/lib/ufw" /lib/ufw
mount --bind "$scratch/default" /etc/default/ufw
mount --bind "$scratch/run" /run

make_addressed_outside_host dsa110uf
listen_on :: "$@"

ufw --force enable >/dev/null
bash -c "${UFW_NETNS_BEFORE:-}" >/dev/null
report=$scratch/report
: >"$report"
IFS=: read -r -a scripts <<<"${UFW_NETNS_SCRIPTS:-}"
for script in "${scripts[@]}"; do
  status=0
  sh "$script" >"$scratch/output" 2>&1 || status=$?
  { echo "=== $script exit $status"; cat "$scratch/output"; echo '=== added'; ufw show added; } >>"$report"
done

nsenter -t "$outside" -n python3 "$here/probe.py" after \
  "v4 public 203.0.113.2 203.0.113.1" "v4 private 10.99.0.2 10.99.0.1" \
  "v6 public 2001:db8::2 2001:db8::1" "v6 private fd99::2 fd99::1" -- "$@"
echo '--- then'
cat "$report"
