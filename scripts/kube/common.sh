# Settings shared by scripts/kube/*.sh. Source it; it defines variables and small helpers only.
# Everything can be overridden from the environment.

KUBE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$KUBE_DIR/../.." && pwd)

# Debian bookworm's kubernetes source package carries Kubernetes 1.20.2 (with vendor/).
K8S_DEB_VERSION=1.20.5+really1.20.2
K8S_VERSION=v1.20.2
# Bump RECIPE when build.sh changes what it produces: the cache key changes, so the next build starts afresh.
RECIPE=r1
KEY=k8s-$K8S_VERSION-$RECIPE

CACHE=${SERIN_KUBE_CACHE:-/var/cache/serin-kube}
OUT=$CACHE/$KEY                 # finished build (appears by an atomic rename of $OUT.partial)
WORK=$CACHE/work                # downloads, source tree, GOPATH, Go build cache
BIN=$OUT/bin
KUBECTL=$OUT/bin/kubectl
APP_SRC=$REPO_DIR/Tests/KubeApp
APP_IMAGE=${SERIN_KUBE_APP_IMAGE:-serin.local/kube-app:1}
PAUSE_IMAGE=k8s.gcr.io/pause:3.2

RUN=${SERIN_KUBE_RUN:-/tmp/serin-kube}
PKI=$RUN/pki
LOGS=$RUN/logs
CD=$RUN/containerd
CD_SOCK=$CD/containerd.sock

# Fixed ports below 10000: Serin's Swift tests take 10000-19999, workloads 20000-32000,
# the kernel's ephemeral range is 32768-60999. up.sh refuses to start if one is taken by someone else.
ETCD_PORT=${SERIN_KUBE_ETCD_PORT:-2379}
ETCD_PEER_PORT=${SERIN_KUBE_ETCD_PEER_PORT:-2380}
# up falls back to 7379/7380 when 2379/2380 are someone else's, and notes its choice here for this run dir.
if [ -z "${SERIN_KUBE_ETCD_PORT:-}" ] && [ -f "$RUN/etcd-ports.env" ]; then . "$RUN/etcd-ports.env"; fi
API_PORT=${SERIN_KUBE_API_PORT:-6443}
CM_PORT=${SERIN_KUBE_CM_PORT:-7257}
SCHED_PORT=${SERIN_KUBE_SCHED_PORT:-7259}
KUBELET_PORT=${SERIN_KUBE_KUBELET_PORT:-9250}
KUBELET_HEALTHZ_PORT=${SERIN_KUBE_KUBELET_HEALTHZ_PORT:-9248}
CRI_STREAM_PORT=${SERIN_KUBE_CRI_STREAM_PORT:-9251}

# Pod network: one CNI bridge; the host is its gateway. Pods reach the apiserver at $BRIDGE_IP:$API_PORT.
BRIDGE=serin0
POD_CIDR=10.244.0.0/24
BRIDGE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/16
SERVICE_IP=10.96.0.1            # the `kubernetes` Service; up.sh DNATs it (port 443) from pods to $BRIDGE_IP:$API_PORT
# 1.20's apiserver resolves a node name through DNS; "localhost" resolves to 127.0.0.1 where the kubelet listens.
NODE_NAME=localhost
IPT_CHAIN=SERIN-KUBE            # our own iptables chains: filter SERIN-KUBE (INPUT), nat SERIN-KUBE (PREROUTING)

export KUBECONFIG=$PKI/admin.kubeconfig

log() { echo "[kube $(date +%H:%M:%S)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }
# alive NAME: the pid in $RUN/NAME.pid runs, and is still ours (its command line names our run dir or
# binaries: a pid reused by someone else's process after a reboot or crash is never taken for ours).
alive() {
  local f=$RUN/$1.pid pid
  [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$RUN/" -e "$BIN/"
}

RUNTIME_PACKAGES="etcd-server containerd runc containernetworking-plugins iptables openssl curl"
APT_PACKAGES="golang-go etcd-server containerd runc containernetworking-plugins iptables busybox-static gcc libc6-dev openssl curl"
# Installs only what is missing; `apt-get update` once, only if something is missing.
ensure_apt() {
  local p missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "root needed to install:$missing"
  log "apt: installing$missing"
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || die "apt-get install$missing failed"
}

# ---- PKI, shared by up.sh and second.sh; each runs in its cluster's PKI directory and skips what exists.
pki_ca() { # common-name
  [ -f ca.crt ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=$1" 2>/dev/null
}
pki_cert() { # name subject ext
  [ -f "$1.crt" ] && return 0
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf "%b" "$3" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 3650 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
pki_service_account_key() {
  [ -f sa.key ] || { openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null; }
}
pki_tokens() { # more users, each "name,uid[,groups]": tokens for admin, the controller-manager, the scheduler and them
  [ -f tokens.csv ] && return 0
  local user
  for user in 'admin,admin-uid,"system:masters"' system:kube-controller-manager,cm-uid system:kube-scheduler,sched-uid "$@"; do
    echo "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'),$user"
  done >tokens.csv.tmp
  mv tokens.csv.tmp tokens.csv
}
pki_kubeconfig() { # file user cluster-name server-port
  local tok; tok=$(awk -F, -v u="$2" '$2==u{print $1}' tokens.csv)
  cat >"$1.kubeconfig" <<K
apiVersion: v1
kind: Config
clusters:
- name: $3
  cluster: {server: "https://127.0.0.1:$4", certificate-authority: "$PWD/ca.crt"}
users:
- name: "$2"
  user: {token: "$tok"}
contexts:
- name: $3
  context: {cluster: $3, user: "$2"}
current-context: $3
K
}
