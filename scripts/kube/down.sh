#!/bin/bash
# cluster.sh down [--wipe]: stop what up started (by the pids in $RUN/*.pid), then remove what the kubelet,
# containerd and the CNI plugins left on the machine: pod sandboxes and their netns, mounts, pod cgroups,
# the KUBE-* iptables chains the kubelet made, our SERIN-KUBE chains, the bridge, pod logs. Only what
# appeared after `up` (see $RUN/outside.before) is removed. Safe to run when nothing runs; idempotent.
# --wipe also deletes $RUN (etcd data, PKI): the next `up` starts a fresh cluster with new credentials.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ "$(id -u)" = 0 ] || die "root needed"
WIPE=false; [ "${1:-}" = --wipe ] && WIPE=true

stop1() { # name
  local f=$RUN/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$1"; then
    kill "$pid"
    # alive is false for a zombie too (empty command line), which PID 1 may reap late
    for _ in $(seq 1 100); do alive "$1" || break; sleep 0.1; done
    alive "$1" && { kill -9 "$pid"; sleep 0.2; }
    log "stopped $1 ($pid)"
  fi
  rm -f "$f"
}

# Scheduler and controller-manager first, so deleted pods are not replaced.
stop1 sched; stop1 cm
# Let the kubelet tear the pods down (sandboxes, netns, volumes) while everything still runs.
if alive kubelet && alive apiserver && [ -x "$KUBECTL" ]; then
  timeout 60 "$KUBECTL" delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" \
    --grace-period=1 --wait=true >/dev/null 2>&1 || log "some pods were not deleted in 60 s; removing them by force"
fi
stop1 kubelet
# Whatever is left in containerd: kill the tasks (their shims then exit), delete sandboxes and containers.
if alive containerd; then
  ctr_() { timeout 20 ctr -a "$CD_SOCK" -n k8s.io "$@"; }
  for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$t" >/dev/null 2>&1; done
  sleep 1
  for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$c" >/dev/null 2>&1; done
fi
stop1 containerd
# Shims of our containerd that outlived it (their command line names our socket's directory).
for p in $(pgrep -x containerd-shim-runc-v2 2>/dev/null); do
  grep -qF -- "$CD" "/proc/$p/cmdline" 2>/dev/null && { kill -9 "$p" 2>/dev/null && log "killed leftover shim $p"; }
done
stop1 apiserver; stop1 etcd

# Mounts under $RUN (overlay rootfs, shm, kubelet's tmpfs secret volumes), deepest first.
awk -v r="$RUN/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done

if [ -f "$RUN/outside.before" ]; then
  for f in $(ls -d /var/run/netns/* /var/log/pods/* /var/log/containers/* /var/lib/cni/results/* /run/containerd/s/* /run/containerd/fifo/* 2>/dev/null); do
    grep -qxF "$f" "$RUN/outside.before" && continue
    case $f in
      /var/run/netns/*) ip netns del "$(basename "$f")" 2>/dev/null || { umount "$f" 2>/dev/null; rm -f "$f"; } ;;
      *) rm -rf "$f" ;;
    esac
  done
  for d in $(tac "$RUN/outside.created" 2>/dev/null); do
    mountpoint -q "$d" && umount "$d"; rm -rf "$d"
  done
  # Pod cgroups (cgroup v1, cgroupfs driver): the empty /kubepods trees, depth first.
  for h in /sys/fs/cgroup/*/kubepods; do [ -d "$h" ] && find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null; done
  # The kubelet's KUBE-* chains (with makeIPTablesUtilChains=false only KUBE-KUBELET-CANARY), if new.
  for ipt in iptables ip6tables; do for t in filter nat mangle; do
    for c in $($ipt -t $t -S 2>/dev/null | awk '/^-N KUBE-/{print $2}'); do
      grep -qxF "$ipt $t $c" "$RUN/iptables.before" 2>/dev/null && continue
      $ipt -t $t -S 2>/dev/null | grep -E "^-A [A-Z-]+ .*-j $c( |\$)" | sed 's/^-A/-D/' | while read -r rule; do
        eval "$ipt -t $t $rule" 2>/dev/null; done
      $ipt -t $t -F "$c" 2>/dev/null; $ipt -t $t -X "$c" 2>/dev/null
    done
  done; done
  rm -f "$RUN/outside.before" "$RUN/outside.created" "$RUN/iptables.before"
  log "removed the node's leftovers outside $RUN"
fi

# Our own rules and the pod bridge.
for ipt in iptables ip6tables; do
  while $ipt -D INPUT -p tcp --dport "$API_PORT" -j $IPT_CHAIN 2>/dev/null; do :; done
  $ipt -F $IPT_CHAIN 2>/dev/null && $ipt -X $IPT_CHAIN 2>/dev/null
done
while iptables -t nat -D PREROUTING -j $IPT_CHAIN 2>/dev/null; do :; done
iptables -t nat -F $IPT_CHAIN 2>/dev/null && iptables -t nat -X $IPT_CHAIN 2>/dev/null
ip link del "$BRIDGE" 2>/dev/null && log "deleted bridge $BRIDGE"
# Pod IPs are handed out again from the start: host-local's allocations belong to the pods just removed.
rm -rf "$RUN/cni/ipam"

if $WIPE; then
  rm -rf "$RUN" && log "wiped $RUN"
fi
log "down"
exit 0
