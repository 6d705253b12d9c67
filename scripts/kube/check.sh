#!/bin/bash
# cluster.sh check: end-to-end checks of a running cluster, in a namespace of its own that it deletes at the
# end: a Deployment of the test app (with a ServiceAccount) Running and Ready on the node; HTTP to the pod IP
# from the host; degrading the running pod with POST /config; the app's metrics; in-cluster auth from the pod
# to the apiserver at 10.244.0.1:6443 and at the `kubernetes` Service's 10.96.0.1:443; the apiserver's
# /metrics; 410 Gone after an etcd compaction (LIST and PodTemplate WATCH). Prints PASS/FAIL lines.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
eval "$("$KUBE_DIR/cluster.sh" env)" || exit 1
K=$SERIN_KUBE_KUBECTL
NS=serin-kube-check
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
api() { curl -s -H "Authorization: Bearer $SERIN_KUBE_TOKEN" --cacert "$SERIN_KUBE_CA" "$SERIN_KUBE_SERVER$1" "${@:2}"; }

$K delete namespace $NS --wait=true >/dev/null 2>&1
t=$(now)
cat <<Y | $K apply -f - >/dev/null || { echo "FAIL: apply"; exit 1; }
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: $NS}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-view, namespace: $NS}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: app, namespace: $NS}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: $NS}
spec:
  replicas: 2
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      serviceAccountName: app
      containers:
      - name: app
        image: $SERIN_KUBE_APP_IMAGE
        imagePullPolicy: Never
        env: [{name: APP_VERSION, value: check-1}]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1}
        resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 64Mi}}
Y
if $K -n $NS rollout status deploy/app --timeout=90s >/dev/null; then
  pass "2 pods of $SERIN_KUBE_APP_IMAGE Running and Ready $(since "$t") s after the Deployment was created"
else
  fail "rollout"; $K -n $NS get pods -o wide
fi
POD=$($K -n $NS get pods -l app=app -o jsonpath='{.items[0].metadata.name}')
IP=$($K -n $NS get pods -l app=app -o jsonpath='{.items[0].status.podIP}')

body=$(curl -s -m 5 "http://$IP:8080/")
[ "$body" = check-1 ] && pass "GET http://$IP:8080/ from the host: $body" || fail "GET pod IP: '$body'"
curl -s -m 5 -X POST "http://$IP:8080/config?error_rate=1&latency_ms=30" >/dev/null
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$IP:8080/")
[ "$code" = 500 ] && pass "POST /config?error_rate=1 degrades the running pod: $code" || fail "degrade: $code"
curl -s -m 5 -X POST "http://$IP:8080/config?error_rate=0&latency_ms=0" >/dev/null
m=$(curl -s -m 5 "http://$IP:8080/metrics")
if grep -q '^http_requests_total{status="500"} 1$' <<<"$m" && grep -q '^http_request_duration_seconds_count{method="GET",path="/",status="500"} 1$' <<<"$m"; then
  pass "app /metrics: http_requests_total and http_request_duration_seconds"
else fail "app /metrics"; fi

for url in "$SERIN_KUBE_IN_CLUSTER_SERVER" 'https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT'; do
  out=$($K -n $NS exec "$POD" -- sh -c "T=\$(cat /var/run/secrets/kubernetes.io/serviceaccount/token); \
    timeout 10 wget -q -O- --no-check-certificate --header \"Authorization: Bearer \$T\" $url/api/v1/namespaces/$NS/pods" 2>&1)
  grep -q "\"name\": \"$POD\"" <<<"$out" && pass "in-cluster: the pod's ServiceAccount token lists pods at $url" \
    || fail "in-cluster at $url: $(head -c 200 <<<"$out")"
done

metrics=$(api /metrics)
grep -q '^apiserver_request_total{' <<<"$metrics" && pass "apiserver /metrics has apiserver_request_total" || fail "apiserver /metrics"

# 410 Gone: a PodTemplate (its watch cache is off) changed twice, then etcd compacted at its current revision.
$K -n $NS create -f - >/dev/null <<Y
apiVersion: v1
kind: PodTemplate
metadata: {name: gone}
template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}
Y
$K -n $NS create configmap a >/dev/null; $K -n $NS create configmap b >/dev/null
old=$($K -n $NS get podtemplate gone -o jsonpath='{.metadata.resourceVersion}')
cont=$(api "/api/v1/namespaces/$NS/configmaps?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"].get("continue",""))')
$K -n $NS label podtemplate gone x=1 >/dev/null; $K -n $NS label podtemplate gone y=1 >/dev/null
rev=$(curl -s -X POST "$SERIN_KUBE_ETCD/v3/maintenance/status" -d '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])')
curl -s -X POST "$SERIN_KUBE_ETCD/v3/kv/compaction" -d "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null
w=$(api "/api/v1/namespaces/$NS/podtemplates?watch=1&resourceVersion=$old" -m 3)
grep -q '"type":"ERROR".*"code":410' <<<"$w" && pass "watch podtemplates from rv $old after compacting etcd at $rev: ERROR event 410" \
  || fail "watch 410: $(head -c 200 <<<"$w")"
c=$(api "/api/v1/namespaces/$NS/podtemplates?resourceVersion=$old&resourceVersionMatch=Exact" -o /dev/null -w '%{http_code}')
[ "$c" = 410 ] && pass "list podtemplates at rv $old (Exact) after compaction: HTTP 410" || fail "list Exact: $c"
if [ -n "$cont" ]; then
  c=$(api "/api/v1/namespaces/$NS/configmaps?limit=1&continue=$cont" -o /dev/null -w '%{http_code}')
  [ "$c" = 410 ] && pass "list with a continue token from before the compaction: HTTP 410" || fail "continue: $c"
fi

$K delete namespace $NS --wait=false >/dev/null
[ $fails = 0 ] && echo "all checks passed" || echo "$fails check(s) failed"
exit $fails
