#!/usr/bin/env python3
"""Event -> webhook delivery latency against a running `waymark serve` (a benchmark, not a test).

Starts receiver.py, creates a webhook output and a journey that delivers on entry, sends
one `track` per user with a pause between them, and reports p50 / p90 / p99 / max of
(receiver's receipt time - the instant the event was sent).

    python3 tests/e2e/latency.py --url http://127.0.0.1:18080 --token TOKEN \
        --write-key KEY [--users 500] [--pause-ms 20]

The server must allow private destinations (`[runtime] allow_private = ["127.0.0.0/8"]`).
"""

import argparse
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def call(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def percentile(values, p):
    values = sorted(values)
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--write-key", required=True)
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--pause-ms", type=int, default=20)
    args = ap.parse_args()

    log = tempfile.NamedTemporaryFile(suffix=".ndjson", delete=False).name
    receiver = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "receiver.py"), "--port", "0",
         "--secret", SECRET, "--log", log, "--die-with-parent"],
        stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline().split()[1])
    admin = {"authorization": f"Bearer {args.token}"}
    run = str(int(time.time()))
    output, journey = f"lat-{run}", f"lat-{run}"
    call(f"{args.url}/api/outputs", "POST",
         {"id": output, "kind": "webhook", "url": f"http://127.0.0.1:{port}/hook",
          "secret": SECRET}, admin)
    call(f"{args.url}/api/journeys", "POST", {
        "id": journey, "name": "Latency",
        "entry": {"id": "entry", "name": "Entry", "on": "event",
                  "criteria": {"event": f"Ping {run}"},
                  "connections": [{"id": "c", "output": output, "active": True,
                                   "mode": "event"}]}}, admin)
    call(f"{args.url}/api/journeys/{journey}/publish", "POST", {}, admin)

    basic = base64.b64encode(f"{args.write_key}:".encode()).decode()
    sent = {}
    for i in range(args.users):
        user = f"lat-{run}-{i}"
        sent[user] = time.time() * 1000
        call(f"{args.url}/v1/track", "POST", {"userId": user, "event": f"Ping {run}"},
             {"authorization": f"Basic {basic}"})
        time.sleep(args.pause_ms / 1000)

    deadline = time.time() + 60
    got = {}
    while time.time() < deadline and len(got) < args.users:
        with open(log) as f:
            for line in f:
                d = json.loads(line)
                if d["verified"] and d["body"]:
                    got.setdefault(d["body"].get("userId"), d["received_at_ms"])
        time.sleep(0.2)
    receiver.kill()
    lat = [got[u] - t for u, t in sent.items() if u in got]
    print(json.dumps({
        "users": args.users, "delivered": len(lat),
        "p50_ms": round(percentile(lat, 50), 1), "p90_ms": round(percentile(lat, 90), 1),
        "p99_ms": round(percentile(lat, 99), 1), "max_ms": round(max(lat), 1),
    }))


if __name__ == "__main__":
    main()
