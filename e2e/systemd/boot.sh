#!/usr/bin/env bash
# Boots systemd as PID 1 of a throwaway container. NEVER run this directly: the
# harness (container.ts) runs it as
#   unshare --pid --fork --kill-child --mount --net --uts --ipc bash boot.sh ...
# so that it starts as PID 1 of new PID, mount, network, UTS and IPC namespaces.
# It makes / private, mounts an overlay whose lower layer is the host's / and
# whose upper and work directories are on a fresh tmpfs, gives it a fresh proc
# and tmpfs /tmp and /run, pivots into it, checks that all of that holds, and
# only then execs /lib/systemd/systemd. systemd then sees (and its
# systemd-tmpfiles empties) the overlay's /tmp, never the host's, and every
# daemon it starts listens in the new network namespace (only lo).
#
# Arguments: SCRATCH (an empty directory: the tmpfs is mounted on it), STAGE
# (bound read-only at /opt/dsa110-e2e; its units/ are copied into
# /etc/systemd/system), UNIT (the target to boot), and the host's pid, mnt and
# net namespace links (readlink /proc/self/ns/X) to prove these are new ones.
# With BOOT_DRY_RUN=1 it does and checks everything, prints the mounts and
# exits 0 instead of exec'ing systemd (the harness's probe: can we boot here?).
set -euo pipefail
scratch=$1 stage=$2 unit=$3 host_pid_ns=$4 host_mnt_ns=$5 host_net_ns=$6

die() {
  echo "boot.sh: $*; systemd NOT booted" >&2
  exit 1
}

# 1. New namespaces, or stop here.
[ "$$" = 1 ] || die "not PID 1 of a new PID namespace (PID $$)"
[ "$(readlink /proc/self/ns/pid)" != "$host_pid_ns" ] || die "still in the host's PID namespace"
[ "$(readlink /proc/self/ns/mnt)" != "$host_mnt_ns" ] || die "still in the host's mount namespace"
[ "$(readlink /proc/self/ns/net)" != "$host_net_ns" ] || die "still in the host's network namespace"
[ -d "$scratch" ] && [ -z "$(ls -A "$scratch")" ] || die "scratch $scratch is not an empty directory"

# 1b. A cgroup of its own in each hierarchy (cpuset aside: a new cpuset cgroup
# has no CPUs to run on), named after this run's directory, so that the
# units' cgroups of this systemd live under it: without a cgroup namespace
# systemd takes its own cgroup as its root, and at the host's root two runs
# would share one system.slice/redis-server.service. The paths go to
# STAGE/../cgroups for the harness to remove after the container is gone.
tag=$(basename "$(dirname "$scratch")")
: > "$(dirname "$stage")/cgroups"
# Read the list first: /proc/self/cgroup changes as this loop moves the shell.
own_cgroups=$(cat /proc/self/cgroup)
while IFS=: read -r _ controllers path; do
  case "$controllers" in
    "") if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then hierarchy=/sys/fs/cgroup; else hierarchy=/sys/fs/cgroup/unified; fi ;;
    *cpuset*) continue ;;
    name=systemd) hierarchy=/sys/fs/cgroup/systemd ;;
    *) hierarchy=/sys/fs/cgroup/$controllers ;;
  esac
  [ -d "$hierarchy" ] || continue
  own=${hierarchy}${path%/}/$tag
  mkdir "$own" || die "cannot make the cgroup $own"
  echo "$own" >> "$(dirname "$stage")/cgroups"
  echo $$ > "$own/cgroup.procs" || die "cannot move into the cgroup $own"
done <<< "$own_cgroups"

# 2. Nothing mounted from here on propagates to the host.
mount --make-rprivate /

# 3. The overlay: lower = the host's /, upper and work on a fresh tmpfs.
mount -t tmpfs -o mode=0755 dsa110-e2e-scratch "$scratch"
mkdir "$scratch/upper" "$scratch/work" "$scratch/root"
mount -t overlay dsa110-e2e-root -o "lowerdir=/,upperdir=$scratch/upper,workdir=$scratch/work" "$scratch/root"
root=$scratch/root

# 4. Fresh proc, tmpfs /tmp and /run; the host's /dev and /sys bound in.
mount -t proc proc "$root/proc"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mkdir -p "$root/opt/dsa110-e2e"
mount --bind "$stage" "$root/opt/dsa110-e2e"
mount -o remount,bind,ro "$root/opt/dsa110-e2e"
if [ -d "$stage/units" ]; then cp -r "$stage/units/." "$root/etc/systemd/system/"; fi
echo dsa110-e2e > "$root/etc/hostname"

# 5. pivot_root into the overlay and drop the old root.
cd "$root"
mkdir -p .host-root
pivot_root . .host-root
cd /
umount -l /.host-root
rmdir /.host-root
hostname dsa110-e2e

# Verify before handing over: / is the overlay, /tmp a tmpfs, /proc our own.
[ "$(findmnt -n -o FSTYPE /)" = overlay ] || die "/ is not the overlay: $(findmnt -n -o TARGET,SOURCE,FSTYPE /)"
[ "$(findmnt -n -o SOURCE /)" = dsa110-e2e-root ] || die "/ is not this run's overlay: $(findmnt -n -o TARGET,SOURCE,FSTYPE /)"
[ "$(findmnt -n -o FSTYPE /tmp)" = tmpfs ] || die "/tmp is not a tmpfs"
[ "$(findmnt -n -o FSTYPE /run)" = tmpfs ] || die "/run is not a tmpfs"
# A proc of this PID namespace shows one PID per process (NSpid has one field); the host's proc would show two.
[ "$(awk '/^NSpid:/ { print NF - 1 }' /proc/self/status)" = 1 ] || die "/proc is not this PID namespace's"
[ -z "$(findmnt -n -o TARGET /.host-root 2>/dev/null)" ] || die "the host's root is still mounted"
interfaces=$(awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | tr '\n' ' ')
[ "$interfaces" = "lo " ] || die "the network namespace has interfaces other than lo: $interfaces"
echo "boot.sh: / is $(findmnt -n -o SOURCE,FSTYPE /), network: $interfaces; exec systemd --unit=$unit"

if [ "${BOOT_DRY_RUN:-}" = 1 ]; then findmnt; exit 0; fi

exec env container=other /lib/systemd/systemd --system --unit="$unit"
