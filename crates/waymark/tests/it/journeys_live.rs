//! Journeys, outputs and deliveries end to end (SPEC §6–§9, docs/journeys-api.md): the real
//! `waymark serve` over HTTP, journeys made and published through the admin API, events sent
//! to `/v1/batch` (and by the real Segment Python client), and webhook deliveries received by
//! `tests/e2e/receiver.py`, which checks every signature with the official `standardwebhooks`
//! package and logs each POST as one NDJSON line.
//!
//! The receiver's one dependency is installed once per target directory with pip from
//! `tests/e2e/requirements.txt` into `target/tmp/waymark-e2e/`; a missing python3, pip or
//! registry fails these tests, it never skips them. Nothing here sleeps to assert speed:
//! every wait polls with a generous deadline, and the few fixed pauses only give a wrong
//! behaviour (a duplicate, a delivery to a disabled output) the chance to show itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::clients::python_clients;
use crate::installs::pip_target;
use crate::live::{Server, request, tail, write_config};
use crate::support::{scratch_dir, workspace_root};

const TOKEN: &str = "wm_test_journeys_token";
const WS_TOKEN: &str = "wm_test_journeys_shop_token";
const WRITE_KEY: &str = "wk_journeys_web";
/// The Standard Webhooks test secret of wire.md §5.
const SECRET: &str = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl";
/// Generous bound on anything that should happen "soon".
pub(crate) const DEADLINE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// Small utilities.

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Polls `f` every 50 ms until it gives a value or `timeout` passes.
pub(crate) fn eventually<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let started = Instant::now();
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if started.elapsed() > timeout {
            return None;
        }
        thread::sleep(Duration::from_millis(50));
    }
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------------------------------
// The receiver's dependency, installed once.

static RECEIVER_DEPS: OnceLock<Result<PathBuf, String>> = OnceLock::new();

fn e2e_dir() -> PathBuf {
    workspace_root().join("tests/e2e")
}

/// The pip `--target` directory holding `standardwebhooks` (installed on first use, into a
/// private staging directory renamed into place, so parallel test processes never see half
/// an install).
fn receiver_deps() -> &'static Path {
    let installed = RECEIVER_DEPS
        .get_or_init(|| pip_target("waymark-e2e", &e2e_dir().join("requirements.txt")));
    match installed {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

// ---------------------------------------------------------------------------------------
// The webhook receiver.

/// `tests/e2e/receiver.py`, killed when dropped.
struct Receiver {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Receiver {
    /// Starts a receiver logging to `dir/<name>.ndjson`, answering by `script`.
    fn start(dir: &Path, name: &str, script: Option<&str>) -> Receiver {
        let log = dir.join(format!("{name}.ndjson"));
        let mut cmd = Command::new("python3");
        cmd.arg(e2e_dir().join("receiver.py"))
            .args([
                "--port",
                "0",
                "--secret",
                SECRET,
                "--die-with-parent",
                "--log",
            ])
            .arg(&log)
            .env("PYTHONPATH", receiver_deps())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(script) = script {
            cmd.args(["--script", script]);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start receiver.py: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so that the pipe never fills.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!("receiver.py did not say LISTENING ({status:?})");
            }
        };
        let port = line
            .strip_prefix("LISTENING ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("receiver.py printed `{line}`, not LISTENING <port>"));
        Receiver { child, port, log }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Every complete log line so far, in request order.
    fn lines(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let mut lines: Vec<Value> = text
            .split_inclusive('\n')
            .filter(|l| l.ends_with('\n') && !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("a receiver log line is not JSON ({e}): {l}"))
            })
            .collect();
        lines.sort_by_key(|l| l["n"].as_u64());
        lines
    }

    /// Polls the log until `done` holds; panics with the log otherwise.
    fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        eventually(DEADLINE, || {
            let lines = self.lines();
            done(&lines).then_some(lines)
        })
        .unwrap_or_else(|| {
            panic!(
                "the receiver never saw {what} within {DEADLINE:?}; its log:\n{}",
                summary(&self.lines())
            )
        })
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line per logged POST, for failure messages.
fn summary(lines: &[Value]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "  n={} status={} verified={} id={} {} {} key={} v={}",
                l["n"],
                l["status"],
                l["verified"],
                l["webhook_id"],
                l["body"]["userId"],
                l["body"]["event"],
                l["body"]["properties"]["audience_key"],
                l["body"]["context"]["personas"]["version"],
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The logged POSTs about one user, in request order.
fn of_user<'a>(lines: &'a [Value], user: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["body"]["userId"] == user)
        .collect()
}

/// `(event, audience_key)` of a logged POST.
fn what(line: &Value) -> (String, String) {
    (
        line["body"]["event"].as_str().unwrap_or("?").to_string(),
        line["body"]["properties"]["audience_key"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
    )
}

// ---------------------------------------------------------------------------------------
// The server.

fn config(runtime_extra: &str, tail_toml: &str) -> String {
    format!(
        r#"
[[workspaces]]
id = "shop"

[[inputs]]
workspace = "shop"
id = "web"
kind = "server"
write_key = "{WRITE_KEY}"

[[tokens]]
name = "journeys e2e"
token = "{TOKEN}"

[[tokens]]
name = "shop team"
token = "{WS_TOKEN}"
workspace = "shop"

[runtime]
allow_private = ["127.0.0.0/8"]
delivery_timeout_ms = 2000
timer_grace_ms = 100
{runtime_extra}

{tail_toml}
"#
    )
}

/// A server on its own scratch directory, restartable on the same data.
pub(crate) struct Harness {
    dir: PathBuf,
    data: PathBuf,
    config: PathBuf,
    server: Server,
}

impl Harness {
    pub(crate) fn start(test: &str, runtime_extra: &str, tail_toml: &str) -> Harness {
        let dir = scratch_dir(test);
        let config = write_config(&dir, &config(runtime_extra, tail_toml));
        let data = dir.join("data");
        let server = Server::start(&data, &config);
        Harness {
            dir,
            data,
            config,
            server,
        }
    }

    /// `kill -9`, then a fresh process on the same data directory.
    fn kill(&mut self) {
        self.server.kill();
    }

    fn restart(&mut self) {
        self.server.kill();
        self.server = Server::start(&self.data, &self.config);
    }

    /// An admin call with the account token.
    pub(crate) fn api(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes());
        self.raw(method, path, Some(TOKEN), bytes.as_deref())
    }

    /// An admin call with any token (or none) and any body bytes.
    fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![];
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.as_str()));
        }
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        let response = request(
            self.server.addr,
            method,
            path,
            &headers,
            body.unwrap_or(b""),
        )
        .unwrap_or_else(|e| {
            panic!(
                "{method} {path} failed: {e}\nserver output:\n{}",
                tail(&self.server.output(), 40)
            )
        });
        let value = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&response.body).unwrap_or_else(|e| {
                panic!(
                    "{method} {path}: {} with a body that is not JSON ({e}): {}",
                    response.status,
                    String::from_utf8_lossy(&response.body)
                )
            })
        };
        (response.status, value)
    }

    /// An admin call that must answer `status`.
    pub(crate) fn expect(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let (got, value) = self.api(method, path, body);
        assert_eq!(got, status, "{method} {path}: {value:#}");
        value
    }

    /// POST /v1/batch with these messages; the status.
    pub(crate) fn send(&self, messages: Vec<Value>) -> u16 {
        let body = json!({"batch": messages, "writeKey": WRITE_KEY}).to_string();
        request(
            self.server.addr,
            "POST",
            "/v1/batch",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("POST /v1/batch failed: {e}"))
        .status
    }

    fn create_hook(&self, id: &str, receiver: &Receiver) -> Value {
        let view = self.expect(
            "POST",
            "/api/outputs",
            Some(json!({"id": id, "kind": "webhook", "url": receiver.url(), "secret": SECRET})),
            201,
        );
        assert_eq!(view["secret"], SECRET, "{view}");
        assert_eq!(view["disabled"], false, "{view}");
        view
    }

    /// Creates and publishes a journey; its view after publishing.
    fn publish(&self, journey: Value) -> Value {
        let id = journey["id"].as_str().expect("an id").to_string();
        let created = self.expect("POST", "/api/journeys", Some(journey), 201);
        assert_eq!(created["status"], "draft", "{created}");
        let published = self.expect("POST", &format!("/api/journeys/{id}/publish"), None, 200);
        assert_eq!(published["status"], "published", "{published}");
        published
    }

    /// An output's delivery count of one status.
    fn count(&self, output: &str, status: &str) -> u64 {
        let view = self.expect("GET", &format!("/api/outputs/{output}"), None, 200);
        view["deliveries"][status].as_u64().unwrap_or(0)
    }

    fn wait_count(&self, output: &str, status: &str, n: u64) {
        if eventually(DEADLINE, || (self.count(output, status) == n).then_some(())).is_none() {
            let view = self.expect("GET", &format!("/api/outputs/{output}"), None, 200);
            panic!(
                "output `{output}` never had {n} {status} deliveries: {view:#}\nserver:\n{}",
                tail(&self.server.output(), 30)
            );
        }
    }
}

pub(crate) fn track(user: &str, event: &str, id: &str) -> Value {
    json!({"type": "track", "event": event, "userId": user, "messageId": id})
}

fn connection(id: &str, output: &str, active: bool) -> Value {
    json!({"id": id, "output": output, "active": active, "mode": "event"})
}

/// Entry on "Signed Up" (event-triggered) with a connection, a wait, then a send step with
/// its own connection; leaves on "Cancelled".
fn onboarding(id: &str, wait: &str) -> Value {
    json!({
        "id": id,
        "name": "Onboarding",
        "entry": {
            "id": "entry", "name": "Signed up", "on": "event",
            "criteria": {"event": "Signed Up"},
            "connections": [connection("c_entry", "hook", true)],
            "steps": [{
                "id": "pause", "name": "Pause", "type": "wait", "wait": {"duration": wait},
                "steps": [{
                    "id": "welcome", "name": "Welcome", "type": "send",
                    "connections": [connection("c_send", "hook", true)],
                }],
            }],
        },
        "settings": {"exit": {"event": "Cancelled"}},
    })
}

/// Just an entry on "Signed Up" with one connection to `hook`.
fn entry_only(id: &str) -> Value {
    json!({
        "id": id,
        "name": id,
        "entry": {
            "id": "entry", "name": "Signed up", "on": "event",
            "criteria": {"event": "Signed Up"},
            "connections": [connection("c_entry", "hook", true)],
        },
    })
}

/// Sends `event` for every user with the real segment-analytics-python client.
fn send_with_segment_python(h: &Harness, event: &str, users: &[String]) {
    let script = h.dir.join("send_segment.py");
    std::fs::write(
        &script,
        r#"import sys
from segment.analytics import Client
url, key, event = sys.argv[1:4]
errors = []
client = Client(key, host=url, max_retries=3, timeout=10,
                on_error=lambda e, batch: errors.append(repr(e)))
for user in sys.argv[4:]:
    client.track(user_id=user, event=event, properties={"via": "segment-python"})
client.shutdown()
if errors:
    sys.stderr.write("segment errors: %s\n" % errors)
    sys.exit(1)
"#,
    )
    .expect("write the client script");
    let out = Command::new("python3")
        .arg(&script)
        .arg(format!("http://{}", h.server.addr))
        .arg(WRITE_KEY)
        .arg(event)
        .args(users)
        .env("PYTHONPATH", python_clients())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&h.dir)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "the Segment Python client failed: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts every logged POST verified and answered as scripted, and no two POSTs that the
/// receiver accepted share a webhook-id.
fn assert_signed_and_unique(lines: &[Value]) {
    let mut accepted = BTreeMap::new();
    for l in lines {
        assert_eq!(l["verified"], true, "an unverified delivery: {l}");
        assert!(l["error"].is_null(), "{l}");
        let id = l["webhook_id"].as_str().expect("a webhook-id");
        assert_eq!(
            l["body"]["messageId"], id,
            "webhook-id is the messageId: {l}"
        );
        if l["status"] == 200 {
            *accepted.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    let repeated: Vec<_> = accepted.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "deliveries accepted more than once: {repeated:?}\n{}",
        summary(lines)
    );
}

// ---------------------------------------------------------------------------------------
// 1. Deliveries in order, signed, with the right payload; latency.

#[test]
fn webhook_deliveries_arrive_in_order_signed() {
    let h = Harness::start("journeys-order-signed", "", "");
    let receiver = Receiver::start(&h.dir, "hook", None);
    h.create_hook("hook", &receiver);
    let view = h.publish(onboarding("onboarding", "1s"));
    let (_, got) = h.api("GET", "/api/journeys/onboarding", None);
    assert_eq!(got["keys"], view["keys"]);
    let entry_key = got["keys"]["entry"]
        .as_str()
        .expect("an entry key")
        .to_string();
    let send_key = got["keys"]["welcome"]
        .as_str()
        .expect("a welcome key")
        .to_string();
    for key in [&entry_key, &send_key] {
        assert!(key.starts_with("j_o_onboarding__"), "{key}");
    }
    assert_ne!(entry_key, send_key);

    // 50 users one request each (the send time of each is known), 3 by the Python client.
    let users: Vec<String> = (0..50).map(|i| format!("u-{i:02}")).collect();
    let py_users: Vec<String> = (0..3).map(|i| format!("py-{i}")).collect();
    let mut sent_at = HashMap::new();
    for u in &users {
        let at = now_ms();
        assert_eq!(
            h.send(vec![track(u, "Signed Up", &format!("{u}-signup"))]),
            200
        );
        sent_at.insert(u.clone(), at);
    }
    send_with_segment_python(&h, "Signed Up", &py_users);
    let all: Vec<String> = users.iter().chain(&py_users).cloned().collect();

    receiver.wait_for("both entries of every user", |lines| {
        all.iter().all(|u| of_user(lines, u).len() >= 2)
    });
    let cancels: Vec<Value> = users
        .iter()
        .map(|u| track(u, "Cancelled", &format!("{u}-cancel")))
        .collect();
    assert_eq!(h.send(cancels), 200);
    send_with_segment_python(&h, "Cancelled", &py_users);
    let lines = receiver.wait_for("the exits of every user", |lines| {
        all.iter().all(|u| of_user(lines, u).len() >= 4)
    });

    assert_signed_and_unique(&lines);
    let entered = |k: &str| ("Audience Entered".to_string(), k.to_string());
    let exited = |k: &str| ("Audience Exited".to_string(), k.to_string());
    for u in &all {
        let mine = of_user(&lines, u);
        let seq: Vec<(String, String)> = mine.iter().map(|l| what(l)).collect();
        assert_eq!(seq.len(), 4, "{u}: {seq:?}");
        assert_eq!(seq[0], entered(&entry_key), "{u}: {seq:?}");
        assert_eq!(seq[1], entered(&send_key), "{u}: {seq:?}");
        let mut exits = seq[2..].to_vec();
        exits.sort();
        let mut expected = vec![exited(&entry_key), exited(&send_key)];
        expected.sort();
        assert_eq!(exits, expected, "{u}: {seq:?}");
        for l in &mine {
            let b = &l["body"];
            assert_eq!(l["status"], 200, "{l}");
            assert_eq!(b["type"], "track", "{l}");
            assert_eq!(b["userId"], u.as_str(), "{l}");
            let key = b["properties"]["audience_key"].as_str().unwrap();
            let member = b["event"] == "Audience Entered";
            assert_eq!(b["properties"][key], member, "{l}");
            let personas = &b["context"]["personas"];
            assert_eq!(personas["computation_class"], "journey_step", "{l}");
            assert_eq!(personas["computation_key"], key, "{l}");
            assert_eq!(personas["journey_id"], "onboarding", "{l}");
            assert_eq!(personas["version"], 1, "{l}");
        }
        // The send step is reached after the wait: at least 1s after the entry.
        let entry_at = mine[0]["body"]["timestamp"].as_str().unwrap();
        let send_at = mine[1]["body"]["timestamp"].as_str().unwrap();
        let ms = |t: &str| waymark_engine::time::parse_instant(t).unwrap();
        assert!(
            ms(send_at) - ms(entry_at) >= 1000,
            "{u}: the send step came {}ms after the entry",
            ms(send_at) - ms(entry_at)
        );
    }
    h.wait_count("hook", "delivered", (all.len() * 4) as u64);

    let stats = h.expect("GET", "/api/journeys/onboarding/stats", None, 200);
    assert_eq!(stats["versions"][0]["entered"], all.len(), "{stats:#}");
    assert_eq!(stats["versions"][0]["in_journey"], 0, "{stats:#}");

    let mut latencies: Vec<i64> = users
        .iter()
        .map(|u| {
            let first = of_user(&lines, u)[0];
            first["received_at_ms"].as_i64().unwrap() - sent_at[u]
        })
        .collect();
    latencies.sort_unstable();
    eprintln!(
        "event -> webhook delivery latency over {} users: p50 {} ms, p99 {} ms, max {} ms",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// 2. A wait fires once across kill -9 and restart.

#[test]
fn wait_fires_once_after_kill_and_restart() {
    let mut h = Harness::start("journeys-kill-restart", "", "");
    let receiver = Receiver::start(&h.dir, "hook", None);
    h.create_hook("hook", &receiver);
    let view = h.publish(onboarding("restart", "3s"));
    let send_key = view["keys"]["welcome"].as_str().unwrap().to_string();
    let entry_key = view["keys"]["entry"].as_str().unwrap().to_string();

    // Group A: the server is down when their wait passes.
    let a: Vec<String> = (0..5).map(|i| format!("a-{i}")).collect();
    let batch = a
        .iter()
        .map(|u| track(u, "Signed Up", &format!("{u}-s")))
        .collect();
    assert_eq!(h.send(batch), 200);
    receiver.wait_for("group A's entries", |l| {
        a.iter().all(|u| of_user(l, u).len() == 1)
    });
    h.wait_count("hook", "delivered", 5);
    h.kill();
    thread::sleep(Duration::from_secs(4)); // the 3s waits come due while it is down
    h.restart();
    receiver.wait_for("group A's send step", |l| {
        a.iter().all(|u| of_user(l, u).len() >= 2)
    });

    // Group B: the server comes back before their wait passes.
    let b: Vec<String> = (0..5).map(|i| format!("b-{i}")).collect();
    let batch = b
        .iter()
        .map(|u| track(u, "Signed Up", &format!("{u}-s")))
        .collect();
    assert_eq!(h.send(batch), 200);
    receiver.wait_for("group B's entries", |l| {
        b.iter().all(|u| of_user(l, u).len() == 1)
    });
    h.wait_count("hook", "delivered", 15);
    h.restart();
    receiver.wait_for("group B's send step", |l| {
        b.iter().all(|u| of_user(l, u).len() >= 2)
    });
    h.wait_count("hook", "delivered", 20);
    // Room for a duplicate to show up.
    thread::sleep(Duration::from_secs(3));

    let lines = receiver.lines();
    assert_signed_and_unique(&lines);
    assert_eq!(
        lines.len(),
        20,
        "one entry and one send per user:\n{}",
        summary(&lines)
    );
    let ids: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["webhook_id"].as_str())
        .collect();
    assert_eq!(ids.len(), 20, "no webhook-id twice:\n{}", summary(&lines));
    for u in a.iter().chain(&b) {
        let seq: Vec<(String, String)> = of_user(&lines, u).iter().map(|l| what(l)).collect();
        assert_eq!(
            seq,
            vec![
                ("Audience Entered".to_string(), entry_key.clone()),
                ("Audience Entered".to_string(), send_key.clone()),
            ],
            "{u}"
        );
    }
    assert_eq!(h.count("hook", "delivered"), 20);
    assert_eq!(h.count("hook", "pending"), 0);
}

// ---------------------------------------------------------------------------------------
// 3. A 500 is retried under the same ids.

#[test]
fn retry_after_500_keeps_message_id() {
    let h = Harness::start("journeys-retry-500", "", "");
    let receiver = Receiver::start(&h.dir, "hook", Some("500,200"));
    h.create_hook("hook", &receiver);
    h.publish(entry_only("retry"));
    assert_eq!(h.send(vec![track("r-1", "Signed Up", "r-1-s")]), 200);
    let lines = receiver.wait_for("the retry", |l| l.len() >= 2);
    assert_eq!(lines.len(), 2, "{}", summary(&lines));
    let statuses: Vec<&Value> = lines.iter().map(|l| &l["status"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(200)]);
    for l in &lines {
        assert_eq!(l["verified"], true, "{l}");
        assert_eq!(l["body"]["userId"], "r-1", "{l}");
    }
    assert_eq!(lines[0]["webhook_id"], lines[1]["webhook_id"]);
    assert_eq!(lines[0]["body"]["messageId"], lines[1]["body"]["messageId"]);
    assert_eq!(
        lines[0]["body"], lines[1]["body"],
        "the same message is sent again"
    );
    h.wait_count("hook", "delivered", 1);
    assert_eq!(h.count("hook", "pending"), 0);
    let list = h.expect(
        "GET",
        "/api/outputs/hook/deliveries?status=delivered",
        None,
        200,
    );
    let deliveries = list["deliveries"].as_array().expect("deliveries");
    assert_eq!(deliveries.len(), 1, "{list:#}");
    assert_eq!(deliveries[0]["attempts"], 2, "{list:#}");
    assert_eq!(deliveries[0]["payload"]["user_id"], "r-1", "{list:#}");
}

// ---------------------------------------------------------------------------------------
// 3b. Issue 8 item 10: an exit never overtakes its entry being retried.

#[test]
fn exit_waits_for_its_retried_entry() {
    let h = Harness::start("journeys-order-retry", "", "");
    // The first request (the entry) fails; everything after it is accepted.
    let receiver = Receiver::start(&h.dir, "hook", Some("500,200"));
    h.create_hook("hook", &receiver);
    let mut journey = entry_only("order");
    journey["settings"] = json!({"exit": {"event": "Cancelled"}});
    let view = h.publish(journey);
    let key = view["keys"]["entry"].as_str().unwrap().to_string();

    assert_eq!(h.send(vec![track("o-1", "Signed Up", "o-1-s")]), 200);
    receiver.wait_for("the failed entry", |l| !l.is_empty());
    // The user leaves while the entry waits for its retry (0–5 s away).
    assert_eq!(h.send(vec![track("o-1", "Cancelled", "o-1-c")]), 200);
    h.wait_count("hook", "delivered", 2);
    let lines = receiver.lines();
    assert_signed_and_unique(&lines);
    let accepted: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l["status"] == 200)
        .map(what)
        .collect();
    assert_eq!(
        accepted,
        [
            ("Audience Entered".to_string(), key.clone()),
            ("Audience Exited".to_string(), key.clone()),
        ],
        "the last message accepted says the user left:\n{}",
        summary(&lines)
    );

    // Every attempt is inspectable: the entry failed once with 500, then went through.
    let list = h.expect(
        "GET",
        "/api/outputs/hook/deliveries?user=o-1&limit=1",
        None,
        200,
    );
    let first = &list["deliveries"][0];
    assert_eq!(first["message_id"], lines[0]["webhook_id"], "{list:#}");
    let cursor = list["next_cursor"].as_u64().expect("a next page");
    let rest = h.expect(
        "GET",
        &format!("/api/outputs/hook/deliveries?user=o-1&cursor={cursor}"),
        None,
        200,
    );
    assert_eq!(rest["deliveries"].as_array().unwrap().len(), 1, "{rest:#}");
    assert!(rest["next_cursor"].is_null(), "{rest:#}");
    let id = first["id"].as_str().unwrap();
    let one = h.expect("GET", &format!("/api/deliveries/{id}"), None, 200);
    let statuses: Vec<&Value> = one["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(200)], "{one:#}");
    let (status, body) = h.api("GET", "/api/deliveries/nope", None);
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let replayed = h.expect(
        "POST",
        "/api/outputs/hook/deliveries/replay",
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
        202,
    );
    assert_eq!(replayed["replayed"], 0, "nothing is dead: {replayed}");
    let output = h.expect("GET", "/api/outputs/hook", None, 200);
    assert_eq!(output["state"]["paused"], false, "{output:#}");

    // A private destination that the configuration does not allow is refused at once.
    let (status, body) = h.api(
        "POST",
        "/api/outputs",
        Some(json!({"id": "inside", "kind": "webhook", "url": "http://10.0.0.1/hook"})),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("destination_not_allowed")),
        "{body}"
    );
}

// ---------------------------------------------------------------------------------------
// 4. A 410 disables the output until PATCH re-enables it.

/// CPU time (user + system) of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command: state is field 3, utime 14 and stime 15 (1-based, whole line).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

#[test]
fn gone_disables_output() {
    let h = Harness::start("journeys-gone", "", "");
    let receiver = Receiver::start(&h.dir, "hook", Some("410,200"));
    h.create_hook("hook", &receiver);
    h.publish(entry_only("gone"));
    // What an idle server burns, to compare with below.
    let pid = h.server.pid();
    let idle_before = cpu_ticks(pid);
    thread::sleep(Duration::from_secs(3));
    let idle = cpu_ticks(pid)
        .zip(idle_before)
        .map(|(after, before)| after - before);
    assert_eq!(h.send(vec![track("g-1", "Signed Up", "g-1-s")]), 200);
    receiver.wait_for("the first attempt", |l| !l.is_empty());
    let disabled = eventually(DEADLINE, || {
        let (_, v) = h.api("GET", "/api/outputs/hook", None);
        (v["disabled"] == true).then_some(v)
    })
    .expect("a 410 disables the output");
    assert!(
        disabled["disabled_reason"].is_string(),
        "a reason is given: {disabled:#}"
    );

    let batch = ["g-2", "g-3"]
        .iter()
        .map(|u| track(u, "Signed Up", &format!("{u}-s")))
        .collect();
    assert_eq!(h.send(batch), 200);
    h.wait_count("hook", "pending", 3);
    // Give a wrongly attempted delivery the time to arrive; meanwhile the worker of the
    // disabled output, with a delivery due, should idle rather than poll.
    let before = cpu_ticks(pid);
    thread::sleep(Duration::from_secs(3));
    let disabled_idle = cpu_ticks(pid)
        .zip(before)
        .map(|(after, before)| after - before);
    assert_eq!(
        receiver.lines().len(),
        1,
        "nothing is sent to a disabled output"
    );
    if let (Some(idle), Some(disabled_idle)) = (idle, disabled_idle) {
        // Clock ticks are 1/100 s on Linux.
        eprintln!(
            "server CPU over 3 s: {idle} ticks idle, {disabled_idle} ticks idle with a \
             disabled output and a delivery due"
        );
        assert!(
            disabled_idle <= idle * 3 + 15,
            "the server burnt {disabled_idle} ticks of CPU in 3 s with a disabled output \
             (idle: {idle}): its worker polls instead of sleeping"
        );
    }

    let enabled = h.expect(
        "PATCH",
        "/api/outputs/hook",
        Some(json!({"disabled": false})),
        200,
    );
    assert_eq!(enabled["disabled"], false, "{enabled:#}");
    assert!(enabled["disabled_reason"].is_null(), "{enabled:#}");
    let lines = receiver.wait_for("the pending deliveries", |l| l.len() >= 4);
    h.wait_count("hook", "delivered", 3);
    assert_eq!(lines.len(), 4, "{}", summary(&lines));
    assert_eq!(lines[0]["status"], 410);
    assert!(
        lines[1..].iter().all(|l| l["status"] == 200),
        "{}",
        summary(&lines)
    );
    let users: BTreeSet<&str> = lines[1..]
        .iter()
        .filter_map(|l| l["body"]["userId"].as_str())
        .collect();
    assert_eq!(users, BTreeSet::from(["g-1", "g-2", "g-3"]));
    let again = lines[1..]
        .iter()
        .find(|l| l["body"]["userId"] == "g-1")
        .unwrap();
    assert_eq!(
        again["webhook_id"], lines[0]["webhook_id"],
        "g-1's delivery is resent"
    );
    assert_signed_and_unique(&lines);
}

// ---------------------------------------------------------------------------------------
// 5. A hanging receiver slows neither ingestion nor another output.

#[test]
fn hanging_receiver_does_not_slow_ingestion() {
    let dir_probe = scratch_dir("journeys-hang-file");
    let file = dir_probe.join("deliveries.ndjson");
    let tail_toml = format!(
        "[[outputs]]\nid = \"file\"\nkind = \"file\"\npath = \"{}\"\n",
        file.display()
    );
    let h = Harness::start("journeys-hang", "", &tail_toml);
    let receiver = Receiver::start(&h.dir, "hook", Some("hang"));
    h.create_hook("hook", &receiver);
    let (status, file_output) = h.api("GET", "/api/outputs/file", None);
    assert_eq!(
        status, 200,
        "the configured file output exists: {file_output}"
    );
    let mut journey = entry_only("hang");
    journey["entry"]["connections"] = json!([
        connection("c_hook", "hook", true),
        connection("c_file", "file", true),
    ]);
    h.publish(journey);

    // The webhook is hanging before the load starts.
    assert_eq!(h.send(vec![track("warmup", "Signed Up", "warmup-s")]), 200);
    receiver.wait_for("the hanging request", |l| !l.is_empty());

    const EVENTS: usize = 2000;
    const BATCH: usize = 100;
    let started = Instant::now();
    let mut slowest = Duration::ZERO;
    for b in 0..EVENTS / BATCH {
        let batch: Vec<Value> = (0..BATCH)
            .map(|i| {
                let u = format!("load-{:04}", b * BATCH + i);
                track(&u, "Signed Up", &format!("{u}-s"))
            })
            .collect();
        let t = Instant::now();
        assert_eq!(h.send(batch), 200, "batch {b} is acknowledged");
        slowest = slowest.max(t.elapsed());
    }
    let took = started.elapsed();
    eprintln!(
        "ingested {EVENTS} events in {:.2}s ({:.0} events/s, slowest batch of {BATCH}: {} ms) \
         while the webhook hung",
        took.as_secs_f64(),
        EVENTS as f64 / took.as_secs_f64(),
        slowest.as_millis()
    );

    let lines = eventually(DEADLINE, || {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        (lines.len() > EVENTS).then_some(lines)
    })
    .unwrap_or_else(|| {
        panic!(
            "the file output never got {} lines (it has {}); outputs: {:#}",
            EVENTS + 1,
            std::fs::read_to_string(&file)
                .unwrap_or_default()
                .lines()
                .count(),
            h.api("GET", "/api/outputs", None).1
        )
    });
    eprintln!(
        "the file output had every delivery {:.2}s after the load started",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(lines.len(), EVENTS + 1);
    let users: BTreeSet<&str> = lines.iter().filter_map(|l| l["userId"].as_str()).collect();
    assert_eq!(users.len(), EVENTS + 1, "one delivery per user");
    let ids: BTreeSet<&str> = lines
        .iter()
        .filter_map(|l| l["messageId"].as_str())
        .collect();
    assert_eq!(ids.len(), EVENTS + 1);
    assert!(lines.iter().all(|l| l["event"] == "Audience Entered"));

    let hook = h.expect("GET", "/api/outputs/hook", None, 200);
    let stuck = hook["deliveries"]["pending"].as_u64().unwrap_or(0);
    assert!(
        stuck >= EVENTS as u64,
        "the hanging webhook's deliveries wait: {hook:#}"
    );
    assert!(
        receiver.lines().iter().all(|l| l["status"].is_null()),
        "the receiver answered nothing"
    );
}

// ---------------------------------------------------------------------------------------
// 6. Every error path of the journeys and outputs API.

fn assert_error(
    h: &Harness,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    code: &str,
) -> Value {
    let (got, value) = h.api(method, path, body);
    assert_eq!(
        (got, value["code"].as_str()),
        (status, Some(code)),
        "{method} {path}: {value:#}"
    );
    assert!(value["message"].is_string(), "{method} {path}: {value:#}");
    value
}

#[test]
fn api_errors_have_codes() {
    let h = Harness::start(
        "journeys-api-errors",
        "active_audience_limit = 1\npublished_journeys_per_workspace = 1",
        "",
    );
    let receiver = Receiver::start(&h.dir, "hook", None);

    // Authentication and authorisation.
    let (status, body) = h.raw("GET", "/api/journeys", None, None);
    assert_eq!(status, 401, "no token: {body}");
    assert!(body["code"].is_string(), "{body}");
    let (status, body) = h.raw("GET", "/api/outputs", Some("not-a-token"), None);
    assert_eq!(status, 401, "a wrong token: {body}");
    let hook = json!({"id": "hook", "kind": "webhook", "url": receiver.url(), "secret": SECRET});
    // A workspace token makes outputs of its own workspace (SPEC §1).
    let mine = json!({"id": "ws-hook", "kind": "webhook", "url": receiver.url(), "secret": SECRET});
    let bytes = mine.to_string().into_bytes();
    let (status, body) = h.raw("POST", "/api/outputs", Some(WS_TOKEN), Some(&bytes));
    assert_eq!(
        status, 201,
        "a workspace token makes its own outputs: {body}"
    );
    assert!(body["owner"]["workspace"].is_string(), "{body}");

    // Outputs.
    h.create_hook("hook", &receiver);
    assert_error(
        &h,
        "POST",
        "/api/outputs",
        Some(hook.clone()),
        409,
        "already_exists",
    );
    assert_error(
        &h,
        "POST",
        "/api/outputs",
        Some(json!({"id": "nourl", "kind": "webhook"})),
        422,
        "invalid_output",
    );
    assert_error(&h, "GET", "/api/outputs/missing", None, 404, "not_found");

    // Invalid JSON.
    for path in ["/api/journeys", "/api/outputs"] {
        let (status, body) = h.raw("POST", path, Some(TOKEN), Some(b"{\"id\": "));
        assert_eq!(
            (status, body["code"].as_str()),
            (400, Some("invalid_body")),
            "POST {path} with broken JSON: {body}"
        );
    }

    // Invalid journeys.
    let bad = json!({"id": "bad", "name": "Bad", "entry": {"id": "entry", "name": "Entry",
        "criteria": {"event": "Signed Up"},
        "steps": [{"id": "w", "name": "W", "type": "wait"}]}});
    let err = assert_error(
        &h,
        "POST",
        "/api/journeys",
        Some(bad),
        422,
        "invalid_journey",
    );
    let problems = err["problems"].as_array().expect("problems");
    assert!(!problems.is_empty(), "{err:#}");
    for p in problems {
        for field in ["path", "code", "message"] {
            assert!(p[field].is_string(), "problem without `{field}`: {err:#}");
        }
    }
    let mut unknown = entry_only("unknown");
    unknown["entry"]["connections"] = json!([connection("c", "nope", true)]);
    assert_error(
        &h,
        "POST",
        "/api/journeys",
        Some(unknown),
        422,
        "unknown_output",
    );

    // A journey with a step, the hook active on its entry (one audience credit).
    let mut a = onboarding("a", "1h");
    a["entry"]["steps"][0]["steps"][0]["connections"] =
        json!([connection("c_send", "hook", false)]);
    h.expect("POST", "/api/journeys", Some(a.clone()), 201);
    assert_error(
        &h,
        "POST",
        "/api/journeys",
        Some(a.clone()),
        409,
        "already_exists",
    );
    assert_error(&h, "GET", "/api/journeys/missing", None, 404, "not_found");
    assert_error(
        &h,
        "POST",
        "/api/journeys/missing/publish",
        None,
        404,
        "not_found",
    );
    assert_error(
        &h,
        "PATCH",
        "/api/journeys/missing",
        Some(json!({"name": "x"})),
        404,
        "not_found",
    );
    assert_error(
        &h,
        "POST",
        "/api/journeys/a/stop",
        None,
        409,
        "not_published",
    );
    assert_error(&h, "DELETE", "/api/journeys/a", None, 409, "not_deletable");
    assert_error(
        &h,
        "DELETE",
        "/api/outputs/hook",
        None,
        409,
        "output_in_use",
    );
    let published = h.expect("POST", "/api/journeys/a/publish", None, 200);
    assert_eq!(published["status"], "published");
    assert_error(
        &h,
        "POST",
        "/api/journeys/a/publish",
        None,
        409,
        "already_published",
    );

    let account = h.expect("GET", "/api/account", None, 200);
    assert_eq!(account["activated_audiences"], 1, "{account:#}");
    assert_eq!(account["available_audiences"], 0, "{account:#}");

    // Activating the send step's connection would take a second credit.
    let mut more = a.clone();
    more["entry"]["steps"][0]["steps"][0]["connections"] =
        json!([connection("c_send", "hook", true)]);
    assert_error(
        &h,
        "PATCH",
        "/api/journeys/a",
        Some(more),
        409,
        "audience_limit_reached",
    );
    let after = h.expect("GET", "/api/journeys/a", None, 200);
    assert_eq!(
        after["version"], 1,
        "the refused edit changed nothing: {after:#}"
    );
    assert_eq!(
        after["definition"]["entry"]["steps"][0]["steps"][0]["connections"][0]["active"],
        false
    );

    // A second published journey in the workspace is over the limit of 1.
    let mut b = entry_only("b");
    b["entry"]["connections"] = json!([connection("c_entry", "hook", false)]);
    h.expect("POST", "/api/journeys", Some(b), 201);
    assert_error(
        &h,
        "POST",
        "/api/journeys/b/publish",
        None,
        409,
        "published_journey_limit_reached",
    );
    // A draft with no steps below its entry can be deleted.
    let (status, body) = h.api("DELETE", "/api/journeys/b", None);
    assert_eq!(status, 204, "{body}");
    assert_error(&h, "GET", "/api/journeys/b", None, 404, "not_found");

    // A stopped journey cannot be published again.
    h.expect("POST", "/api/journeys/a/stop", None, 200);
    assert_error(
        &h,
        "POST",
        "/api/journeys/a/stop",
        None,
        409,
        "not_published",
    );
    assert_error(&h, "POST", "/api/journeys/a/publish", None, 409, "stopped");
}

// ---------------------------------------------------------------------------------------
// 7. Versions, clone and stop.

/// Publishes `promo` v1 (entry on "Signed Up"), lets v1-a and v1-b enter it, then makes
/// v2 (only "pro" sign-ups) by a criteria change and publishes it.
fn two_versions(test: &str) -> (Harness, Receiver, Value) {
    let h = Harness::start(test, "", "");
    let receiver = Receiver::start(&h.dir, "hook", None);
    h.create_hook("hook", &receiver);
    let v1 = h.publish(entry_only("promo"));

    let batch = ["v1-a", "v1-b"]
        .iter()
        .map(|u| track(u, "Signed Up", &format!("{u}-s1")))
        .collect();
    assert_eq!(h.send(batch), 200);
    receiver.wait_for("the v1 entries", |l| l.len() >= 2);

    // A criteria change cannot apply in place: it makes version 2, a draft (201: something
    // new was made).
    let mut entry = v1["definition"]["entry"].clone();
    entry["criteria"] = json!({"event": "Signed Up",
        "where": [{"property": "plan", "op": "eq", "value": "pro"}]});
    let patched = h.expect(
        "PATCH",
        "/api/journeys/promo",
        Some(json!({"entry": entry})),
        201,
    );
    assert_eq!(patched["version"], 2, "{patched:#}");
    assert_eq!(patched["status"], "published", "v1 still runs: {patched:#}");
    assert_eq!(patched["draft_version"], 2, "{patched:#}");
    assert_eq!(patched["latest_status"], "draft", "{patched:#}");
    assert_eq!(patched["versions"][0]["status"], "published", "{patched:#}");
    assert_eq!(patched["versions"][1]["status"], "draft", "{patched:#}");
    assert_eq!(patched["keys"], v1["keys"], "a new version keeps the keys");
    let got = h.expect("GET", "/api/journeys/promo", None, 200);
    assert_eq!(got["versions"][0]["status"], "published", "{got:#}");
    assert_eq!(
        got["definition"]["entry"]["criteria"]["where"][0]["value"], "pro",
        "{got:#}"
    );

    let v2 = h.expect("POST", "/api/journeys/promo/publish", None, 200);
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["versions"][0]["status"], "published", "{v2:#}");
    assert_eq!(v2["versions"][1]["status"], "published", "{v2:#}");
    assert!(v2["versions"][0]["closed_at"].is_string(), "{v2:#}");
    (h, receiver, v1)
}

fn pro_signup(user: &str, id: &str) -> Value {
    json!({"type": "track", "event": "Signed Up", "userId": user, "messageId": id,
           "properties": {"plan": "pro"}})
}

/// Polls the stats until versions 1 and 2 hold these many users.
fn wait_in_journey(h: &Harness, v1: u64, v2: u64) -> Value {
    eventually(DEADLINE, || {
        let s = h.expect("GET", "/api/journeys/promo/stats", None, 200);
        let of = |n: u64| {
            s["versions"]
                .as_array()
                .and_then(|a| a.iter().find(|v| v["version"] == n).cloned())
        };
        let (one, two) = (of(1)?, of(2)?);
        (one["in_journey"] == v1 && two["in_journey"] == v2).then_some(s)
    })
    .unwrap_or_else(|| {
        panic!(
            "stats never showed {v1} users in v1 and {v2} in v2: {:#}",
            h.expect("GET", "/api/journeys/promo/stats", None, 200)
        )
    })
}

#[test]
fn versions_clone_and_stop() {
    let (h, receiver, v1) = two_versions("journeys-versions");
    let key = v1["keys"]["entry"].as_str().unwrap().to_string();

    // A new entrant goes to v2; the v1 users stay in v1.
    assert_eq!(h.send(vec![pro_signup("v2-a", "v2-a-s")]), 200);
    let lines = receiver.wait_for("the v2 entry", |l| !of_user(l, "v2-a").is_empty());
    let first = of_user(&lines, "v2-a")[0];
    assert_eq!(
        first["body"]["context"]["personas"]["version"], 2,
        "{first}"
    );
    assert_eq!(first["body"]["properties"]["audience_key"], key.as_str());
    let stats = wait_in_journey(&h, 2, 1);
    for (version, entered) in [(1, 2), (2, 1)] {
        let v = stats["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["version"] == version)
            .unwrap();
        assert_eq!(v["entered"], entered, "{stats:#}");
    }

    // Clone: a new id and new keys.
    let clone = h.expect(
        "POST",
        "/api/journeys/promo/clone",
        Some(json!({"id": "promo2"})),
        201,
    );
    assert_eq!(clone["id"], "promo2");
    assert_eq!(clone["status"], "draft");
    assert_ne!(clone["keys"]["entry"], v1["keys"]["entry"], "{clone:#}");
    let old_keys: Vec<&Value> = v1["keys"].as_object().unwrap().values().collect();
    assert!(
        clone["keys"]
            .as_object()
            .unwrap()
            .values()
            .all(|k| !old_keys.contains(&k)),
        "a clone gets new keys: {clone:#}"
    );
    let clone_default = h.expect("POST", "/api/journeys/promo/clone", None, 201);
    assert_ne!(clone_default["id"], "promo");
    assert_ne!(clone_default["keys"]["entry"], v1["keys"]["entry"]);

    // Stop: everyone leaves, exits are delivered under their version.
    let stopped = h.expect("POST", "/api/journeys/promo/stop", None, 200);
    assert_eq!(stopped["status"], "stopped", "{stopped:#}");
    let lines = receiver.wait_for("the exits", |l| {
        l.iter()
            .filter(|x| x["body"]["event"] == "Audience Exited")
            .count()
            >= 3
    });
    let exits: BTreeMap<String, Value> = lines
        .iter()
        .filter(|x| x["body"]["event"] == "Audience Exited")
        .map(|x| {
            (
                x["body"]["userId"].as_str().unwrap().to_string(),
                x["body"]["context"]["personas"]["version"].clone(),
            )
        })
        .collect();
    assert_eq!(
        exits,
        BTreeMap::from([
            ("v1-a".to_string(), json!(1)),
            ("v1-b".to_string(), json!(1)),
            ("v2-a".to_string(), json!(2)),
        ]),
        "{}",
        summary(&lines)
    );
    assert_signed_and_unique(&lines);
    let got = h.expect("GET", "/api/journeys/promo", None, 200);
    assert_eq!(got["status"], "stopped", "{got:#}");
    assert!(
        got["versions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["status"] == "stopped" && v["stopped_at"].is_string()),
        "{got:#}"
    );
    // A new draft after the stop: the journey shows both, stopped with a draft waiting.
    let drafted = h.expect("POST", "/api/journeys/promo/versions", None, 201);
    assert_eq!(drafted["status"], "stopped", "{drafted:#}");
    assert_eq!(drafted["draft_version"], 3, "{drafted:#}");
    assert_eq!(drafted["latest_status"], "draft", "{drafted:#}");
}

/// SPEC §7/§9: a user may enter only when not in the journey, and users already in an older
/// version finish there: a v1 member who sends another matching event after v2 is
/// published must not also enter v2.
#[test]
fn v1_member_does_not_also_enter_v2() {
    let (h, receiver, _) = two_versions("journeys-v1-member");
    // v2-a in the same batch, after v1-a: once its entry is seen, v1-a's event was applied.
    assert_eq!(
        h.send(vec![
            pro_signup("v1-a", "v1-a-s2"),
            pro_signup("v2-a", "v2-a-s")
        ]),
        200
    );
    receiver.wait_for("the v2 entry", |l| !of_user(l, "v2-a").is_empty());
    // Anything for v1-a was queued with v2-a's entry: once three deliveries in all are
    // made and nothing waits, a wrong entry of v1-a would have been sent.
    h.wait_count("hook", "delivered", 3);
    assert_eq!(h.count("hook", "pending"), 0);
    let lines = receiver.lines();
    assert_eq!(
        of_user(&lines, "v1-a").len(),
        1,
        "v1-a entered once, in v1:\n{}",
        summary(&lines)
    );
    wait_in_journey(&h, 2, 1);
}
