#!/usr/bin/env python3
"""Delivery throughput against a slow webhook receiver (a benchmark, not a test).

Starts a receiver that takes `--delay-ms` (default 500) to answer each POST with 200,
creates a webhook output (with `--delivery JSON` as its delivery settings, if given) and a
journey that delivers on entry, sends one `Signed Up` per user in batches, and reports the
deliveries per second the receiver saw between its first and its last request, and how
many requests it had in flight at most.

    python3 tests/e2e/slow_receiver.py --url http://127.0.0.1:18080 --token TOKEN \
        --write-key KEY [--users 200] [--delay-ms 500] [--delivery '{"concurrency": 16}']

The server must allow private destinations (`[runtime] allow_private = ["127.0.0.0/8"]`).
"""

import argparse
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def call(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


class Seen:
    def __init__(self):
        self.lock = threading.Lock()
        self.times = []
        self.in_flight = 0
        self.max_in_flight = 0


def receiver(delay, seen):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            with seen.lock:
                seen.in_flight += 1
                seen.max_in_flight = max(seen.max_in_flight, seen.in_flight)
            time.sleep(delay)
            with seen.lock:
                seen.in_flight -= 1
                seen.times.append(time.monotonic())
            self.send_response(200)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--write-key", required=True)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--delay-ms", type=int, default=500)
    ap.add_argument("--delivery", default=None, help="the output's delivery settings, JSON")
    args = ap.parse_args()

    seen = Seen()
    port = receiver(args.delay_ms / 1000, seen)
    admin = {"authorization": f"Bearer {args.token}"}
    run = str(int(time.time()))
    output, journey = f"slow-{run}", f"slow-{run}"
    body = {"id": output, "kind": "webhook", "url": f"http://127.0.0.1:{port}/hook",
            "secret": SECRET}
    if args.delivery:
        body["delivery"] = json.loads(args.delivery)
    call(f"{args.url}/api/outputs", "POST", body, admin)
    call(f"{args.url}/api/journeys", "POST", {
        "id": journey, "name": journey,
        "entry": {"id": "entry", "name": "Entry", "on": "event",
                  "criteria": {"event": "Signed Up"},
                  "connections": [{"id": "c", "output": output, "active": True,
                                   "mode": "event"}]}}, admin)
    call(f"{args.url}/api/journeys/{journey}/publish", "POST", {}, admin)

    users = [f"{run}-u{i}" for i in range(args.users)]
    for i in range(0, len(users), 100):
        batch = [{"type": "track", "event": "Signed Up", "userId": u} for u in users[i:i + 100]]
        call(f"{args.url}/v1/batch", "POST", {"batch": batch, "writeKey": args.write_key})
    while True:
        with seen.lock:
            done = len(seen.times)
        if done >= args.users:
            break
        time.sleep(0.2)
    with seen.lock:
        times = sorted(seen.times)
        peak = seen.max_in_flight
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span if span > 0 else float("inf")
    print(json.dumps({"deliveries": len(times), "seconds": round(span, 2),
                      "deliveries_per_second": round(rate, 2), "max_in_flight": peak,
                      "delay_ms": args.delay_ms, "delivery": body.get("delivery")}))


if __name__ == "__main__":
    main()
