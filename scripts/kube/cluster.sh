#!/bin/bash
# Serin's Kubernetes 1.20.2 test cluster: a real control plane and one real node (kubelet + containerd +
# runc + CNI bridge), built offline from Debian bookworm packages. See scripts/kube/README.md.
#
#   cluster.sh build          build or reuse binaries and images in ${SERIN_KUBE_CACHE:-/var/cache/serin-kube}
#   cluster.sh up             start everything (building first if needed); prints the env (below) on stdout
#   cluster.sh env            print `export ...` lines: KUBECONFIG, SERIN_KUBE_* (eval them)
#   cluster.sh status         say what runs
#   cluster.sh check          end-to-end checks of the running cluster (app pods, in-cluster auth, 410)
#   cluster.sh down [--wipe]  stop everything and clean up; --wipe also deletes etcd data and credentials
#   cluster.sh second up|down [--wipe]|env|status
#                             a second control plane (own ports, CA and tokens; no real node) for the
#                             multi-cluster tests; `env` prints its SERIN_KUBE2_* lines too while it runs
#
#   eval "$(scripts/kube/cluster.sh up)" && kubectl get nodes
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/common.sh"

env_lines() {
  [ -f "$PKI/tokens.csv" ] || die "no cluster state in $RUN: run \`$0 up\` first"
  local tok; tok=$(awk -F, '$2=="admin"{print $1}' "$PKI/tokens.csv")
  local v
  while read -r v; do
    [ -n "$v" ] && printf 'export %s=%q\n' "${v%%=*}" "${v#*=}"
  done <<E
KUBECONFIG=$PKI/admin.kubeconfig
SERIN_KUBE_KUBECTL=$KUBECTL
SERIN_KUBE_SERVER=https://127.0.0.1:$API_PORT
SERIN_KUBE_IN_CLUSTER_SERVER=https://$BRIDGE_IP:$API_PORT
SERIN_KUBE_CA=$PKI/ca.crt
SERIN_KUBE_TOKEN=$tok
SERIN_KUBE_CLIENT_CERT=$PKI/admin.crt
SERIN_KUBE_CLIENT_KEY=$PKI/admin.key
SERIN_KUBE_APP_IMAGE=$APP_IMAGE
SERIN_KUBE_NODE=$NODE_NAME
SERIN_KUBE_POD_CIDR=$POD_CIDR
SERIN_KUBE_ETCD=http://127.0.0.1:$ETCD_PORT
SERIN_KUBE_RUN=$RUN
SERIN_KUBE_CACHE=$CACHE
E
  # kubectl on PATH (only kubectl: $RUN/bin holds a link to it), added once
  printf 'case ":$PATH:" in *:%q:*) ;; *) export PATH=%q:"$PATH" ;; esac\n' "$RUN/bin" "$RUN/bin"
  # The second control plane's, when it runs.
  if "$HERE/second.sh" status >/dev/null 2>&1; then "$HERE/second.sh" env; fi
}

status() {
  local n pid up=0 rc=0
  for n in etcd apiserver cm sched containerd kubelet; do
    if alive "$n"; then
      pid=$(cat "$RUN/$n.pid")
      printf '%-11s running  pid %-7s rss %s MiB\n' "$n" "$pid" "$(awk '/VmRSS/{print int($2/1024)}' "/proc/$pid/status")"
      up=$((up + 1))
    else
      printf '%-11s stopped\n' "$n"
    fi
  done
  if [ "$up" -gt 0 ]; then
    if curl -sf --cacert "$PKI/ca.crt" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then
      echo "apiserver   https://127.0.0.1:$API_PORT/readyz ok"
      "$KUBECTL" get nodes -o wide 2>/dev/null | sed 's/^/node        /' || true
      echo "pods        $("$KUBECTL" get pods -A --no-headers 2>/dev/null | wc -l)"
    else
      echo "apiserver   not ready"; rc=1
    fi
    [ "$up" -eq 6 ] || rc=1
  else
    echo "nothing runs (run dir $RUN)"; rc=3
  fi
  [ -d "$OUT" ] && echo "build       $OUT" || echo "build       not built yet ($OUT)"
  return $rc
}

cmd=${1:-}; shift || true
case $cmd in
  build)  exec "$HERE/build.sh" "$@" ;;
  up)     exec "$HERE/up.sh" "$@" ;;
  down)   exec "$HERE/down.sh" "$@" ;;
  env)    env_lines ;;
  status) status ;;
  check)  exec "$HERE/check.sh" "$@" ;;
  second) exec "$HERE/second.sh" "$@" ;;
  *) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0" >&2; exit 2 ;;
esac
