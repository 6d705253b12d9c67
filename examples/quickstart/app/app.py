#!/usr/bin/env python3
"""A small HTTP app for Serin's quickstart.

It answers every path with a greeting, except /healthz (always 200) and
POST /alerts: the quickstart's AlertProvider posts release events there,
and the app prints each as a line (`serin logs web` shows them), so that
they land somewhere without a Slack account.
Behaviour comes from the environment, so a release can be made good or bad
by editing deploy/workload.yaml:
  ERROR_RATE  share of requests answered 500, 0 to 1 (default 0)
  LATENCY_MS  milliseconds added to every answer (default 0)
  MESSAGE     the greeting (default "hello")
For benchmarks (none of these changes anything when unset):
  SEED                the error injection's random seed (per replica)
  DEGRADE_AFTER_S     seconds after start from which DEGRADE_ERROR_RATE
                      replaces ERROR_RATE (0: never)
  DEGRADE_ERROR_RATE  share of requests answered 500 once degraded (default 1)
Serin sets PORT, SERIN_REVISION and SERIN_ROLE for each replica. Every
answer but /healthz says which revision and role made it, in the
X-Serin-Revision and X-Serin-Role headers (the greeting says it too).
"""
import argparse
import json
import os
import random
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()
REVISION = os.environ.get("SERIN_REVISION", "unknown")[:12]
ROLE = os.environ.get("SERIN_ROLE", "unknown")


def error_rate():
    degrade_after = float(os.environ.get("DEGRADE_AFTER_S", "0"))
    if degrade_after > 0 and time.monotonic() - STARTED >= degrade_after:
        return float(os.environ.get("DEGRADE_ERROR_RATE", "1"))
    return float(os.environ.get("ERROR_RATE", "0"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/healthz":
            self.answer(200, b"ok\n")
            return
        latency = float(os.environ.get("LATENCY_MS", "0")) / 1000.0
        if latency > 0:
            time.sleep(latency)
        if random.random() < error_rate():
            self.answer(500, b"injected error\n")
            return
        message = os.environ.get("MESSAGE", "hello")
        self.answer(200, f"{message} from {ROLE} {REVISION}\n".encode())

    def do_POST(self):
        if self.path != "/alerts":
            self.answer(404, b"not found\n")
            return
        length = int(self.headers.get("Content-Length", "0"))
        try:
            alert = json.loads(self.rfile.read(length) or b"{}")
            line = f"{alert.get('namespace')}/{alert.get('name')} {alert.get('phase')}: {alert.get('message')}"
        except (ValueError, AttributeError):
            line = "(not JSON)"
        print(f"alert: {line}", flush=True)
        self.answer(200, b"ok\n")

    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        if self.path != "/healthz":
            self.send_header("X-Serin-Revision", REVISION)
            self.send_header("X-Serin-Role", ROLE)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    if "SEED" in os.environ:
        # Replicas of one revision draw different sequences from one seed.
        random.seed(f"{os.environ['SEED']}-{ROLE}-{os.environ.get('SERIN_REPLICA', '0')}")
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    # What `serin logs web` shows: one line per process start.
    print(f"serving revision {REVISION} as {ROLE} on 127.0.0.1:{args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
