#!/usr/bin/env bash
# The requests `serin run` (platform: kubernetes) sends the apiserver in
# steady state: CANARIES Canaries (default 10) initialised on the test cluster,
# then DURATION seconds (default 300) with nothing changing. Prints Serin's own
# count (serin_kubernetes_requests_total), the apiserver's count over the same
# window (apiserver_request_total, every client) and over a window of the
# same length without Serin, and requests per canary per analysis interval.
#   CANARIES=10 DURATION=300 INTERVAL=60 bash scripts/kube/bench-requests.sh [path/to/serin]
set -euo pipefail
cd "$(dirname "$0")/../.."
SERIN=${1:-.build/debug/serin}
N=${CANARIES:-10}
DURATION=${DURATION:-300}
INTERVAL=${INTERVAL:-60}
eval "$(bash scripts/kube/cluster.sh up)"
work=$(mktemp -d /tmp/serin-bench-kube-XXXXXX)
ns="serin-bench-$(date +%s)"
serin_pid=""
cleanup() {
  [ -n "$serin_pid" ] && kill "$serin_pid" 2>/dev/null && wait "$serin_pid" 2>/dev/null || true
  # Waited for, so that the deletion's requests do not land in the next run's baseline.
  kubectl delete namespace "$ns" --timeout=180s >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
kubectl create namespace "$ns" >/dev/null
image=${SERIN_KUBE_APP_IMAGE:-serin.local/kube-app:1}
git init -q -b main --bare "$work/remote.git"
git init -q -b main "$work/repo"
for i in $(seq 1 "$N"); do
  cat > "$work/repo/app-$i.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: { name: app-$i, namespace: $ns }
spec:
  replicas: 1
  selector: { matchLabels: { app: app-$i } }
  template:
    metadata: { labels: { app: app-$i } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - { name: app, image: $image, imagePullPolicy: Never, ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: /readyz, port: 8080 }, periodSeconds: 5 } }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: app-$i, namespace: $ns }
spec:
  provider: kubernetes
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: app-$i }
  service: { port: 80, targetPort: 8080 }
  analysis: { interval: ${INTERVAL}s, threshold: 2, iterations: 2 }
YAML
done
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=bench -c user.email=bench@example.com commit -qm "$N canaries"
git -C "$work/repo" push -q "$work/remote.git" HEAD:refs/heads/main
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/serin.yaml" <<YAML
stateDir: $work/state
platform: kubernetes
kubernetes: { kubeconfig: $KUBECONFIG, namespace: $ns }
prometheus: { address: "http://127.0.0.1:1" }
api: { listen: "127.0.0.1:$port" }
sources:
  - { name: bench, url: "file://$work/remote.git", ref: { branch: main }, interval: ${INTERVAL}s }
YAML

apiserver_total() {
  kubectl get --raw /metrics | awk '/^apiserver_request_total\{/ { sum += $NF } END { printf "%d\n", sum }'
}
serin_total() {
  curl -s "http://127.0.0.1:$port/metrics" | awk '/^serin_kubernetes_requests_total/ { sum += $NF } END { printf "%d\n", sum }'
}
serin_by_verb() {
  curl -s "http://127.0.0.1:$port/metrics" | grep '^serin_kubernetes_requests_total' | sed 's/.*verb="\([a-z]*\)".* \([0-9.e+]*\)$/\1 \2/' | sort
}

echo "== without Serin: ${DURATION}s of the cluster's own traffic"
a0=$(apiserver_total); sleep "$DURATION"; a1=$(apiserver_total)
baseline=$((a1 - a0))

"$SERIN" run --config "$work/serin.yaml" > "$work/serin.log" 2>&1 &
serin_pid=$!
echo "== serin run (pid $serin_pid): waiting for $N Canaries to be Initialized"
for _ in $(seq 1 300); do
  ready=$(kubectl get canaries -n "$ns" -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' 2>/dev/null | grep -c '^Initialized$' || true)
  [ "$ready" = "$N" ] && break
  sleep 1
done
[ "$ready" = "$N" ] || { echo "only $ready of $N Initialized"; tail -20 "$work/serin.log"; exit 1; }
sleep 10
echo "== steady: ${DURATION}s"
s0=$(serin_total); v0=$(serin_by_verb); a0=$(apiserver_total); sleep "$DURATION"; s1=$(serin_total); v1=$(serin_by_verb); a1=$(apiserver_total)
echo "Serin's requests by verb, before and after the window:"; paste <(echo "$v0") <(echo "$v1")
with=$((a1 - a0)); serin=$((s1 - s0))
python3 - "$N" "$DURATION" "$INTERVAL" "$serin" "$with" "$baseline" <<'PY'
import sys
n, duration, interval, serin, withs, baseline = map(float, sys.argv[1:])
intervals = duration / interval
print(f"canaries {int(n)}, window {int(duration)} s, analysis interval {int(interval)} s ({intervals:g} intervals)")
print(f"Serin's requests (serin_kubernetes_requests_total): {int(serin)} -> {serin / n / intervals:.3f} per canary per interval")
print(f"apiserver_request_total, every client: {int(withs)} with Serin, {int(baseline)} without -> "
      f"{(withs - baseline) / n / intervals:.3f} per canary per interval attributable to Serin")
PY
