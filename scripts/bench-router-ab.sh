#!/usr/bin/env bash
# A/B of two `serin` builds as routers: the same job as bench-router.sh (two
# nginx backends, 90/10, keep-alive upstreams, one event loop), both routers
# up at once, wrk rounds alternated A B / B A so that drift lands on both.
#
#   scripts/bench-router-ab.sh SERIN_A SERIN_B [ROUNDS] [SECONDS]
#
# Prints one line per run ("round N A|B req/s p99") and the medians. Needs
# nginx and wrk (make bench-router installs them). Everything listens on
# 127.0.0.1 and is stopped by pid when the script exits.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 1; }
A=$1 B=$2 ROUNDS=${3:-6} SECONDS_EACH=${4:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/router-bench-routes.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-router-ab.XXXXXX")
read -r P_A P_B P_RA P_RB P_AA P_AB < <(python3 "$HERE/bench-router-report.py" ports 6)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user $(id -un) $(id -gn);"
cat > "$TMP/backends.conf" <<C
$NGINX_USER
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx.err warn;
events { worker_connections 4096; }
http {
  access_log off; keepalive_requests 10000000;
  client_body_temp_path $TMP/cb; proxy_temp_path $TMP/pt; fastcgi_temp_path $TMP/ft; uwsgi_temp_path $TMP/ut; scgi_temp_path $TMP/st;
  server { listen 127.0.0.1:$P_A; location / { return 200 "a\n"; } }
  server { listen 127.0.0.1:$P_B; location / { return 200 "b\n"; } }
}
C
nginx -c "$TMP/backends.conf" -g 'daemon off;' & PIDS+=($!)
for x in A B; do
  if [ $x = A ]; then port=$P_RA admin=$P_AA binary=$A; else port=$P_RB admin=$P_AB binary=$B; fi
  write_bench_routes "$TMP/$x.yaml" "$admin" "$port" "$P_A" "$P_B"
  "$binary" router --config "$TMP/$x.yaml" --state-dir "$TMP/state-$x" > "$TMP/$x.log" 2>&1 & PIDS+=($!)
done
for port in $P_RA $P_RB; do
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.1; done
done

declare -A RESULTS
for r in $(seq 1 "$ROUNDS"); do
  order="A B"; [ $((r % 2)) = 0 ] && order="B A"
  for x in $order; do
    port=$P_RA; [ $x = B ] && port=$P_RB
    read -r rps p99 < <(wrk -t1 -c32 -d"${SECONDS_EACH}s" --latency "http://127.0.0.1:$port/" |
      awk '/Requests\/sec/ {r=$2} / 99%/ {p=$2} END {print r, p}')
    echo "round $r $x $rps $p99"
    RESULTS[$x]+="$rps "
  done
done
for x in A B; do
  printf '%s median req/s: %s\n' "$x" "$(echo ${RESULTS[$x]} | tr ' ' '\n' | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}')"
done
