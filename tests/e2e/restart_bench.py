#!/usr/bin/env python3
"""Restart time with checkpoints, measured (issue 9, B4): imports an NDJSON history into a
fresh data directory, starts `waymark serve`, publishes one journey (entry criteria: the
first audience of `../shared/bench/audiences.json`, a one-day wait), then measures:

- the first start after the publish: no checkpoint yet, the whole log is replayed;
- a restart after a graceful stop (SIGTERM writes every partition's checkpoint): only the
  log after the checkpoint is replayed, here nothing;
- a restart after `kill -9` with N events ingested since the last checkpoint: those N are
  replayed.

Each restart is timed until `/healthz` answers and the journey's stats come back, with the
`waymark_replayed_events` gauge and the checkpoint's size (from the server's log).

    python3 tests/e2e/restart_bench.py --bin target/release/waymark \
        --events DATA/ev-1m.ndjson --audiences ../shared/bench/audiences.json \
        --workdir /tmp/restartbench [--tail 20000]

Prints one JSON summary on stdout. Standard library only.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from publish_bench import WRITE_KEY, call, config, import_events, rss_mb, wait_healthy  # noqa: E402


def serve(args, cfg, log):
    proc = subprocess.Popen(
        [args.bin, "serve", "--data", os.path.join(args.workdir, "data"), "--config", cfg],
        stdout=open(log, "a"), stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{args.port}"


def gauge(base, name):
    text = urllib.request.urlopen(base + "/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def timed_start(args, cfg, log, probe="/api/journeys/bench-0/stats"):
    """Starts the server and times it until `/healthz` answers and `probe` (a call the engine
    answers) comes back."""
    proc, base = serve(args, cfg, log)
    t = time.perf_counter()
    wait_healthy(base)
    call(base, "GET", probe)
    took = round(time.perf_counter() - t, 2)
    return proc, base, {"s": took, "replayed": gauge(base, "waymark_replayed_events"),
                        "rss_mb": rss_mb(proc.pid)}


def send_tail(base, count, users=100000, prefix="tail"):
    """Sends `count` `Visit` events about existing users (`u0`...), 500 per batch."""
    sent = 0
    while sent < count:
        batch = [{"type": "track", "userId": f"u{(sent + k) % users}", "event": "Visit",
                  "messageId": f"{prefix}-{sent + k}"} for k in range(500)]
        call(base, "POST", "/v1/batch", {"batch": batch}, auth=("Basic", WRITE_KEY))
        sent += len(batch)


def checkpoint_bytes(log):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(log).read())
    sizes = re.findall(r"bytes=(\d+)", text)
    return int(sizes[-1]) if sizes else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--audiences", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--tail", type=int, default=20000)
    ap.add_argument("--port", type=int, default=18766)
    args = ap.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    cfg = os.path.join(args.workdir, "waymark.toml")
    # No periodic checkpoint at first, so that the first start has none to load.
    with open(cfg, "w") as f:
        f.write(config(args.port) + "\n[runtime]\ncheckpoint_interval_ms = 0\n")
    log = os.path.join(args.workdir, "serve.log")
    summary = {}

    summary["import_s"] = import_events(args.bin, os.path.join(args.workdir, "data"), cfg,
                                        args.events)

    proc, base = serve(args, cfg, log)
    wait_healthy(base)
    audience = json.load(open(args.audiences))["audiences"][0]
    call(base, "POST", "/api/journeys", {
        "id": "bench-0", "name": audience["name"], "inputs": ["web"],
        "entry": {"id": "entry", "name": "Entry", "criteria": audience["criteria"],
                  "steps": [{"id": "wait", "name": "Wait", "type": "wait",
                             "wait": {"duration": "1d"}}]},
    })
    t = time.perf_counter()
    call(base, "POST", "/api/journeys/bench-0/publish", {"historical": True})
    summary["publish_s"] = round(time.perf_counter() - t, 2)
    # Killed before any checkpoint: the next start replays the whole log.
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)

    proc, base, summary["start_without_checkpoint"] = timed_start(args, cfg, log)
    with open(cfg, "w") as f:
        f.write(config(args.port))
    t = time.perf_counter()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    summary["graceful_stop_s"] = round(time.perf_counter() - t, 2)
    summary["checkpoint_bytes"] = checkpoint_bytes(log)

    proc, base, summary["restart_after_graceful_stop"] = timed_start(args, cfg, log)
    send_tail(base, args.tail)
    time.sleep(1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)

    proc, base, summary["restart_after_kill"] = timed_start(args, cfg, log)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=300)
    json.dump(summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
