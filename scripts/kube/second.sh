#!/bin/bash
# cluster.sh second up|down [--wipe]|env|status: a second control plane beside the test cluster, for the
# multi-cluster tests (a source released in waves: staging on one cluster, production on the other).
# etcd, kube-apiserver, kube-controller-manager and kube-scheduler of the same build, on ports of their
# own, with a CA, certificates and tokens of their own (nothing of the first cluster is trusted here), all
# bound to 127.0.0.1. It has no real node: the tests (and serin-bench) make a simulated one
# (`FakeNode`, named as the fake it is) that marks pods Running and Ready. Progress goes to stderr; `up`
# and `env` print `export SERIN_KUBE2_...` lines on stdout. `up` twice is harmless.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUN2=${SERIN_KUBE2_RUN:-/tmp/serin-kube-2}
PKI2=$RUN2/pki
LOGS2=$RUN2/logs
ETCD2_PORT=${SERIN_KUBE2_ETCD_PORT:-2479}
ETCD2_PEER_PORT=${SERIN_KUBE2_ETCD_PEER_PORT:-2480}
API2_PORT=${SERIN_KUBE2_API_PORT:-6444}
CM2_PORT=${SERIN_KUBE2_CM_PORT:-7267}
SCHED2_PORT=${SERIN_KUBE2_SCHED_PORT:-7269}
SERVICE2_CIDR=10.98.0.0/16

# alive2 NAME: the pid in $RUN2/NAME.pid runs and is ours (its command line names $RUN2 or our binaries).
alive2() {
  local f=$RUN2/$1.pid pid
  [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$RUN2/"
}

env2() {
  [ -f "$PKI2/admin.kubeconfig" ] || die "no second control plane in $RUN2: run \`cluster.sh second up\` first"
  printf 'export SERIN_KUBE2_KUBECONFIG=%q\n' "$PKI2/admin.kubeconfig"
  printf 'export SERIN_KUBE2_SERVER=%q\n' "https://127.0.0.1:$API2_PORT"
  printf 'export SERIN_KUBE2_ETCD=%q\n' "http://127.0.0.1:$ETCD2_PORT"
  printf 'export SERIN_KUBE2_RUN=%q\n' "$RUN2"
}

up2() {
  [ "$(id -u)" = 0 ] || die "root needed"
  local T0; T0=$(now)
  "$KUBE_DIR/build.sh"
  ensure_apt etcd-server openssl curl
  mkdir -p "$RUN2" "$LOGS2"
  local n p o
  for n in etcd:$ETCD2_PORT etcd:$ETCD2_PEER_PORT apiserver:$API2_PORT cm:$CM2_PORT sched:$SCHED2_PORT; do
    p=${n#*:}; n=${n%%:*}
    alive2 "$n" && continue
    o=$(ss -Hltnp "sport = :$p" 2>/dev/null | head -1)
    [ -z "$o" ] || die "port $p (for the second $n) is in use: $o -- set SERIN_KUBE2_*_PORT"
  done

  # PKI of its own: another CA, so a credential of one cluster is never accepted by the other.
  mkdir -p "$PKI2"; (
    cd "$PKI2"
    pki_ca serin-kube-2-ca
    pki_cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    pki_service_account_key
    pki_tokens
    pki_kubeconfig admin admin serin-kube-2 "$API2_PORT"
    pki_kubeconfig controller-manager system:kube-controller-manager serin-kube-2 "$API2_PORT"
    pki_kubeconfig scheduler system:kube-scheduler serin-kube-2 "$API2_PORT"
    chmod 600 ./*.key tokens.csv ./*.kubeconfig
  )

  start2() { # name cmd...
    local n=$1; shift
    alive2 "$n" && { log "second $n already running (pid $(cat "$RUN2/$n.pid"))"; return 0; }
    setsid "$@" >>"$LOGS2/$n.log" 2>&1 </dev/null &
    echo $! >"$RUN2/$n.pid"
  }
  waitfor2() { # name seconds cmd...
    local n=$1 secs=$2 s; s=$(now); shift 2
    local end=$(( $(date +%s) + secs ))
    while [ "$(date +%s)" -lt "$end" ]; do
      "$@" >/dev/null 2>&1 && { log "second $n ready after $(since "$s") s"; return 0; }
      # Looked at twice: a process caught between fork and exec shows no command line yet.
      alive2 "$n" || { sleep 0.5; alive2 "$n"; } || { tail -25 "$LOGS2/$n.log" >&2; die "second $n died (log: $LOGS2/$n.log)"; }
      sleep 0.2
    done
    tail -25 "$LOGS2/$n.log" >&2; die "second $n not ready after $secs s (log: $LOGS2/$n.log)"
  }

  start2 etcd etcd --name serin-kube-2 --data-dir "$RUN2/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD2_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD2_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD2_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD2_PEER_PORT" \
    --initial-cluster "serin-kube-2=http://127.0.0.1:$ETCD2_PEER_PORT" --quota-backend-bytes=1073741824
  waitfor2 etcd 30 curl -sf "http://127.0.0.1:$ETCD2_PORT/health"

  start2 apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD2_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API2_PORT" --insecure-port=0 \
    --cert-dir="$RUN2/apiserver-certs" \
    --tls-cert-file="$PKI2/apiserver.crt" --tls-private-key-file="$PKI2/apiserver.key" --client-ca-file="$PKI2/ca.crt" \
    --token-auth-file="$PKI2/tokens.csv" \
    --service-account-key-file="$PKI2/sa.pub" --service-account-signing-key-file="$PKI2/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --authorization-mode=RBAC --service-cluster-ip-range="$SERVICE2_CIDR" \
    --allow-privileged=true --profiling=false
  waitfor2 apiserver 90 curl -sf --cacert "$PKI2/ca.crt" "https://127.0.0.1:$API2_PORT/readyz"

  start2 cm "$BIN/kube-controller-manager" \
    --kubeconfig="$PKI2/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI2/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI2/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$CM2_PORT" --port=0 --cert-dir="$RUN2/cm-certs" \
    --leader-elect=false --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI2/sa.key" --root-ca-file="$PKI2/ca.crt" \
    --controllers='*,-csrsigning' --profiling=false
  start2 sched "$BIN/kube-scheduler" \
    --kubeconfig="$PKI2/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI2/scheduler.kubeconfig" --authorization-kubeconfig="$PKI2/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHED2_PORT" --port=0 --cert-dir="$RUN2/sched-certs" \
    --leader-elect=false --profiling=false
  waitfor2 cm 60 curl -sfk "https://127.0.0.1:$CM2_PORT/healthz"
  waitfor2 sched 60 curl -sfk "https://127.0.0.1:$SCHED2_PORT/healthz"
  log "second control plane up in $(since "$T0") s (https://127.0.0.1:$API2_PORT, no real node)"
  env2
}

down2() {
  [ "$(id -u)" = 0 ] || die "root needed"
  local n f pid
  for n in sched cm apiserver etcd; do
    f=$RUN2/$n.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if alive2 "$n"; then
      kill "$pid"
      for _ in $(seq 1 100); do alive2 "$n" || break; sleep 0.1; done
      alive2 "$n" && kill -9 "$pid"
      log "stopped the second $n ($pid)"
    fi
    rm -f "$f"
  done
  [ "${1:-}" = --wipe ] && { rm -rf "$RUN2"; log "removed $RUN2"; }
  return 0
}

status2() {
  local n up=0
  for n in etcd apiserver cm sched; do
    if alive2 "$n"; then printf 'second %-10s running  pid %s\n' "$n" "$(cat "$RUN2/$n.pid")"; up=$((up + 1)); else printf 'second %-10s stopped\n' "$n"; fi
  done
  [ "$up" -eq 4 ]
}

case ${1:-} in
  up) up2 ;;
  down) shift; down2 "$@" ;;
  env) env2 ;;
  status) status2 ;;
  *) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0" >&2; exit 2 ;;
esac
