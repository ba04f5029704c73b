#!/usr/bin/env python3
"""A scripted webhook receiver for Waymark's end-to-end tests.

It checks every POST with the official `standardwebhooks` package, records it as one NDJSON
line, and answers according to a small script. See README.md in this directory.

    receiver.py --port 0 --secret whsec_... --log deliveries.ndjson [--script 500,200]

Once bound it prints exactly one line, `LISTENING <port>`, on stdout, then serves until it is
killed. Nothing else is written to stdout; diagnostics go to stderr (access logs only with
--verbose).
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from standardwebhooks.webhooks import Webhook
except ImportError as e:  # pragma: no cover - depends on the environment
    sys.stderr.write(
        f"receiver.py: cannot import standardwebhooks ({e}); "
        "install tests/e2e/requirements.txt (standardwebhooks==1.1.0)\n"
    )
    sys.exit(2)


class Reply:
    """How to answer one request: a status (with an optional Retry-After) or a hang."""

    def __init__(self, status: int | None, retry_after: str | None = None):
        self.status = status  # None means hang
        self.retry_after = retry_after

    @property
    def hang(self) -> bool:
        return self.status is None


def parse_script(spec: str | None) -> list[Reply]:
    """`500,200`, `410`, `hang`, `429:2`: one entry per request number; the last one repeats."""
    if spec is None or spec.strip() == "":
        return [Reply(200)]
    replies = []
    for raw in spec.split(","):
        item = raw.strip()
        if item == "hang":
            replies.append(Reply(None))
            continue
        status_s, sep, retry_after = item.partition(":")
        if not status_s.isdigit() or not 100 <= int(status_s) <= 599:
            raise ValueError(f"bad script entry {item!r}: expected STATUS, STATUS:RETRY_AFTER or hang")
        if sep and not retry_after:
            raise ValueError(f"bad script entry {item!r}: empty Retry-After")
        replies.append(Reply(int(status_s), retry_after if sep else None))
    return replies


class Receiver:
    """State shared by all handler threads."""

    def __init__(self, secret: str, log_path: str, script: list[Reply], ignore_timestamp: bool):
        self.webhook = Webhook(secret)
        self.ignore_timestamp = ignore_timestamp
        self.script = script
        self.lock = threading.Lock()
        self.count = 0
        self.log_path = log_path
        self.log = open(log_path, "a", encoding="utf-8")

    def reply_for(self, n: int) -> Reply:
        return self.script[min(n, len(self.script)) - 1]

    def verify(self, body: bytes, headers: dict[str, str]) -> str | None:
        """Returns None when the signature is valid, else the reason."""
        try:
            if self.ignore_timestamp:
                self._verify_without_tolerance(body, headers)
            else:
                self.webhook.verify(body, headers, json_parse=False)
            return None
        except Exception as e:  # WebhookVerificationError, but also bad base64, bad UTF-8, ...
            return f"{type(e).__name__}: {e}"

    def _verify_without_tolerance(self, body: bytes, headers: dict[str, str]) -> None:
        # Same check as Webhook.verify (the library's own `sign`, constant-time compare, any
        # `v1,` entry matches) minus the ±5 minute timestamp tolerance, for simulated clocks.
        lower = {k.lower(): v for k, v in headers.items()}
        msg_id = lower.get("webhook-id")
        ts = lower.get("webhook-timestamp")
        sigs = lower.get("webhook-signature")
        if not (msg_id and ts and sigs):
            raise ValueError("Missing required headers")
        when = datetime.fromtimestamp(float(ts), tz=timezone.utc)
        expected = self.webhook.sign(msg_id=msg_id, timestamp=when, data=body.decode()).encode()
        for sig in sigs.split(" "):
            if sig.startswith("v1,") and hmac.compare_digest(expected, sig.encode()):
                return
        raise ValueError("No matching signature found")

    def next_number(self) -> int:
        with self.lock:
            self.count += 1
            return self.count

    def record(self, entry: dict) -> None:
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()

    def lines(self) -> list:
        with self.lock:
            with open(self.log_path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "waymark-e2e-receiver/1"
    receiver: Receiver  # set on the subclass in main()
    verbose = False

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if self.verbose:
            sys.stderr.write("receiver: " + (format % args) + "\n")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()  # CRLF after each chunk
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload, extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self) -> None:
        body = self._read_body()
        n = self.receiver.next_number()
        received_at_ms = time.time_ns() // 1_000_000
        headers = dict(self.headers.items())
        error = self.receiver.verify(body, headers)
        verified = error is None
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None

        reply = self.receiver.reply_for(n) if verified else Reply(401)
        entry = {
            "n": n,
            "received_at_ms": received_at_ms,
            "verified": verified,
            "error": error,
            "webhook_id": self.headers.get("webhook-id"),
            "webhook_timestamp": self.headers.get("webhook-timestamp"),
            "status": reply.status,  # null for a hang
            "body": parsed,
        }
        # Recorded before answering, so a reader that saw the response also sees the line.
        self.receiver.record(entry)

        if reply.hang:
            self.close_connection = True
            threading.Event().wait()  # never answer; other connections have their own threads
            return
        extra = {"Retry-After": reply.retry_after} if reply.retry_after is not None else None
        self._send(reply.status, {"n": n, "status": reply.status, "verified": verified}, extra)

    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] == "/deliveries":
            self._send(200, self.receiver.lines())
        else:
            self.close_connection = True
            self._send(404, {"error": "not found"})


def watch_parent() -> None:
    """Exits when the process that started us goes away (a test that panicked, say)."""
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Scripted Standard Webhooks receiver for e2e tests.")
    p.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--secret", required=True, help="endpoint secret, whsec_<base64 key>")
    p.add_argument("--log", required=True, help="NDJSON file to append one line per POST to")
    p.add_argument("--script", default=None,
                   help="answers per request number, e.g. 500,200 | 410 | hang | 429:2; last repeats")
    p.add_argument("--ignore-timestamp", action="store_true",
                   help="check signatures but not the ±5 min timestamp tolerance (simulated clocks)")
    p.add_argument("--die-with-parent", action="store_true",
                   help="exit when the parent process exits")
    p.add_argument("--verbose", action="store_true", help="access log on stderr")
    args = p.parse_args(argv)

    try:
        script = parse_script(args.script)
    except ValueError as e:
        p.error(str(e))
    try:
        receiver = Receiver(args.secret, args.log, script, args.ignore_timestamp)
    except Exception as e:
        p.error(f"bad --secret or --log: {type(e).__name__}: {e}")

    handler = type("BoundHandler", (Handler,), {"receiver": receiver, "verbose": args.verbose})
    server = ThreadingHTTPServer((args.host, args.port), handler)
    server.daemon_threads = True  # hung handlers must not keep the process alive
    if args.die_with_parent:
        threading.Thread(target=watch_parent, daemon=True).start()

    sys.stdout.write(f"LISTENING {server.server_address[1]}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
