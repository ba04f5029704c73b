#!/usr/bin/env python3
"""Self-test for receiver.py: `python3 tests/e2e/test_receiver.py`.

Needs `standardwebhooks==1.1.0` importable (see README.md); the receiver is started with the
same interpreter, so both sides use the same installed package.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone

try:
    from standardwebhooks.webhooks import Webhook
except ImportError:
    sys.exit("test_receiver.py: install tests/e2e/requirements.txt first (standardwebhooks==1.1.0)")

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "receiver.py")
SECRET = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl"  # wire.md §5 test vector
WRONG_SECRET = "whsec_d3JvbmctZW5naW5lLXRlc3Qtc2VjcmV0LTMyYnl0ZXM="


class Running:
    """A receiver subprocess and a client for it."""

    def __init__(self, tmp: str, name: str, *extra: str):
        self.log = os.path.join(tmp, f"{name}.ndjson")
        self.proc = subprocess.Popen(
            [sys.executable, RECEIVER, "--port", "0", "--secret", SECRET, "--log", self.log, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        assert line.startswith("LISTENING "), (line, self.proc.stderr.read() if not line else "")
        self.port = int(line.split()[1])
        assert self.port > 0

    def post(self, body: str, *, secret: str = SECRET, msg_id: str = "msg_1",
             ts: datetime | None = None, headers: dict | None = None, timeout: float = 5.0):
        ts = ts or datetime.now(tz=timezone.utc)
        if headers is None:
            headers = {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(ts.timestamp())),
                "webhook-signature": Webhook(secret).sign(msg_id, ts, body),
            }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/hook", body=body.encode(),
                         headers={"Content-Type": "application/json", **headers})
            resp = conn.getresponse()
            resp.read()
            return resp.status, dict(resp.getheaders())
        finally:
            conn.close()

    def deliveries(self) -> list:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", "/deliveries")
            resp = conn.getresponse()
            assert resp.status == 200
            return json.loads(resp.read())
        finally:
            conn.close()

    def file_lines(self) -> list:
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def stop(self) -> str:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=5)
        return out


def body(user: str, key: str = "first_time_shopper", entered: bool = True) -> str:
    return json.dumps({
        "type": "track", "userId": user,
        "event": "Audience Entered" if entered else "Audience Exited",
        "properties": {"audience_key": key, key: entered},
        "messageId": f"msg-{user}",
    })


def test_library_matches_wire_vector() -> None:
    sig = Webhook(SECRET).sign(
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
        datetime.fromtimestamp(1674087231, tz=timezone.utc),
        '{"type":"audience.entered","timestamp":"2022-11-03T20:26:10.344522Z","data":{"user_id":"u1"}}',
    )
    assert sig == "v1,3KdcFGCR9/1tJteM4xFkBrbr1yy2zT87U4rU/MiuPSQ=", sig


def test_verified_and_unverified(tmp: str) -> None:
    r = Running(tmp, "default")
    try:
        t0 = int(time.time() * 1000)
        assert r.post(body("u1"), msg_id="msg_a")[0] == 200
        assert r.post(body("u2"), msg_id="msg_b", secret=WRONG_SECRET)[0] == 401
        assert r.post(body("u3"), headers={"webhook-id": "msg_c"})[0] == 401  # missing headers
        old = datetime.now(tz=timezone.utc) - timedelta(minutes=10)
        assert r.post(body("u4"), msg_id="msg_d", ts=old)[0] == 401  # outside the tolerance
        assert r.post("not json", msg_id="msg_e")[0] == 200  # verified, body null
        # A second, signature that does not match alongside a good one (key rotation).
        now = datetime.now(tz=timezone.utc)
        good = Webhook(SECRET).sign("msg_f", now, body("u6"))
        bad = Webhook(WRONG_SECRET).sign("msg_f", now, body("u6"))
        rot = {"webhook-id": "msg_f", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": f"{bad} {good}"}
        assert r.post(body("u6"), headers=rot)[0] == 200

        lines = r.file_lines()
        assert [e["n"] for e in lines] == [1, 2, 3, 4, 5, 6], lines
        assert [e["status"] for e in lines] == [200, 401, 401, 401, 200, 200]
        assert [e["verified"] for e in lines] == [True, False, False, False, True, True]
        for e in lines:
            assert set(e) == {"n", "received_at_ms", "verified", "error", "webhook_id",
                              "webhook_timestamp", "status", "body"}, e
            assert e["received_at_ms"] >= t0 and isinstance(e["received_at_ms"], int)
            assert (e["error"] is None) == e["verified"], e
        a = lines[0]
        assert a["webhook_id"] == "msg_a" and a["webhook_timestamp"].isdigit()
        assert a["body"]["properties"] == {"audience_key": "first_time_shopper", "first_time_shopper": True}
        assert "No matching signature" in lines[1]["error"], lines[1]
        assert lines[1]["body"]["userId"] == "u2"  # unverified bodies are still logged
        assert "Missing required headers" in lines[2]["error"]
        assert lines[2]["webhook_timestamp"] is None
        assert "too old" in lines[3]["error"], lines[3]
        assert lines[4]["body"] is None and lines[4]["error"] is None
        assert r.deliveries() == lines  # GET /deliveries is the log as an array
    finally:
        out = r.stop()
    assert out == "", repr(out)  # nothing after the LISTENING line


def test_script_500_then_200(tmp: str) -> None:
    r = Running(tmp, "s500", "--script", "500,200")
    try:
        assert [r.post(body(f"u{i}"), msg_id=f"m{i}")[0] for i in range(4)] == [500, 200, 200, 200]
        assert [e["status"] for e in r.deliveries()] == [500, 200, 200, 200]
    finally:
        r.stop()


def test_script_410_repeats(tmp: str) -> None:
    r = Running(tmp, "s410", "--script", "410")
    try:
        assert [r.post(body(f"u{i}"))[0] for i in range(3)] == [410, 410, 410]
        # An unverified request gets 401 whatever the script says.
        assert r.post(body("x"), secret=WRONG_SECRET)[0] == 401
    finally:
        r.stop()


def test_script_retry_after(tmp: str) -> None:
    r = Running(tmp, "s429", "--script", "429:2,200")
    try:
        status, headers = r.post(body("u1"))
        assert status == 429 and headers.get("Retry-After") == "2", (status, headers)
        status, headers = r.post(body("u1"))
        assert status == 200 and "Retry-After" not in headers, (status, headers)
        assert [e["status"] for e in r.deliveries()] == [429, 200]
    finally:
        r.stop()


def test_script_hang_does_not_block(tmp: str) -> None:
    r = Running(tmp, "shang", "--script", "hang,200")
    try:
        outcome = {}

        def hanging() -> None:
            try:
                outcome["hang"] = r.post(body("slow"), msg_id="m_slow", timeout=1.5)
            except (socket.timeout, TimeoutError) as e:
                outcome["hang"] = e

        t = threading.Thread(target=hanging)
        t.start()
        deadline = time.time() + 5
        while not r.file_lines() and time.time() < deadline:  # the hang request has arrived
            time.sleep(0.02)
        started = time.time()
        assert r.post(body("fast"), msg_id="m_fast", timeout=1.0)[0] == 200
        assert time.time() - started < 1.0
        assert t.is_alive(), "the parallel request must finish while the first still hangs"
        t.join(5)
        assert isinstance(outcome["hang"], (socket.timeout, TimeoutError)), outcome
        lines = r.deliveries()
        assert [(e["n"], e["webhook_id"], e["status"]) for e in lines] == \
            [(1, "m_slow", None), (2, "m_fast", 200)], lines
        assert lines[0]["verified"] is True
    finally:
        r.stop()

    # `hang` as the last entry repeats; the deliveries endpoint keeps working meanwhile.
    r = Running(tmp, "shang2", "--script", "hang")
    try:
        for i in range(2):
            try:
                r.post(body(f"u{i}"), timeout=0.5)
                raise AssertionError("expected a timeout")
            except (socket.timeout, TimeoutError):
                pass
        assert [e["status"] for e in r.deliveries()] == [None, None]
    finally:
        r.stop()


def test_ignore_timestamp(tmp: str) -> None:
    r = Running(tmp, "ignts", "--ignore-timestamp")
    try:
        old = datetime(2022, 11, 3, 20, 26, 10, tzinfo=timezone.utc)
        assert r.post(body("u1"), ts=old)[0] == 200
        assert r.post(body("u1"), ts=old, secret=WRONG_SECRET)[0] == 401
        assert [e["verified"] for e in r.deliveries()] == [True, False]
    finally:
        r.stop()


def test_bad_script_is_rejected(tmp: str) -> None:
    p = subprocess.run([sys.executable, RECEIVER, "--secret", SECRET, "--log",
                        os.path.join(tmp, "bad.ndjson"), "--script", "500,nope"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and p.stdout == "" and "nope" in p.stderr, p


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tests = [
            lambda: test_library_matches_wire_vector(),
            lambda: test_verified_and_unverified(tmp),
            lambda: test_script_500_then_200(tmp),
            lambda: test_script_410_repeats(tmp),
            lambda: test_script_retry_after(tmp),
            lambda: test_script_hang_does_not_block(tmp),
            lambda: test_ignore_timestamp(tmp),
            lambda: test_bad_script_is_rejected(tmp),
        ]
        for test in tests:
            test()
    print(f"ok: {len(tests)} receiver tests passed")


if __name__ == "__main__":
    main()
