#!/bin/bash
# cluster.sh up: start etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd and kubelet
# (node "localhost"), import the images, wait for /readyz and node Ready. Progress goes to stderr; stdout
# carries only the `export ...` lines (cluster.sh env), so `eval "$(scripts/kube/cluster.sh up)"` works.
# Components already running (pid file + live pid) are left alone, so `up` twice is harmless.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ "$(id -u)" = 0 ] || die "root needed (kubelet, containerd, iptables)"

T0=$(now)
"$KUBE_DIR/build.sh"                               # a no-op once cached
ensure_apt $RUNTIME_PACKAGES                       # when the cache came from elsewhere
mkdir -p "$RUN" "$LOGS" "$RUN/bin"
ln -sfn "$KUBECTL" "$RUN/bin/kubectl"
APP_TAR=$CACHE/app/kube-app.tar

# ---- ports: ours, or free
port_owner() { ss -Hltnp "sport = :$1" 2>/dev/null | head -1; }
check_port() { # name port
  alive "$1" && return 0
  local o; o=$(port_owner "$2")
  [ -z "$o" ] || die "port $2 (for $1) is in use: $o -- set SERIN_KUBE_*_PORT (see scripts/kube/common.sh)"
}
if [ ! -f "$RUN/etcd-ports.env" ] && [ -z "${SERIN_KUBE_ETCD_PORT:-}" ] && ! alive etcd \
   && { [ -n "$(port_owner "$ETCD_PORT")" ] || [ -n "$(port_owner "$ETCD_PEER_PORT")" ]; }; then
  ETCD_PORT=7379 ETCD_PEER_PORT=7380
  log "2379/2380 are in use on this machine: etcd takes $ETCD_PORT/$ETCD_PEER_PORT"
fi
echo "ETCD_PORT=$ETCD_PORT ETCD_PEER_PORT=$ETCD_PEER_PORT" >"$RUN/etcd-ports.env"
check_port etcd "$ETCD_PORT"; check_port etcd "$ETCD_PEER_PORT"; check_port apiserver "$API_PORT"
check_port cm "$CM_PORT"; check_port sched "$SCHED_PORT"; check_port kubelet "$KUBELET_PORT"
check_port kubelet "$KUBELET_HEALTHZ_PORT"; check_port containerd "$CRI_STREAM_PORT"

# ---- PKI: a CA, the apiserver's serving cert, client credentials, the service-account key pair
pki() {
  mkdir -p "$PKI"; cd "$PKI"
  pki_ca serin-kube-ca
  pki_cert apiserver "/CN=kube-apiserver" "subjectAltName=IP:127.0.0.1,IP:$BRIDGE_IP,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n"
  pki_cert kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth\n"
  pki_cert admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth\n"
  pki_service_account_key
  pki_tokens "system:node:$NODE_NAME,node-uid,\"system:nodes\""
  local k
  for k in admin:admin controller-manager:system:kube-controller-manager scheduler:system:kube-scheduler kubelet:system:node:$NODE_NAME; do
    pki_kubeconfig "${k%%:*}" "${k#*:}" serin-kube "$API_PORT"
  done
  chmod 600 ./*.key tokens.csv ./*.kubeconfig
  cd - >/dev/null
}
pki

start() { # name cmd...
  local n=$1; shift
  alive "$n" && { log "$n already running (pid $(cat "$RUN/$n.pid"))"; return 0; }
  setsid "$@" >>"$LOGS/$n.log" 2>&1 </dev/null &
  echo $! >"$RUN/$n.pid"
}
waitfor() { # name seconds cmd...
  local n=$1 secs=$2 s; s=$(now); shift 2
  local end=$(( $(date +%s) + secs ))
  while [ "$(date +%s)" -lt "$end" ]; do
    "$@" >/dev/null 2>&1 && { log "$n ready after $(since "$s") s"; return 0; }
    alive "$n" || { tail -25 "$LOGS/$n.log" >&2; die "$n died (log: $LOGS/$n.log)"; }
    sleep 0.2
  done
  tail -25 "$LOGS/$n.log" >&2; die "$n not ready after $secs s (log: $LOGS/$n.log)"
}

# ---- paths outside $RUN that kubelet 1.20 / containerd 1.6 hard-code: note what existed before, so that
# down removes only what we created (also the KUBE-* iptables chains the kubelet makes).
if [ ! -f "$RUN/outside.before" ]; then
  ls -d /var/run/netns/* /var/log/pods/* /var/log/containers/* /var/lib/cni/results/* /run/containerd/s/* /run/containerd/fifo/* \
    2>/dev/null >"$RUN/outside.before.tmp" || true
  for d in /var/lib/kubelet /var/log/pods /var/log/containers /var/lib/cni /run/containerd /var/run/netns; do
    [ -e "$d" ] || echo "$d"; done >"$RUN/outside.created"
  for ipt in iptables ip6tables; do for t in filter nat mangle; do
    $ipt -t $t -S 2>/dev/null | awk -v i=$ipt -v t=$t '/^-N KUBE-/{print i, t, $2}'; done; done >"$RUN/iptables.before"
  mv "$RUN/outside.before.tmp" "$RUN/outside.before"
fi

# ---- network: the apiserver listens on all addresses (so that pods reach it on the bridge's gateway
# $BRIDGE_IP); our own chain lets only loopback and the pod bridge in. Pods' in-cluster clients see
# KUBERNETES_SERVICE_HOST=$SERVICE_IP:443 (no kube-proxy here): a DNAT rule sends that to $BRIDGE_IP:$API_PORT.
for ipt in iptables ip6tables; do
  $ipt -N $IPT_CHAIN 2>/dev/null || $ipt -F $IPT_CHAIN
  $ipt -A $IPT_CHAIN -i lo -j RETURN
  $ipt -A $IPT_CHAIN -i $BRIDGE -j RETURN
  $ipt -A $IPT_CHAIN -j DROP
  $ipt -C INPUT -p tcp --dport "$API_PORT" -j $IPT_CHAIN 2>/dev/null || $ipt -I INPUT -p tcp --dport "$API_PORT" -j $IPT_CHAIN
done
iptables -t nat -N $IPT_CHAIN 2>/dev/null || iptables -t nat -F $IPT_CHAIN
iptables -t nat -A $IPT_CHAIN -s "$POD_CIDR" -d "$SERVICE_IP" -p tcp --dport 443 -j DNAT --to-destination "$BRIDGE_IP:$API_PORT"
iptables -t nat -C PREROUTING -j $IPT_CHAIN 2>/dev/null || iptables -t nat -I PREROUTING -j $IPT_CHAIN

# ---- control plane
# Watches are served from the apiserver's watch cache, which etcd compaction does not touch; PodTemplates
# bypass it (watch-cache size 0), so that a test can force a watch's 410 Gone by compacting etcd (README).
t=$(now)
start etcd etcd --name serin-kube --data-dir "$RUN/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "serin-kube=http://127.0.0.1:$ETCD_PEER_PORT" --quota-backend-bytes=2147483648
waitfor etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

start apiserver "$BIN/kube-apiserver" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=0.0.0.0 --advertise-address="$BRIDGE_IP" --secure-port="$API_PORT" --insecure-port=0 \
  --cert-dir="$RUN/apiserver-certs" \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
  --token-auth-file="$PKI/tokens.csv" \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --authorization-mode=Node,RBAC \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --kubelet-client-certificate="$PKI/kubelet-client.crt" --kubelet-client-key="$PKI/kubelet-client.key" \
  --kubelet-preferred-address-types=Hostname,InternalIP \
  --etcd-compaction-interval="${SERIN_KUBE_ETCD_COMPACTION_INTERVAL:-5m}" \
  --watch-cache-sizes="${SERIN_KUBE_WATCH_CACHE_SIZES:-podtemplates#0}" \
  --allow-privileged=true --profiling=false
waitfor apiserver 90 curl -sf --cacert "$PKI/ca.crt" "https://127.0.0.1:$API_PORT/readyz"

start cm "$BIN/kube-controller-manager" \
  --kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$CM_PORT" --port=0 --cert-dir="$RUN/cm-certs" \
  --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
  --controllers='*,-csrsigning' --profiling=false
start sched "$BIN/kube-scheduler" \
  --kubeconfig="$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig="$PKI/scheduler.kubeconfig" --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --port=0 --cert-dir="$RUN/sched-certs" \
  --leader-elect=false --profiling=false
waitfor cm 60 curl -sfk "https://127.0.0.1:$CM_PORT/healthz"
waitfor sched 60 curl -sfk "https://127.0.0.1:$SCHED_PORT/healthz"
log "control plane up in $(since "$t") s"

# ---- node: containerd (private root/state/socket under $RUN) + CNI bridge + kubelet
mkdir -p "$CD" "$RUN/cni/net.d" "$RUN/kubelet"
cat >"$CD/config.toml" <<T
version = 2
root = "$CD/root"
state = "$CD/state"
[grpc]
  address = "$CD_SOCK"
[ttrpc]
  address = "$CD_SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CD/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "$CRI_STREAM_PORT"
  # This VM's root lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (the pause sandbox asks -998):
  # "can't get final child's PID". Clamp to containerd's own value instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$CD/runc"
        BinaryName = "/usr/bin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN/cni/net.d"
T
cat >"$RUN/cni/net.d/10-serin.conflist" <<T
{"cniVersion":"0.4.0","name":"serin","plugins":[
 {"type":"bridge","bridge":"$BRIDGE","isGateway":true,"ipMasq":false,
  "ipam":{"type":"host-local","ranges":[[{"subnet":"$POD_CIDR","gateway":"$BRIDGE_IP"}]],
          "routes":[{"dst":"0.0.0.0/0"}],"dataDir":"$RUN/cni/ipam"}},
 {"type":"loopback"}]}
T
t=$(now)
start containerd containerd --config "$CD/config.toml"
waitfor containerd 30 ctr -a "$CD_SOCK" version
ctr_() { ctr -a "$CD_SOCK" -n k8s.io "$@"; }
for tar in "$OUT/images/pause.tar" "$APP_TAR"; do ctr_ images import "$tar" >/dev/null; done
log "images imported: $(ctr_ images ls -q | grep -v '^sha256:' | paste -sd' ')"

cat >"$RUN/kubelet/config.yaml" <<T
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$PKI/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failSwapOn: false
# root here lacks CAP_SYS_RESOURCE: the kubelet's default -999 cannot be set
oomScoreAdj: 0
makeIPTablesUtilChains: false
clusterDomain: cluster.local
resolvConf: /etc/resolv.conf
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
maxPods: 110
T
# A restarted node still has its old Ready condition: wait for a heartbeat from this kubelet.
if alive kubelet; then KUBELET_SINCE=1970-01-01T00:00:00Z; else KUBELET_SINCE=$(date -u +%Y-%m-%dT%H:%M:%SZ); fi
start kubelet "$BIN/kubelet" --config="$RUN/kubelet/config.yaml" --kubeconfig="$PKI/kubelet.kubeconfig" \
  --container-runtime=remote --container-runtime-endpoint="unix://$CD_SOCK" --runtime-request-timeout=2m \
  --root-dir="$RUN/kubelet/root" --cert-dir="$RUN/kubelet/pki" --volume-plugin-dir="$RUN/kubelet/plugins" \
  --hostname-override="$NODE_NAME" --pod-infra-container-image="$PAUSE_IMAGE" --v=1
node_ready() {
  local st hb
  read -r st hb < <("$KUBECTL" get node "$NODE_NAME" -o jsonpath='{range .status.conditions[?(@.type=="Ready")]}{.status} {.lastHeartbeatTime}{end}' 2>/dev/null)
  [ "$st" = True ] && [[ ! "$hb" < "$KUBELET_SINCE" ]]
}
waitfor kubelet 120 node_ready
log "node $NODE_NAME Ready $(since "$t") s after containerd started; up took $(since "$T0") s"
"$KUBE_DIR/cluster.sh" env
