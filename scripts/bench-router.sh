#!/usr/bin/env bash
# Side-by-side benchmark of `serin router` against nginx and HAProxy, all
# doing the same job: one listener splitting traffic 90/10 between two local
# backends over keep-alive upstream connections.
#
#   scripts/bench-router.sh [--serin PATH] [--rounds N] [--duration SECONDS]
#                           [--connections C] [--keep-tmp]
#
# Targets: "direct" (backend A, no proxy: the ceiling), "nginx", "haproxy" and,
# with --serin, "serin". Each round runs `wrk -t1 -cC -dDs --latency` once per
# target, in an order rotated every round, so that drift over time (thermal,
# other load) does not always land on the same target.
#
# Output: progress on stderr; on stdout a table and then, as the very last
# line, one JSON object (see scripts/bench-router-report.py for its keys).
# Exit status: 0 when everything ran (whatever the numbers), 1 on a setup or
# tool failure, 3 when a target's server died or never came up (the others
# are still measured and reported).
#
# Missing tools (nginx, haproxy, wrk) are installed from Debian packages.
# Every server runs in the foreground as a child of this script, on
# 127.0.0.1 only, and is stopped by its pid when the script exits.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

SERIN="" ROUNDS=5 DURATION=10 CONNECTIONS=32 KEEP_TMP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --serin) SERIN="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --connections) CONNECTIONS="$2"; shift 2 ;;
    --keep-tmp) KEEP_TMP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 1 ;;
  esac
done
for v in ROUNDS DURATION CONNECTIONS; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || { echo "--${v,,} must be a positive integer" >&2; exit 1; }
done

HERE="$(cd "$(dirname "$0")" && pwd)"
HELPER="$HERE/bench-router-report.py"
log() { echo "bench-router: $*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup --
PIDS=()             # every server we started (nginx masters, haproxy, serin)
CREATED_POLICY=""   # a policy-rc.d we put in place ourselves, to remove again
TMP=""

stop_pid() {  # TERM, wait up to 5 s, then KILL (children too, for nginx)
  local pid=$1 kids i
  kill -0 "$pid" 2>/dev/null || return 0
  kids=$(pgrep -P "$pid" || true)
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "pid $pid ignored SIGTERM; killing it"
    # shellcheck disable=SC2086
    kill -KILL "$pid" $kids 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=()
}

cleanup() {
  stop_all
  [ -n "$CREATED_POLICY" ] && rm -f "$CREATED_POLICY"
  if [ -n "$TMP" ] && [ -d "$TMP" ]; then
    if [ "$KEEP_TMP" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM   # so that the EXIT trap runs on ^C too

# --------------------------------------------------------------- install --
# Debian's package is "nginx" (on bookworm "nginx-light" is only nginx plus
# the echo module). Installing must not leave the system services running:
# policy-rc.d exiting 101 makes invoke-rc.d skip starting them in postinst.
install_missing() {
  local pkgs=() p
  command -v nginx >/dev/null || pkgs+=(nginx)
  command -v haproxy >/dev/null || pkgs+=(haproxy)
  command -v wrk >/dev/null || pkgs+=(wrk)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing ${pkgs[*]}; run as root or install them"
  command -v apt-get >/dev/null || die "missing ${pkgs[*]} and no apt-get"
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` only when a package has no install candidate yet.
  for p in "${pkgs[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
      log "apt-get update"
      apt-get update -qq >&2 || die "apt-get update failed"
      break
    fi
  done
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    CREATED_POLICY=/usr/sbin/policy-rc.d
  fi
  local before_nginx before_haproxy
  before_nginx=$(running_from_pidfile /run/nginx.pid)
  before_haproxy=$(running_from_pidfile /run/haproxy.pid)
  log "apt-get install ${pkgs[*]}"
  apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >&2 \
    || die "apt-get install ${pkgs[*]} failed"
  [ -n "$CREATED_POLICY" ] && rm -f "$CREATED_POLICY" && CREATED_POLICY=""
  # Belt and braces: stop a system service only if this install started it.
  stop_if_new nginx "$before_nginx" /run/nginx.pid
  stop_if_new haproxy "$before_haproxy" /run/haproxy.pid
  # The postinst also enables the services at boot (systemd and sysv links);
  # undo that for the packages installed here, so a reboot starts nothing.
  for p in "${pkgs[@]}"; do
    [ "$p" = wrk ] && continue
    # systemctl edits the links without a running systemd, and calls update-rc.d.
    if command -v systemctl >/dev/null; then systemctl disable "$p.service" >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null; then update-rc.d "$p" disable >/dev/null 2>&1 || true; fi
  done
  for p in nginx haproxy wrk; do command -v "$p" >/dev/null || die "$p still missing after install"; done
}

running_from_pidfile() {  # prints the pid in FILE if that process is alive
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; fi
}

stop_if_new() {  # NAME PID_BEFORE PIDFILE
  local now
  now=$(running_from_pidfile "$3")
  [ -n "$now" ] && [ "$now" != "$2" ] || return 0
  log "the $1 package started a system $1 (pid $now); stopping it"
  service "$1" stop >/dev/null 2>&1 || kill -TERM "$now" 2>/dev/null || true
}

install_missing
command -v python3 >/dev/null || die "python3 is needed"
command -v curl >/dev/null || die "curl is needed"

# ----------------------------------------------------------------- serin --
SERIN_NOTE=""
if [ -n "$SERIN" ]; then
  [ -x "$SERIN" ] && [ -f "$SERIN" ] || die "--serin $SERIN is not an executable file"
  SERIN=$(readlink -f "$SERIN")   # absolute: the servers run from a temp dir
  # Until the router lands, `serin router --help` prints the top-level help
  # (exit 0), so look for the subcommand's own usage line instead.
  if ! "$SERIN" router --help 2>&1 | grep -qiE '^usage:.*\brouter\b'; then
    SERIN_NOTE="'$SERIN router' does not exist in this build; serin skipped"
    log "$SERIN_NOTE"
    SERIN=""
  fi
fi

# ---------------------------------------------------------------- set-up --
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-router.XXXXXX")
cd "$TMP"
read -r P_A P_B P_NGINX P_HAPROXY P_SERIN P_ADMIN < <(python3 "$HELPER" ports 6)

# Run as the current user: as root, nginx would otherwise switch its workers
# to "nobody"; as non-root the directive would only draw a warning.
NGINX_USER=""
[ "$(id -u)" = 0 ] && NGINX_USER="user $(id -un) $(id -gn);"

nginx_conf() {  # NAME HTTP_BLOCK_BODY: a self-contained nginx.conf in $TMP
  cat > "$TMP/$1.conf" <<EOF
$NGINX_USER
worker_processes 1;
pid $TMP/$1.pid;
error_log $TMP/$1.error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  # Keep every temp path inside $TMP (Debian's defaults are under /var/lib).
  client_body_temp_path $TMP/$1.body;
  proxy_temp_path $TMP/$1.proxy;
  fastcgi_temp_path $TMP/$1.fastcgi;
  uwsgi_temp_path $TMP/$1.uwsgi;
  scgi_temp_path $TMP/$1.scgi;
$2
}
EOF
}

# Both backends in one nginx (one worker). Distinct one-byte bodies let the
# split check tell them apart; "a\n" and "b\n" have the same length.
nginx_conf backends "
  server { listen 127.0.0.1:$P_A; location / { return 200 \"a\n\"; } }
  server { listen 127.0.0.1:$P_B; location / { return 200 \"b\n\"; } }"

nginx_conf proxy "
  upstream backends {
    server 127.0.0.1:$P_A weight=9;
    server 127.0.0.1:$P_B weight=1;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$P_NGINX;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"

cat > "$TMP/haproxy.cfg" <<EOF
global
  nbthread 1
  maxconn 8192
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
frontend fe
  bind 127.0.0.1:$P_HAPROXY
  default_backend be
backend be
  balance roundrobin
  server a 127.0.0.1:$P_A weight 90
  server b 127.0.0.1:$P_B weight 10
EOF

. "$HERE/router-bench-routes.sh"
write_bench_routes "$TMP/routes.yaml" "$P_ADMIN" "$P_SERIN" "$P_A" "$P_B"

declare -A PID_OF URL_OF
EXIT_STATUS=0

start() {  # NAME CMD...: start in the background, output to $TMP/NAME.log
  local name=$1; shift
  "$@" > "$TMP/$name.log" 2>&1 &
  PIDS+=("$!")
  PID_OF[$name]=$!
}

wait_ready() {  # NAME URL [HEALTH_URL]: up to 20 s for 200s from both URLs
  local name=$1 url=$2 health=${3:-$2} i
  for i in $(seq 100); do
    kill -0 "${PID_OF[$name]}" 2>/dev/null || break
    if [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$url")" = 200 ] &&
       [ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "$health")" = 200 ]; then
      return 0
    fi
    sleep 0.2
  done
  log "$name did not come up; last lines of its log:"
  tail -n 20 "$TMP/$name.log" "$TMP/$name.error.log" 2>/dev/null | sed 's/^/  /' >&2 || true
  return 1
}

# -e: nginx opens its default error log before reading the config; point it here.
start backends nginx -g 'daemon off;' -p "$TMP" -e "$TMP/backends.error.log" -c "$TMP/backends.conf"
wait_ready backends "http://127.0.0.1:$P_A/" "http://127.0.0.1:$P_B/" || die "backends failed to start"
URL_OF[direct]="http://127.0.0.1:$P_A/"; PID_OF[direct]=${PID_OF[backends]}
TARGETS=(direct)

start nginx nginx -g 'daemon off;' -p "$TMP" -e "$TMP/proxy.error.log" -c "$TMP/proxy.conf"
if wait_ready nginx "http://127.0.0.1:$P_NGINX/"; then
  URL_OF[nginx]="http://127.0.0.1:$P_NGINX/"; TARGETS+=(nginx)
else EXIT_STATUS=3; fi

start haproxy haproxy -f "$TMP/haproxy.cfg"
if wait_ready haproxy "http://127.0.0.1:$P_HAPROXY/"; then
  URL_OF[haproxy]="http://127.0.0.1:$P_HAPROXY/"; TARGETS+=(haproxy)
else EXIT_STATUS=3; fi

if [ -n "$SERIN" ]; then
  start serin "$SERIN" router --config "$TMP/routes.yaml"
  if wait_ready serin "http://127.0.0.1:$P_SERIN/" "http://127.0.0.1:$P_ADMIN/healthz"; then
    URL_OF[serin]="http://127.0.0.1:$P_SERIN/"; TARGETS+=(serin)
  else
    SERIN_NOTE="serin router did not come up (healthz or route not answering 200); see the log above"
    EXIT_STATUS=3
  fi
fi

# ---------------------------------------------------------- split check --
# 1000 requests over one keep-alive connection through each proxy; expect
# about 900 "a" and 100 "b". Cheap, and catches a misconfigured proxy.
declare -A SPLIT
for t in "${TARGETS[@]}"; do
  [ "$t" = direct ] && continue
  SPLIT[$t]=$(python3 "$HELPER" split "${URL_OF[$t]}" 1000)
  log "split via $t (a b other): ${SPLIT[$t]}"
done

# ------------------------------------------------------------ measuring --
rss_kb() {  # summed VmRSS of the given pids, in kB
  local pid k v sum=0
  for pid in "$@"; do
    while read -r k v _; do
      [ "$k" = VmRSS: ] && sum=$((sum + v))
    done 2>/dev/null < "/proc/$pid/status" || true
  done
  echo "$sum"
}

sample_rss() {  # OUTFILE PIDS...: keep the max in OUTFILE, every 0.5 s, until killed
  local out=$1 max=0 now; shift
  while :; do
    now=$(rss_kb "$@")
    [ "$now" -gt "$max" ] && { max=$now; echo "$max" > "$out"; }
    sleep 0.5
  done
}

RESULTS="$TMP/results.tsv"; : > "$RESULTS"

run_wrk() {  # TARGET SECONDS OUTFILE
  wrk -t1 -c"$CONNECTIONS" -d"$2"s --latency "${URL_OF[$1]}" > "$3" 2>&1
}

# CPU accounting, to flag runs disturbed by other work on the machine (the
# box is shared, e.g. with `swift build`): the CPU time the whole machine
# spent busy during a run, less that of the servers and of wrk, is "other".
cpu_stat() {  # prints "BUSY TOTAL" ticks, all CPUs, from /proc/stat
  local _ u n s i w q sq st
  read -r _ u n s i w q sq st _ < /proc/stat
  # irq/softirq time is left out of BUSY: it is mostly the loopback traffic
  # of the benchmark itself, which no process's utime/stime is charged with.
  echo "$((u + n + s + st)) $((u + n + s + q + sq + st + i + w))"
}
proc_ticks() {  # summed utime+stime ticks of the given pids
  local pid sum=0 line f
  for pid in "$@"; do
    { read -r line < "/proc/$pid/stat"; } 2>/dev/null || continue
    # Split after the ")" closing the command name: f[0] is then field 3
    # (state), so utime (field 14) is f[11] and stime f[12].
    read -ra f <<< "${line##*) }"
    sum=$((sum + f[11] + f[12]))
  done
  echo "$sum"
}
CLK_TCK=$(getconf CLK_TCK)
TIMEFORMAT='%3U %3S'   # for `time wrk`: user and system seconds

tree() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ' || true)"; }  # pid + children
BACKEND_PIDS=$(tree "${PID_OF[backends]}")

measure() {  # ROUND TARGET
  local round=$1 t=$2 out="$TMP/wrk.$2.r$1.txt" rssf="$TMP/rss.$2.r$1" pids ours sampler
  # The server's process tree as of now (nginx: master + its worker).
  pids=$(tree "${PID_OF[$t]}")
  ours="$pids"; [ "$t" = direct ] || ours="$pids $BACKEND_PIDS"
  echo 0 > "$rssf"
  # shellcheck disable=SC2086
  sample_rss "$rssf" $pids &
  sampler=$!
  local busy0 total0 busy1 total1 ours0 ours1
  read -r busy0 total0 < <(cpu_stat)
  # shellcheck disable=SC2086
  ours0=$(proc_ticks $ours)
  { time run_wrk "$t" "$DURATION" "$out"; } 2> "$out.time" ||
    { kill "$sampler"; wait "$sampler" 2>/dev/null || true
      die "wrk failed against $t: $(tail -n 3 "$out")"; }
  read -r busy1 total1 < <(cpu_stat)
  # shellcheck disable=SC2086
  ours1=$(proc_ticks $ours)
  kill "$sampler"; wait "$sampler" 2>/dev/null || true
  local other
  other=$(awk -v b="$((busy1 - busy0))" -v t="$((total1 - total0))" -v o="$((ours1 - ours0))" \
              -v hz="$CLK_TCK" '{ x = b - o - ($1 + $2) * hz; if (x < 0) x = 0
                                  printf "%.1f", (t > 0 ? 100 * x / t : 0) }' "$out.time")
  local parsed
  parsed=$(python3 "$HELPER" parse-wrk "$out") || die "unparsable wrk output for $t"
  read -r rps p99 errs <<< "$parsed"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$t" "$rps" "$p99" "$errs" "$(cat "$rssf")" "$other" >> "$RESULTS"
  log "round $round  $(printf '%-8s' "$t") ${rps} req/s  p99 ${p99} ms  errors ${errs}  other CPU ${other}%"
}

alive() { kill -0 "${PID_OF[$1]}" 2>/dev/null; }

# Warm-up: fills caches and the proxies' upstream keep-alive pools; discarded.
WARM=$(( DURATION < 3 ? DURATION : 3 ))
declare -A DEAD
for t in "${TARGETS[@]}"; do
  log "warming $t (${WARM}s)"
  run_wrk "$t" "$WARM" "$TMP/wrk.$t.warm.txt" && continue
  alive "$t" || continue   # a crash: reported, and skipped, by the rounds below
  die "wrk failed against $t: $(tail -n 3 "$TMP/wrk.$t.warm.txt")"
done

n=${#TARGETS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
  for ((i = 0; i < n; i++)); do
    t=${TARGETS[$(( (i + r - 1) % n ))]}
    [ -n "${DEAD[$t]:-}" ] && continue
    if ! alive "$t"; then
      DEAD[$t]=1; EXIT_STATUS=3
      log "$t exited before round $r; not measured from here on"
      [ "$t" = serin ] && SERIN_NOTE="serin router exited before round $r"
      tail -n 20 "$TMP/$t.log" 2>/dev/null | sed 's/^/  /' >&2 || true
      continue
    fi
    measure "$r" "$t"
    sleep 1   # let the sockets from the last run settle before the next
  done
done

# ---------------------------------------------------------------- report --
ver() { "$@" 2>&1 | head -n 1 || true; }
{
  printf 'rounds\t%s\nduration\t%s\nconnections\t%s\ncpus\t%s\n' "$ROUNDS" "$DURATION" "$CONNECTIONS" "$(nproc)"
  printf 'version_nginx\t%s\n' "$(ver nginx -v | sed 's/^nginx version: //')"
  printf 'version_haproxy\t%s\n' "$(ver haproxy -v | awk '{print $3}')"
  printf 'version_wrk\t%s\n' "$(ver wrk -v | awk '{print $2}')"
  [ -n "$SERIN" ] && printf 'version_serin\t%s\n' "$(ver "$SERIN" --version)"
  [ -n "$SERIN_NOTE" ] && printf 'serin_note\t%s\n' "$SERIN_NOTE"
  for t in "${!SPLIT[@]}"; do printf 'split_%s\t%s\n' "$t" "${SPLIT[$t]}"; done
} > "$TMP/meta.tsv"

# Stop the servers before printing, so that nothing follows the JSON line.
stop_all
[ -s "$RESULTS" ] || die "no measurement was made"
python3 "$HELPER" report "$RESULTS" "$TMP/meta.tsv" || die "report failed"
exit "$EXIT_STATUS"
