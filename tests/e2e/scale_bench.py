#!/usr/bin/env python3
"""Memory and restart at scale, measured (issue 9, B3 and B4), unattended.

Imports an NDJSON history (the audience benchmark's `gen_events.py` output) into a fresh
data directory (or reuses one with `--skip-import`), starts `waymark serve`, then:

1. `probe`: one standalone audience on an event nobody has: the workspace's engine is built
   over the whole history (every profile) with no member at all;
2. `audiences`: the 20 benchmark audiences of `../shared/bench/audiences.json` as
   standalone audiences (`POST /api/audiences`), their sizes from `GET /api/audiences`;
3. `journeys`: 20 journeys, one per benchmark criteria (entry on it, a one-day wait, then a
   milestone "ordered since entry" or the remaining path), each published with
   `historical: true`; users in them from `GET /api/journeys/{id}/stats`.

After the start and after each phase it samples the process's memory (/proc/PID/status:
VmRSS, VmHWM, RssAnon, RssFile). Then it stops gracefully (SIGTERM: the checkpoints are
written) and restarts `--restarts` times, then `--restarts` times sends `--tail` events,
kills the server with SIGKILL and restarts. Each restart is timed until `/healthz` answers
and the first journey's stats come back (as `restart_bench.py`), with the memory after it,
the `waymark_replayed_events` gauge and the checkpoint's size and users (server log).
Bytes per user (profile state) and per membership are computed from the RSS deltas.

    python3 tests/e2e/scale_bench.py --bin /work/bin/waymark-b2a4154 \\
        --events DATA/ev-10m.ndjson --audiences ../shared/bench/audiences.json \\
        --workdir /work/scalebench/10m [--skip-import] [--restarts 3] [--tail 20000]

Runs for a long time at 10M events: start it with `setsid nohup ... > LOG 2>&1 &` and read
LOG (one timestamped line per step) or WORKDIR/summary.json, which is rewritten after every
step, so a run cut short keeps what it measured. Standard library only.
"""
import argparse
import json
import os
import re
import resource
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from publish_bench import call, config, import_events, rss_mb, wait_healthy  # noqa: E402
from restart_bench import checkpoint_bytes, gauge, send_tail, serve, timed_start  # noqa: E402

LONG = 7200  # seconds an API call over the whole history may take
FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def log(message):
    print(time.strftime("%H:%M:%S", time.gmtime()), message, file=sys.stderr, flush=True)


def memory(pid):
    return {field: rss_mb(pid, field) for field in FIELDS}


def available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return None


def checkpoint_users(path):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(path).read())
    users = re.findall(r"checkpoint written.*users=(\d+)", text)
    return int(users[-1]) if users else None


def journey(n, audience):
    """A journey entered on a benchmark criteria: wait a day, then ordered or not."""
    return {
        "id": f"jny-{n}", "name": f"{audience['name']} journey"[:73], "inputs": ["web"],
        "entry": {
            "id": "entry", "name": "Entry", "criteria": audience["criteria"],
            "steps": [{
                "id": "wait", "name": "Wait a day", "type": "wait", "wait": {"duration": "1d"},
                "branching": "decide",
                "steps": [
                    {"id": "ordered", "name": "Ordered", "type": "milestone",
                     "criteria": {"event": "Order Completed", "since": "entry"}},
                    {"id": "rest", "name": "Not ordered", "type": "remaining"},
                ],
            }],
        },
    }


def in_journey(stats):
    return sum(v.get("in_journey") or 0 for v in stats["versions"])


def per(delta_mb, count):
    return round(delta_mb * 1024 * 1024 / count, 1) if count else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.cfg = os.path.join(args.workdir, "waymark.toml")
        self.log = os.path.join(args.workdir, "serve.log")
        self.out = os.path.join(args.workdir, "summary-restarts.json" if args.restarts_only
                                else "summary.json")
        self.summary = {"events_file": args.events, "bin": args.bin}
        self.proc = None
        self.base = None
        self.has_journey = False

    def save(self):
        with open(self.out, "w") as f:
            json.dump(self.summary, f, indent=1)

    def sample(self, name):
        self.summary.setdefault("memory_mb", {})[name] = memory(self.proc.pid)
        log(f"memory {name}: {self.summary['memory_mb'][name]}")
        self.save()

    def stop(self, sig):
        t = time.perf_counter()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=LONG)
        return round(time.perf_counter() - t, 2)

    def run(self):
        a = self.args
        os.makedirs(a.workdir, exist_ok=True)
        with open(self.cfg, "w") as f:
            f.write(config(a.port))
        if not (a.skip_import or a.restarts_only):
            log(f"import {a.events}")
            self.summary["import_s"] = import_events(a.bin, os.path.join(a.workdir, "data"),
                                                     self.cfg, a.events)
            self.summary["import_peak_rss_mb"] = round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
            log(f"imported in {self.summary['import_s']} s")
            self.save()
        self.proc, self.base = serve(a, self.cfg, self.log)
        self.summary["first_start_s"] = round(wait_healthy(self.base, limit=LONG), 2)
        if a.restarts_only:
            call(self.base, "GET", "/api/audiences/probe", timeout=LONG)
            self.has_journey = any(j["id"] == "jny-0" for j in
                                   call(self.base, "GET", "/api/journeys").get("journeys", []))
            self.summary["audiences_and_journeys"] = len(
                call(self.base, "GET", "/api/audiences")["audiences"]) - 1
            self.sample("before_restarts")
            self.restarts()
            self.summary["stop_s"] = self.stop(signal.SIGTERM)
            self.save()
            log("done")
            return
        self.sample("after_import")
        self.probe()
        self.summary["graceful_stop_s"] = [self.stop(signal.SIGTERM)]
        self.restart("restart_profiles_only", 0)
        self.sample("after_profiles_only_restart")
        self.audiences()
        self.journeys()
        self.per_user()
        self.restarts()
        self.summary["stop_s"] = self.stop(signal.SIGTERM)
        self.save()
        log("done")

    def full(self):
        """Whether memory is past the limits: then no more audiences or journeys are made
        (the machine is shared; the restarts are still measured with what exists)."""
        rss, free = rss_mb(self.proc.pid), available_mb()
        if rss > self.args.max_rss_mb or free < self.args.min_available_mb:
            self.summary["stopped_adding"] = {"rss_mb": rss, "available_mb": free}
            log(f"memory limit reached: {self.summary['stopped_adding']}")
            self.save()
            return True
        return False

    def probe(self):
        ids = [v["id"] for v in call(self.base, "GET", "/api/audiences", timeout=LONG)["audiences"]]
        if "probe" in ids:  # a previous run's (--skip-import on its data directory)
            self.summary["probe"] = {"existing": True}
            self.sample("after_probe")
            return
        t = time.perf_counter()
        view = call(self.base, "POST", "/api/audiences", {
            "id": "probe", "name": "probe",
            "criteria": {"event": "Scale Bench Never Sent"}}, timeout=LONG)
        self.summary["probe"] = {"s": round(time.perf_counter() - t, 2), "size": view.get("size")}
        log(f"probe audience: {self.summary['probe']}")
        self.sample("after_probe")

    def definitions(self):
        return json.load(open(self.args.audiences))["audiences"]

    def audiences(self):
        made = []
        existing = {v["id"] for v in call(self.base, "GET", "/api/audiences")["audiences"]}
        for audience in self.definitions()[: self.args.audience_count]:
            if f"aud-{audience['id']}" in existing:  # a previous run's
                made.append({"id": audience["id"], "existing": True})
                continue
            if self.full():
                break
            t = time.perf_counter()
            call(self.base, "POST", "/api/audiences", {
                "id": f"aud-{audience['id']}", "name": audience["name"],
                "criteria": audience["criteria"]}, timeout=LONG)
            made.append({"id": audience["id"], "create_s": round(time.perf_counter() - t, 2),
                         "rss_mb": rss_mb(self.proc.pid)})
            log(f"audience {made[-1]}")
        sizes = {v["id"]: v["size"] for v in call(self.base, "GET", "/api/audiences")["audiences"]}
        for m in made:
            m["size"] = sizes.get(f"aud-{m['id']}")
        self.summary["audiences"] = made
        self.summary["audience_memberships"] = sum(m["size"] or 0 for m in made)
        log(f"audience memberships: {self.summary['audience_memberships']}")
        self.sample("after_audiences")

    def journeys(self):
        made = []
        existing = {v["id"] for v in call(self.base, "GET", "/api/journeys")["journeys"]}
        for n, audience in enumerate(self.definitions()[: self.args.journey_count]):
            jid = f"jny-{n}"
            if jid in existing:  # a previous run's
                stats = call(self.base, "GET", f"/api/journeys/{jid}/stats")
                made.append({"id": jid, "existing": True, "in_journey": in_journey(stats)})
                continue
            if self.full():
                break
            call(self.base, "POST", "/api/journeys", journey(n, audience))
            t = time.perf_counter()
            call(self.base, "POST", f"/api/journeys/{jid}/publish", {"historical": True},
                 timeout=LONG)
            took = round(time.perf_counter() - t, 2)
            while (call(self.base, "GET", f"/api/journeys/{jid}").get("backfill") or {}).get(
                    "state", "done") != "done":
                time.sleep(1)
            filled = round(time.perf_counter() - t, 2)
            made.append({"id": jid, "audience": audience["id"], "publish_s": took,
                         "filled_s": filled, "rss_mb": rss_mb(self.proc.pid),
                         "in_journey": in_journey(call(self.base, "GET",
                                                       f"/api/journeys/{jid}/stats"))})
            log(f"journey {made[-1]}")
            self.summary["journeys"] = made
            self.save()
        self.summary["journeys"] = made
        self.summary["journey_memberships"] = sum(m["in_journey"] for m in made)
        log(f"users in journeys: {self.summary['journey_memberships']}")
        self.sample("after_journeys")

    def per_user(self):
        """Bytes per user and per membership from the RSS deltas between phases (the
        audiences' from the restart with profiles only, which holds no replay garbage)."""
        m, s, users = self.summary["memory_mb"], self.summary, self.args.users
        rss = {k: v["VmRSS"] for k, v in m.items()}
        # Only what this run made: a previous run's definitions are in every sample.
        new_aud = [m for m in s["audiences"] if not m.get("existing")]
        new_jny = [m for m in s.get("journeys", []) if not m.get("existing")]
        n_aud, n_jny = len(new_aud), len(new_jny)
        aud = rss["after_audiences"] - rss["after_profiles_only_restart"]
        jny = rss["after_journeys"] - rss["after_audiences"]
        s["bytes"] = {
            "users": users,
            "profile_state_per_user": per(rss["after_probe"] - rss["after_import"], users),
            "profile_state_per_user_after_restart": per(
                rss["after_profiles_only_restart"] - rss["after_import"], users),
            "per_audience_membership": per(aud, sum(m["size"] or 0 for m in new_aud)),
            "per_journey_membership": per(jny, sum(m["in_journey"] for m in new_jny)),
            "per_user_and_audience": per(aud, users * n_aud),
            "per_user_and_journey": per(jny, users * n_jny),
            "all_per_user": per(rss["after_journeys"], users),
        }
        log(f"bytes: {s['bytes']}")
        self.save()

    def restart(self, kind, i):
        # `timed_start` times /healthz plus the first journey's stats (the probe audience
        # before any journey exists); the audience list is read after it, to check the
        # memberships came back.
        first = "/api/journeys/jny-0/stats" if self.summary.get("journeys") or \
            self.args.restarts_only and self.has_journey else "/api/audiences/probe"
        self.proc, self.base, r = timed_start(self.args, self.cfg, self.log, probe=first)
        r["memory_mb"] = memory(self.proc.pid)
        r["audience_memberships"] = sum(
            v["size"] for v in call(self.base, "GET", "/api/audiences")["audiences"]
            if v["id"] != "probe")
        r["checkpoint_bytes"] = checkpoint_bytes(self.log)
        r["checkpoint_users"] = checkpoint_users(self.log)
        self.summary.setdefault(kind, []).append(r)
        log(f"{kind} {i}: {r}")
        self.save()

    def restarts(self):
        a = self.args
        for i in range(a.restarts):
            self.summary.setdefault("graceful_stop_s", []).append(self.stop(signal.SIGTERM))
            self.restart("restart_after_graceful_stop", i)
        for i in range(a.restarts):
            # A new prefix per run: ids already stored would be skipped as duplicates.
            send_tail(self.base, a.tail, users=a.users, prefix=f"tail{int(time.time())}-{i}")
            time.sleep(1)
            self.stop(signal.SIGKILL)
            self.restart("restart_after_kill", i)
        self.summary["replayed_last"] = gauge(self.base, "waymark_replayed_events")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--events", required=True)
    ap.add_argument("--audiences", required=True)
    ap.add_argument("--workdir", required=True, help="holds data/, waymark.toml, serve.log")
    ap.add_argument("--users", type=int, required=True, help="users in the events file")
    ap.add_argument("--skip-import", action="store_true", help="reuse WORKDIR/data")
    ap.add_argument("--audience-count", type=int, default=20, help="audiences to make")
    ap.add_argument("--journey-count", type=int, default=20, help="journeys to publish")
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--restarts-only", action="store_true",
                    help="on a WORKDIR a previous run left (the probe audience exists): only "
                         "the restarts, into WORKDIR/summary-restarts.json")
    ap.add_argument("--tail", type=int, default=20000, help="events sent before each kill")
    ap.add_argument("--port", type=int, default=18790)
    ap.add_argument("--max-rss-mb", type=int, default=11000,
                    help="no more audiences or journeys once the server holds this much")
    ap.add_argument("--min-available-mb", type=int, default=5000,
                    help="... or once the machine has less than this available")
    bench = Bench(ap.parse_args())
    try:
        bench.run()
    finally:
        if bench.proc is not None and bench.proc.poll() is None:
            bench.proc.kill()
    json.dump(bench.summary, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
