//! The real, unmodified analytics clients against a real `waymark serve`.
//!
//! The clients are installed once per target directory from the pins in `tests/clients`
//! (`requirements.txt` with pip, `package.json` + `package-lock.json` with `npm ci`) into
//! `target/tmp/waymark-clients/`; a missing toolchain or registry fails these tests, it never
//! skips them. Each test starts its own server (port 0, temporary data directory, inputs and
//! an admin token from a config file), runs one client script from `tests/clients` through a
//! recording proxy, and then reads what the server kept through the admin API:
//! the profile (by user id and by the aliased anonymous id: one profile), its exact traits,
//! identities, anonymous ids, consent and event count, and every event's type, name,
//! properties, ids, input and time.
//!
//! The Segment-style clients are segment-analytics-python, rudder-sdk-python,
//! @segment/analytics-node and @rudderstack/rudder-sdk-node, each with its default options.
//! For the Segment-style clients the proxy loses the server's first answer (the batch is
//! stored, the client is told 503): the client retries the whole batch, and the exact event
//! counts show that `messageId` deduplication kept one copy. Each script also sends one
//! message twice under one `messageId`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use waymark_engine::time::parse_instant;

use crate::installs::{install, pip_target, run_installer};
use crate::live::{Exchange, Proxy, Server, tail, write_config};
use crate::support::{scratch_dir, workspace_root};

const WORKSPACE: &str = "shop";
const TOKEN: &str = "wm_test_clients_token";
/// The longest a client script may run.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

/// Workspace, inputs (one per client) and an admin token.
const CONFIG: &str = r#"
[[workspaces]]
id = "shop"

[[inputs]]
workspace = "shop"
id = "segment-python"
kind = "server"
write_key = "wk_segment_python"

[[inputs]]
workspace = "shop"
id = "rudder-python"
kind = "server"
write_key = "wk_rudder_python"

[[inputs]]
workspace = "shop"
id = "segment-node"
kind = "server"
write_key = "wk_segment_node"

[[inputs]]
workspace = "shop"
id = "rudder-node"
kind = "server"
write_key = "wk_rudder_node"

[[inputs]]
workspace = "shop"
id = "mparticle"
kind = "ios"
write_key = "mp_key_test"
secret = "mp_secret_test"

[[tokens]]
name = "client tests"
token = "wm_test_clients_token"
"#;

// ---------------------------------------------------------------------------------------
// Installing the clients.

static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
static NODE: OnceLock<Result<PathBuf, String>> = OnceLock::new();

fn clients_dir() -> PathBuf {
    workspace_root().join("tests/clients")
}

/// The pip `--target` directory holding the pinned Python clients (installed on first use).
pub(crate) fn python_clients() -> &'static Path {
    let installed = PYTHON
        .get_or_init(|| pip_target("waymark-clients", &clients_dir().join("requirements.txt")));
    match installed {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

/// The npm prefix holding the pinned Node client in `node_modules` (installed on first use).
fn node_clients() -> &'static Path {
    let installed = NODE.get_or_init(|| {
        install(
            "waymark-clients",
            "node",
            &clients_dir(),
            &["package.json", "package-lock.json"],
            |dir| {
                for file in ["package.json", "package-lock.json"] {
                    std::fs::copy(clients_dir().join(file), dir.join(file))
                        .map_err(|e| format!("cannot copy tests/clients/{file}: {e}"))?;
                }
                let mut cmd = Command::new("npm");
                cmd.args([
                    "ci",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    "--prefix",
                ])
                .arg(dir)
                .current_dir(dir);
                run_installer(cmd, "the Node client (node and npm, and the npm registry)")
            },
        )
    });
    match installed {
        Ok(dir) => dir,
        Err(e) => panic!("{e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Running a client against a server.

/// A server with the clients' configuration, and a proxy in front of it.
struct Setup {
    server: Server,
    proxy: Proxy,
}

impl Setup {
    fn start(test: &str, lose: usize) -> Setup {
        let dir = scratch_dir(test);
        let config = write_config(&dir, CONFIG);
        let server = Server::start(&dir.join("data"), &config);
        let proxy = Proxy::start(server.addr, lose);
        Setup { server, proxy }
    }

    /// Runs a client to completion; panics with everything useful when it fails.
    fn run(&self, mut cmd: Command, what: &str) -> Duration {
        let shown = format!("{cmd:?}");
        let started = Instant::now();
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run the {what} client ({shown}): {e}"));
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let out = thread::spawn(move || {
            let mut text = String::new();
            let _ = stdout.read_to_string(&mut text);
            text
        });
        let err = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for the client") {
                break Some(status);
            }
            if started.elapsed() > CLIENT_TIMEOUT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(20));
        };
        let elapsed = started.elapsed();
        let (out, err) = (
            out.join().unwrap_or_default(),
            err.join().unwrap_or_default(),
        );
        match status {
            Some(s) if s.success() => {
                eprintln!("{what} client ran in {:.2}s", elapsed.as_secs_f64());
                elapsed
            }
            status => panic!(
                "the {what} client failed ({}): {shown}\nstdout:\n{out}\nstderr:\n{err}\n\
                 requests through the proxy:\n{}\nserver output (tail):\n{}",
                status.map_or_else(
                    || format!("killed after {}s", CLIENT_TIMEOUT.as_secs()),
                    |s| s.to_string()
                ),
                summary(&self.proxy.exchanges()),
                tail(&self.server.output(), 40)
            ),
        }
    }

    fn profile(&self, id: &str) -> Value {
        let (status, body) = self
            .server
            .get_json(&format!("/api/workspaces/{WORKSPACE}/profiles/{id}"), TOKEN);
        assert_eq!(status, 200, "GET profile `{id}`: {body}");
        body
    }

    fn events(&self, id: &str) -> Vec<Value> {
        let (status, body) = self.server.get_json(
            &format!("/api/workspaces/{WORKSPACE}/profiles/{id}/events?limit=1000"),
            TOKEN,
        );
        assert_eq!(status, 200, "GET events of `{id}`: {body}");
        body["events"]
            .as_array()
            .unwrap_or_else(|| panic!("no `events` array: {body}"))
            .clone()
    }
}

/// One line per exchange, for failure messages.
fn summary(exchanges: &[Exchange]) -> String {
    exchanges
        .iter()
        .map(|x| {
            format!(
                "  {} {} -> server {:?}, client got {}",
                x.method, x.path, x.upstream, x.replied
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn python(script: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(clients_dir().join(script))
        .args(args)
        .env("PYTHONPATH", python_clients())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .current_dir(scratch_dir(&format!("cwd-{}", script.replace('.', "-"))));
    cmd
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn instant(event: &Value, field: &str) -> i64 {
    let text = event[field]
        .as_str()
        .unwrap_or_else(|| panic!("`{field}` is not a string in {event}"));
    parse_instant(text).unwrap_or_else(|| panic!("`{field}` is not an instant: {text}"))
}

/// `(type, event name)` of every event, sorted.
fn kinds(events: &[Value]) -> Vec<(String, Option<String>)> {
    let mut kinds: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("?").to_string(),
                e["event"].as_str().map(str::to_string),
            )
        })
        .collect();
    kinds.sort();
    kinds
}

fn expected_kinds(list: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    let mut kinds: Vec<_> = list
        .iter()
        .map(|(t, n)| (t.to_string(), n.map(str::to_string)))
        .collect();
    kinds.sort();
    kinds
}

/// The one event of this type and name.
fn one<'a>(events: &'a [Value], kind: &str, name: Option<&str>) -> &'a Value {
    let found: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == kind && e["event"].as_str() == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected exactly one {kind} {name:?} event, found {}: {found:#?}",
        found.len()
    );
    found[0]
}

fn assert_unique_message_ids(events: &[Value]) {
    let mut seen = BTreeMap::new();
    for e in events {
        let id = e["messageId"]
            .as_str()
            .unwrap_or_else(|| panic!("an event without a messageId: {e}"));
        *seen.entry(id.to_string()).or_insert(0) += 1;
    }
    let repeated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated messageIds: {repeated:?}");
}

/// The stable part of a profile, to compare exactly.
fn profile_core(profile: &Value) -> Value {
    json!({
        "user_id": profile["user_id"],
        "anonymous_ids": profile["anonymous_ids"],
        "identities": profile["identities"],
        "traits": profile["traits"],
        "consent": profile["consent"],
        "event_count": profile["event_count"],
        "merged_profiles": profile["merged_profiles"],
    })
}

// ---------------------------------------------------------------------------------------
// The Segment-style clients: one journey, three libraries.

/// What one Segment-style script sends and how its library shows up.
struct SegmentCase {
    /// Test name (scratch directory).
    test: &'static str,
    /// Input id in the config.
    input: &'static str,
    user: &'static str,
    anon: &'static str,
    /// `context.library` the library stamps.
    library: Value,
    user_agent: &'static str,
    /// The media type of the library's `Content-Type`.
    content_type: &'static str,
    /// Whether the library gzips its bodies.
    gzip: bool,
    /// Identify traits travel in `context.traits` (RudderStack) instead of `traits`.
    traits_in_context: bool,
    traits: Value,
    email: &'static str,
    consent: Value,
    order_properties: Value,
    /// Consent rides on the identify (else on Order Completed).
    consent_on_identify: bool,
    /// The script also sends `Trial Started` at 2024-01-02T03:04:05Z.
    historical: bool,
    dup_message_id: &'static str,
}

impl SegmentCase {
    fn expected_kinds(&self) -> Vec<(String, Option<String>)> {
        let mut list = vec![
            ("page", Some("Page Viewed")),
            ("track", Some("Product Viewed")),
            ("identify", None),
            ("track", Some("Order Completed")),
            ("screen", Some("Screen Viewed")),
            ("alias", None),
            ("track", Some("Coupon Applied")),
            ("track", Some("Newsletter Subscribed")),
        ];
        if self.historical {
            list.push(("track", Some("Trial Started")));
        }
        expected_kinds(&list)
    }

    /// Runs the client through a proxy that loses the first answer, then checks everything.
    fn run(&self, client: impl FnOnce(&str) -> Command, what: &str) {
        let setup = Setup::start(self.test, 1);
        let started = now_ms();
        setup.run(client(&setup.proxy.url()), what);
        let finished = now_ms();
        self.check_wire(&setup.proxy.exchanges());
        self.check_profile(&setup, started, finished);
    }

    /// What went over the wire: `/v1/batch` only, all accepted by the server, the first
    /// answer lost and the batch retried; the library's own headers and encoding.
    fn check_wire(&self, exchanges: &[Exchange]) {
        let all = summary(exchanges);
        assert!(
            exchanges.len() >= 2,
            "expected the lost batch and its retry, saw:\n{all}"
        );
        for x in exchanges {
            assert_eq!(
                (x.method.as_str(), x.path.as_str()),
                ("POST", "/v1/batch"),
                "{all}"
            );
            assert_eq!(x.upstream, Ok(200), "the server refused a batch:\n{all}");
            assert_eq!(x.header("user-agent"), Some(self.user_agent), "{x:?}");
            let media = x
                .header("content-type")
                .and_then(|c| c.split(';').next())
                .map(str::trim);
            assert_eq!(media, Some(self.content_type), "{x:?}");
            let auth = x.header("authorization").unwrap_or("");
            assert!(auth.starts_with("Basic "), "no Basic auth: {x:?}");
            if self.gzip {
                assert_eq!(x.header("content-encoding"), Some("gzip"), "{x:?}");
                assert!(x.body.starts_with(&[0x1f, 0x8b]), "the body is not gzip");
            } else {
                assert_eq!(x.header("content-encoding"), None, "{x:?}");
                assert!(x.body.starts_with(b"{"), "the body is not plain JSON");
            }
        }
        let lost: Vec<usize> = (0..exchanges.len())
            .filter(|&i| exchanges[i].replied == 503)
            .collect();
        assert_eq!(lost.len(), 1, "exactly one answer is lost:\n{all}");
        assert!(
            lost[0] + 1 < exchanges.len(),
            "the client retried after the lost answer:\n{all}"
        );
        assert!(
            exchanges
                .iter()
                .all(|x| x.replied == 200 || x.replied == 503),
            "every other batch is acknowledged:\n{all}"
        );
    }

    fn check_profile(&self, setup: &Setup, started: i64, finished: i64) {
        let by_user = setup.profile(self.user);
        let by_anon = setup.profile(self.anon);
        let expected_count = self.expected_kinds().len();
        assert_eq!(
            profile_core(&by_user),
            json!({
                "user_id": self.user,
                "anonymous_ids": [self.anon],
                "identities": {"email": self.email},
                "traits": self.traits,
                "consent": self.consent,
                "event_count": expected_count,
                "merged_profiles": 1,
            }),
            "the profile of `{}`: {by_user:#}",
            self.user
        );
        assert_eq!(by_anon, by_user, "the alias made one profile of both ids");
        let since = by_user["trait_since"].as_object().expect("trait_since");
        let mut since_keys: Vec<_> = since.keys().collect();
        since_keys.sort();
        let mut trait_keys: Vec<_> = self.traits.as_object().unwrap().keys().collect();
        trait_keys.sort();
        assert_eq!(since_keys, trait_keys, "trait_since covers every trait");

        let events = setup.events(self.user);
        assert_eq!(
            setup.events(self.anon),
            events,
            "the anonymous id reaches the merged history"
        );
        assert_eq!(kinds(&events), self.expected_kinds(), "events: {events:#?}");
        assert_eq!(
            events.len(),
            expected_count,
            "no duplicates despite the retry"
        );
        assert_unique_message_ids(&events);

        for e in &events {
            assert_eq!(e["input"], self.input, "{e}");
            assert_eq!(e["context"]["library"], self.library, "{e}");
            let received = instant(e, "receivedAt");
            assert!(
                (started - 1000..=finished + 1000).contains(&received),
                "receivedAt outside the run: {e}"
            );
            if e["event"] != "Trial Started" {
                let at = instant(e, "timestamp");
                assert!(
                    (started - 5000..=finished + 5000).contains(&at),
                    "timestamp outside the run: {e}"
                );
            }
        }

        let anonymous = json!({"userId": null, "anonymousId": self.anon});
        let identified = json!({"userId": self.user, "anonymousId": null});
        let ids = |e: &Value| json!({"userId": e["userId"], "anonymousId": e["anonymousId"]});

        let page = one(&events, "page", Some("Page Viewed"));
        assert_eq!(ids(page), anonymous, "{page}");
        assert_eq!(
            page["properties"],
            json!({"url": "https://example.com/pricing", "path": "/pricing",
                   "name": "Pricing", "category": "Docs"}),
            "page name and category are among the properties"
        );

        let viewed = one(&events, "track", Some("Product Viewed"));
        assert_eq!(ids(viewed), anonymous, "{viewed}");
        assert_eq!(viewed["properties"], json!({"sku": "X1", "price": 9.5}));

        let identify = one(&events, "identify", None);
        assert_eq!(ids(identify), identified, "{identify}");
        assert_eq!(
            identify["traits"], self.traits,
            "identify traits: {identify}"
        );
        if self.traits_in_context {
            assert_eq!(
                identify["context"]["traits"], self.traits,
                "the traits arrived in context.traits: {identify}"
            );
        } else {
            assert!(
                identify["context"].get("traits").is_none(),
                "the traits arrived top-level: {identify}"
            );
        }

        let order = one(&events, "track", Some("Order Completed"));
        assert_eq!(ids(order), identified, "{order}");
        assert_eq!(order["properties"], self.order_properties);
        let consent_carrier = if self.consent_on_identify {
            identify
        } else {
            order
        };
        assert_eq!(
            consent_carrier["context"]["consent"],
            json!({"categoryPreferences": self.consent}),
            "{consent_carrier}"
        );

        let screen = one(&events, "screen", Some("Screen Viewed"));
        assert_eq!(ids(screen), identified, "{screen}");
        assert_eq!(screen["properties"], json!({"tab": "feed", "name": "Home"}));

        let alias = one(&events, "alias", None);
        assert_eq!(alias["userId"], self.user, "{alias}");

        let coupon = one(&events, "track", Some("Coupon Applied"));
        assert_eq!(ids(coupon), anonymous, "sent after the alias: {coupon}");
        assert_eq!(coupon["properties"], json!({"code": "SPRING"}));

        let newsletter = one(&events, "track", Some("Newsletter Subscribed"));
        assert_eq!(newsletter["messageId"], self.dup_message_id, "{newsletter}");
        assert_eq!(newsletter["properties"], json!({"list": "weekly"}));

        if self.historical {
            let trial = one(&events, "track", Some("Trial Started"));
            let expected = parse_instant("2024-01-02T03:04:05Z").unwrap();
            let at = instant(trial, "timestamp");
            assert!(
                (at - expected).abs() <= 10_000,
                "a historical timestamp survives skew correction: {trial}"
            );
            assert_eq!(by_user["first_seen"], trial["timestamp"], "{by_user}");
        } else {
            let first_seen = instant(&by_user, "first_seen");
            assert!(first_seen >= started - 5000, "{by_user}");
        }
    }
}

#[test]
fn clients_segment_python() {
    let case = SegmentCase {
        test: "clients-segment-python",
        input: "segment-python",
        user: "seg-py-user",
        anon: "seg-py-anon",
        library: json!({"name": "analytics-python", "version": "2.4.0"}),
        user_agent: "analytics-python/2.4.0",
        content_type: "application/json",
        gzip: false,
        traits_in_context: false,
        traits: json!({"email": "ada@example.com", "name": "Ada Lovelace", "plan": "pro",
                       "address": {"city": "London", "state": "LDN"}}),
        email: "ada@example.com",
        consent: json!({"marketing": true, "analytics": false}),
        order_properties: json!({"revenue": 42.5, "currency": "EUR",
                                 "products": [{"sku": "X1", "quantity": 2}]}),
        consent_on_identify: false,
        historical: true,
        dup_message_id: "seg-py-dup-1",
    };
    case.run(
        |url| python("segment_python.py", &[url, "wk_segment_python"]),
        "segment-analytics-python",
    );
}

#[test]
fn clients_rudder_python_gzip() {
    let case = SegmentCase {
        test: "clients-rudder-python",
        input: "rudder-python",
        user: "rudder-py-user",
        anon: "rudder-py-anon",
        library: json!({"name": "analytics-python", "version": "2.1.9"}),
        user_agent: "analytics-python/2.1.9",
        content_type: "application/json",
        gzip: true,
        traits_in_context: true,
        traits: json!({"email": "grace@example.com", "name": "Grace Hopper", "plan": "team",
                       "address": {"city": "Arlington", "state": "VA"}}),
        email: "grace@example.com",
        consent: json!({"marketing": false, "analytics": true}),
        order_properties: json!({"revenue": 19.99, "currency": "USD",
                                 "products": [{"sku": "R2", "quantity": 1}]}),
        consent_on_identify: true,
        historical: false,
        dup_message_id: "rudder-py-dup-1",
    };
    case.run(
        |url| python("rudder_python.py", &[url, "wk_rudder_python"]),
        "rudder-sdk-python",
    );
}

/// A copy of the Node script `name` (`segment_node`) beside the installed node_modules:
/// ES modules resolve packages from the script's own directory.
fn node_script(name: &str) -> PathBuf {
    let script = node_clients().join(format!("{name}-{}.mjs", std::process::id()));
    std::fs::copy(clients_dir().join(format!("{name}.mjs")), &script)
        .unwrap_or_else(|e| panic!("cannot copy {name}.mjs: {e}"));
    script
}

/// `node SCRIPT URL KEY`, run from beside the installed node_modules.
fn node(script: &Path, url: &str, key: &str) -> Command {
    let mut cmd = Command::new("node");
    cmd.arg(script)
        .arg(url)
        .arg(key)
        .current_dir(node_clients());
    cmd
}

#[test]
fn clients_segment_node() {
    let script = node_script("segment_node");
    let case = SegmentCase {
        test: "clients-segment-node",
        input: "segment-node",
        user: "seg-node-user",
        anon: "seg-node-anon",
        library: json!({"name": "@segment/analytics-node", "version": "3.1.0"}),
        user_agent: "analytics-node-next/latest",
        content_type: "application/json",
        gzip: false,
        traits_in_context: false,
        traits: json!({"email": "linus@example.com", "name": "Linus Pauling",
                       "plan": "enterprise", "address": {"city": "Portland", "state": "OR"}}),
        email: "linus@example.com",
        consent: json!({"marketing": true, "analytics": true}),
        order_properties: json!({"revenue": 99, "currency": "USD",
                                 "products": [{"sku": "N3", "quantity": 3}]}),
        consent_on_identify: false,
        historical: false,
        dup_message_id: "seg-node-dup-1",
    };
    case.run(
        |url| node(&script, url, "wk_segment_node"),
        "@segment/analytics-node",
    );
    let _ = std::fs::remove_file(&script);
}

/// RudderStack's Node library with its default options gzips every body and labels it
/// `application/x-www-form-urlencoded` (a 415 would lose every event: it treats 4xx as
/// final).
#[test]
fn clients_rudder_node_gzip_labelled_form_urlencoded() {
    let script = node_script("rudder_node");
    let case = SegmentCase {
        test: "clients-rudder-node",
        input: "rudder-node",
        user: "rudder-node-user",
        anon: "rudder-node-anon",
        library: json!({"name": "analytics-node", "version": "3.0.13"}),
        user_agent: "analytics-node/3.0.13",
        content_type: "application/x-www-form-urlencoded",
        gzip: true,
        traits_in_context: true,
        traits: json!({"email": "rosalind@example.com", "name": "Rosalind Franklin",
                       "plan": "team", "address": {"city": "London", "state": "LDN"}}),
        email: "rosalind@example.com",
        consent: json!({"marketing": false, "analytics": false}),
        order_properties: json!({"revenue": 12.5, "currency": "GBP",
                                 "products": [{"sku": "RN4", "quantity": 4}]}),
        consent_on_identify: false,
        historical: false,
        dup_message_id: "rudder-node-dup-1",
    };
    case.run(
        |url| node(&script, url, "wk_rudder_node"),
        "@rudderstack/rudder-sdk-node",
    );
    let _ = std::fs::remove_file(&script);
}

// ---------------------------------------------------------------------------------------
// mParticle's Events API.

#[test]
fn clients_mparticle_python() {
    let setup = Setup::start("clients-mparticle-python", 0);
    let started = now_ms();
    setup.run(
        python(
            "mparticle_python.py",
            &[&setup.proxy.url(), "mp_key_test", "mp_secret_test"],
        ),
        "mparticle",
    );
    let finished = now_ms();

    let exchanges = setup.proxy.exchanges();
    let all = summary(&exchanges);
    let calls: Vec<_> = exchanges
        .iter()
        .map(|x| {
            (
                x.method.as_str(),
                x.path.as_str(),
                x.upstream.clone(),
                x.replied,
            )
        })
        .collect();
    assert_eq!(
        calls,
        vec![
            ("POST", "/v2/events", Ok(202), 202),
            ("POST", "/v2/events", Ok(202), 202),
            ("POST", "/v2/bulkevents", Ok(202), 202),
        ],
        "{all}"
    );
    for x in &exchanges {
        assert_eq!(
            x.header("user-agent"),
            Some("mParticle Python client/0.16.0"),
            "{x:?}"
        );
        assert!(
            x.header("authorization")
                .unwrap_or("")
                .starts_with("Basic "),
            "{x:?}"
        );
    }

    let by_customer = setup.profile("mp-cust-1");
    let by_mpid = setup.profile("8812345");
    assert_eq!(
        profile_core(&by_customer),
        json!({
            "user_id": "mp-cust-1",
            "anonymous_ids": ["8812345"],
            "identities": {"customer_id": "mp-cust-1", "email": "katherine@example.com",
                           "mpid": "8812345"},
            "traits": {"plan": "gold", "tags": ["beta", "vip"], "city": "Hampton"},
            "consent": {"marketing": true},
            "event_count": 6,
            "merged_profiles": 0,
        }),
        "{by_customer:#}"
    );
    assert_eq!(by_mpid, by_customer, "the mpid reaches the same profile");

    let events = setup.events("mp-cust-1");
    assert_eq!(setup.events("8812345"), events);
    assert_eq!(
        kinds(&events),
        expected_kinds(&[
            ("identify", None),
            ("identify", None),
            ("track", Some("Added to Cart")),
            ("screen", Some("Screen Viewed")),
            ("track", Some("eCommerce - Purchase")),
            ("track", Some("Checkout Started")),
        ]),
        "the repeated batch added nothing: {events:#?}"
    );
    assert_unique_message_ids(&events);
    for e in &events {
        assert_eq!(e["input"], "mparticle", "{e}");
        assert_eq!(e["userId"], "mp-cust-1", "{e}");
        assert_eq!(e["anonymousId"], "8812345", "{e}");
        assert_eq!(e["context"]["environment"], "development", "{e}");
        for field in ["timestamp", "receivedAt"] {
            let at = instant(e, field);
            assert!(
                (started - 1000..=finished + 1000).contains(&at),
                "{field} outside the run: {e}"
            );
        }
    }

    let identifies: Vec<&Value> = events.iter().filter(|e| e["type"] == "identify").collect();
    let mut traits: Vec<&Value> = identifies.iter().map(|e| &e["traits"]).collect();
    traits.sort_by_key(|t| t.to_string());
    assert_eq!(
        traits,
        vec![
            &json!({"city": "Hampton", "plan": "silver", "tags": ["beta", "vip"]}),
            &json!({"plan": "gold"}),
        ],
        "user_attributes as identify traits"
    );

    let cart = one(&events, "track", Some("Added to Cart"));
    assert_eq!(cart["messageId"], "mp-msg-cart-1", "{cart}");
    assert_eq!(cart["properties"], json!({"sku": "X1", "color": "red"}));
    assert_eq!(
        cart["context"]["custom_event_type"], "transaction",
        "{cart}"
    );
    assert_eq!(cart["context"]["event_type"], "custom_event", "{cart}");
    assert_eq!(
        cart["context"]["consent"],
        json!({"categoryPreferences": {"marketing": true}}),
        "{cart}"
    );

    let screen = one(&events, "screen", Some("Screen Viewed"));
    assert_eq!(screen["properties"], json!({"name": "Home"}), "{screen}");

    let purchase = one(&events, "track", Some("eCommerce - Purchase"));
    assert_eq!(
        purchase["properties"],
        json!({"transaction_id": "T-1", "total_amount": 19.98, "currency_code": "USD",
               "products": [{"id": "sku1", "name": "Widget", "price": 9.99, "quantity": 2}]}),
        "{purchase}"
    );

    let checkout = one(&events, "track", Some("Checkout Started"));
    assert_eq!(checkout["properties"], json!({"step": "1"}), "{checkout}");
}
