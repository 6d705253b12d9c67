#!/usr/bin/env python3
"""A small HTTP app for Serin's quickstart.

It answers every path with a greeting, except /healthz (always 200).
Behaviour comes from the environment, so a release can be made good or bad
by editing deploy/workload.yaml:
  ERROR_RATE  share of requests answered 500, 0 to 1 (default 0)
  LATENCY_MS  milliseconds added to every answer (default 0)
  MESSAGE     the greeting (default "hello")
Serin sets PORT, SERIN_REVISION and SERIN_ROLE for each replica.
"""
import argparse
import os
import random
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/healthz":
            self.answer(200, b"ok\n")
            return
        latency = float(os.environ.get("LATENCY_MS", "0")) / 1000.0
        if latency > 0:
            time.sleep(latency)
        if random.random() < float(os.environ.get("ERROR_RATE", "0")):
            self.answer(500, b"injected error\n")
            return
        message = os.environ.get("MESSAGE", "hello")
        revision = os.environ.get("SERIN_REVISION", "unknown")[:12]
        role = os.environ.get("SERIN_ROLE", "unknown")
        self.answer(200, f"{message} from {role} {revision}\n".encode())

    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
