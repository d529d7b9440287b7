# Sourced by netns.sh and by the health check's localnet-netns.sh, each run as
# PID 1 of a PID namespace of its own (unshare --kill-child): whatever these
# functions start dies with it. They set up the two namespaces; the address
# plan and the probes are each script's own.
netns_support=$(dirname "${BASH_SOURCE[0]}")

# make_outside_host VETH: bring up this namespace's lo, start the outside host
# (a sleeping child in a network namespace of its own, its PID in $outside)
# and join the two by a veth pair, VETH0 here and VETH1 there, both still down
# and without addresses.
make_outside_host() {
  ip link set lo up
  unshare --net sleep 600 &
  outside=$!
  # The outside namespace exists once the child has unshared: its netns differs from ours.
  for _ in $(seq 100); do
    [ "$(readlink /proc/$outside/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.02
  done
  ip link add "${1}0" type veth peer name "${1}1"
  ip link set "${1}1" netns "$outside"
}

# make_addressed_outside_host VETH: make_outside_host, then the addresses the
# firewall tests connect between, both ends up: this host 203.0.113.1 (a public
# source's peer), 10.99.0.1, 2001:db8::1 and fd99::1 on VETH0; the outside host
# the same ending in .2 / ::2 on VETH1.
make_addressed_outside_host() {
  make_outside_host "$1"
  ip addr add 203.0.113.1/24 dev "${1}0"
  ip addr add 10.99.0.1/24 dev "${1}0"
  ip addr add 2001:db8::1/64 dev "${1}0" nodad
  ip addr add fd99::1/64 dev "${1}0" nodad
  ip link set "${1}0" up
  nsenter -t "$outside" -n sh -c '
    ip link set lo up
    ip addr add 203.0.113.2/24 dev "$0"
    ip addr add 10.99.0.2/24 dev "$0"
    ip addr add 2001:db8::2/64 dev "$0" nodad
    ip addr add fd99::2/64 dev "$0" nodad
    ip link set "$0" up' "${1}1"
}

# listen_on ADDRESS PORT...: listen.py on every PORT (its PID in $listener),
# stopped with the outside host when the script exits; returns once the
# socket table shows as many listeners as ports.
listen_on() {
  python3 "$netns_support/listen.py" "$@" &
  listener=$!
  trap 'kill "$listener" "$outside" 2>/dev/null || true' EXIT
  for _ in $(seq 100); do
    [ "$(ss -Htln | wc -l)" -ge "$(($# - 1))" ] && break
    sleep 0.02
  done
}

# run_then COMMAND: when COMMAND is not empty, a line `--- then` and its
# output, run here (listeners still up); its exit status is not ours, the test
# judges its output.
run_then() {
  if [ -n "$1" ]; then
    echo '--- then'
    bash -c "$1" || true
  fi
}
