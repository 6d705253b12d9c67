#!/usr/bin/env bash
# The Kubernetes and end-to-end suites with every core kept busy by a CPU
# hog (stress-ng, one worker per core at normal priority), as on a machine
# shared with builds and other tests: what `make test` must survive. The
# tests are built beforehand (`make test-stress` does it) and the test
# cluster is up; the hog is started here and stopped by its pid, whatever
# happens.
#   bash scripts/test-stress.sh [swift test --filter pattern]
set -euo pipefail
cd "$(dirname "$0")/.."
filter=${1:-"SerinKubernetesTests|SerinCLITests"}
cores=$(nproc)
swift=${SWIFT:-swift}

eval "$(bash scripts/kube/cluster.sh up)"
# The multi-cluster tests' second control plane (WaveTests).
eval "$(bash scripts/kube/cluster.sh second up)"

# A safety net of its own: the hog ends after 3 hours even if this script is killed.
stress-ng --cpu "$cores" --cpu-method matrixprod --timeout 3h --quiet &
hog=$!
trap 'kill -TERM "$hog" 2>/dev/null || true; wait "$hog" 2>/dev/null || true' EXIT
# Its workers running, one per core, before any test starts.
for _ in $(seq 100); do
  [ "$(pgrep -c -P "$hog" || true)" -ge "$cores" ] && break
  kill -0 "$hog" 2>/dev/null || { echo "stress-ng did not start"; exit 1; }
  sleep 0.1
done
echo "== CPU hog: stress-ng pid $hog, $cores workers; swift test --filter '$filter'"

started=$(date +%s)
set +e
$swift test --skip-build --filter "$filter" 2>&1 | tee .build-test-stress.log
status=${PIPESTATUS[0]}
set -e
elapsed=$(( $(date +%s) - started ))

# Swift Testing's last line: "✔ Test run with N tests in M suites passed after S seconds."
# or "✘ Test run with N tests in M suites failed after S seconds with K issues."
summary=$(grep -aE "Test run with [0-9]+ tests" .build-test-stress.log | tail -n 1 || true)
echo "== under a CPU hog on $cores cores: ${summary:-no summary} (wall ${elapsed}s, exit $status)"
exit "$status"
