# Sourced by the router benchmarks: the routing table both of them give
# `serin router` (one single-threaded listener, 90/10 over two backends).
# write_bench_routes FILE ADMIN_PORT LISTEN_PORT PRIMARY_PORT CANARY_PORT
write_bench_routes() {
  # threads: 1 to match nginx's single worker and HAProxy's nbthread 1.
  cat > "$1" <<ROUTES
admin: { listen: 127.0.0.1:$2 }
threads: 1
routes:
  - workload: bench
    listen: 127.0.0.1:$3
    primary: [127.0.0.1:$4]
    canary: [127.0.0.1:$5]
    canaryWeight: 10
ROUTES
}
