//! A harness over the runtime: a store with one workspace and input, a manual clock (a move
//! returns once the engine thread has fired what is due then), messages built by hand, file
//! outputs read back, and polling with a deadline only for what other threads do on their
//! own: the store's feed reaching the engine thread, and the workers sending.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use tempfile::TempDir;
use waymark_engine::Event;
use waymark_engine::message::{Identity, Message, MessageKind};
use waymark_engine::time::Millis;
use waymark_runtime::journeys::JourneyAnswer;
use waymark_runtime::outputs::OutputAnswer;
use waymark_runtime::stats::JourneyStats;
use waymark_runtime::{ManualClock, Owner, Runtime, RuntimeConfig};
use waymark_store::{
    DeliveryStatus, FjallStore, GroupError, Input, InputKind, MemoryStore, OutboxQuery,
    OutboxRecord, Store, TokenScope, Workspace,
};

/// The account-wide caller.
pub const ACCOUNT: TokenScope = TokenScope::Account;

/// The workspace every test writes to.
pub const WS: &str = "ws";
/// Its input.
pub const INPUT: &str = "web";
/// 2026-03-02T09:00:00Z.
pub const T0: Millis = 1_772_442_000_000;
pub const SECOND: Millis = 1000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;

/// How long a poll waits before the test fails.
const DEADLINE: Duration = Duration::from_secs(15);

static MESSAGE_IDS: AtomicU64 = AtomicU64::new(1);

/// A runtime over a store, with the clock it reads.
pub struct Harness {
    pub store: Arc<dyn Store>,
    pub clock: ManualClock,
    pub runtime: Runtime,
    pub config: RuntimeConfig,
    /// Holds the store's directory (fjall) and the file outputs.
    pub dir: TempDir,
    fjall: bool,
    /// Messages stored through this runtime (what its `ingested` metric should reach).
    stored: AtomicU64,
}

/// Settings for tests: no grace before timers fire, so that a timer fires at its instant.
pub fn config() -> RuntimeConfig {
    RuntimeConfig {
        timer_grace_ms: 0,
        ..RuntimeConfig::default()
    }
}

impl Harness {
    /// An in-memory store with the workspace and input, at `T0`.
    pub fn memory() -> Self {
        Self::memory_with(config())
    }

    /// An in-memory store with these settings.
    pub fn memory_with(config: RuntimeConfig) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
        setup_tenancy(store.as_ref());
        let clock = ManualClock::new(T0);
        let runtime = start(&store, &clock, &config);
        Self {
            store,
            clock,
            runtime,
            config,
            dir,
            fjall: false,
            stored: AtomicU64::new(0),
        }
    }

    /// A fjall store in a temporary directory, at `T0`.
    pub fn fjall() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let store: Arc<dyn Store> = Arc::new(open_fjall(&dir.path().join("db")));
        setup_tenancy(store.as_ref());
        let clock = ManualClock::new(T0);
        let config = config();
        let runtime = start(&store, &clock, &config);
        Self {
            store,
            clock,
            runtime,
            config,
            dir,
            fjall: true,
            stored: AtomicU64::new(0),
        }
    }

    /// Drops the runtime and the store (waiting until every thread has let go of it), lets
    /// `down` run while nothing is running, then reopens the store and starts a new runtime.
    pub fn restart(self, down: impl FnOnce(&ManualClock)) -> Self {
        self.restart_with(|clock, _| down(clock))
    }

    /// As [`Harness::restart`], with `down` also given the reopened store before the new
    /// runtime starts over it.
    pub fn restart_with(self, down: impl FnOnce(&ManualClock, &dyn Store)) -> Self {
        let Harness {
            store,
            clock,
            runtime,
            config,
            dir,
            fjall,
            stored: _,
        } = self;
        assert!(fjall, "only a fjall store survives a restart");
        drop(runtime);
        let deadline = Instant::now() + DEADLINE;
        while Arc::strong_count(&store) > 1 {
            assert!(
                Instant::now() < deadline,
                "the old runtime still holds the store ({} handles)",
                Arc::strong_count(&store)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(store);
        let store: Arc<dyn Store> = Arc::new(open_fjall(&dir.path().join("db")));
        down(&clock, store.as_ref());
        let runtime = start(&store, &clock, &config);
        Harness {
            store,
            clock,
            runtime,
            config,
            dir,
            fjall,
            stored: AtomicU64::new(0),
        }
    }

    /// A path for a file output in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.ndjson"))
    }

    /// Creates a file output `id` writing to `self.path(id)`.
    pub fn file_output(&self, id: &str) -> PathBuf {
        let path = self.path(id);
        self.runtime
            .create_output(
                Owner::Account,
                json!({"id": id, "kind": "file", "path": path.to_str().unwrap()}),
            )
            .expect("create file output");
        path
    }

    /// Creates a list output.
    pub fn list_output(&self, id: &str) {
        self.runtime
            .create_output(Owner::Account, json!({"id": id, "kind": "list"}))
            .expect("create list output");
    }

    /// Creates and publishes a journey.
    pub fn publish(&self, definition: Value, historical: bool) -> JourneyAnswer {
        let id = definition["id"].as_str().unwrap().to_string();
        self.runtime
            .create_journey(Owner::Account, definition)
            .expect("create journey");
        self.runtime.publish(&id, historical).expect("publish")
    }

    /// Moves the clock once the engine thread has applied every message ingested so far
    /// (the store's feed reaches it on its own thread, so a message sent before a move
    /// would otherwise meet the engine's clock after it). Returns once the engine thread
    /// has fired every timer due then and written its outbox records: the move queues a
    /// tick on the engine thread (and wakes the workers), and a call queued after it
    /// answers only once the tick has run.
    pub fn set_time(&self, at: Millis) {
        let expected = self.stored.load(Ordering::SeqCst);
        self.wait_for(
            "the engine to apply every ingested message",
            || self.runtime.shared().metrics.ingested.get(&[WS, INPUT]),
            |n| *n >= expected,
        );
        self.clock.set(at);
        self.runtime.account().expect("account");
    }

    /// The clock's time.
    pub fn now(&self) -> Millis {
        waymark_runtime::Clock::now(&self.clock)
    }

    /// Ingests messages through the store, as the server does.
    pub fn ingest(&self, messages: Vec<Message>) {
        let summary = self.store.ingest(WS, INPUT, messages).expect("ingest");
        assert!(summary.stored > 0, "nothing stored: {summary:?}");
        self.stored
            .fetch_add(summary.stored as u64, Ordering::SeqCst);
    }

    /// Waits until the engine thread has applied every message ingested so far, its timers
    /// due now have fired, and what they sent is in the outbox.
    pub fn settle(&self) {
        self.set_time(self.now());
    }

    /// A `track` of `event` by `user` (a userId) now.
    pub fn track(&self, user: &str, event: &str) {
        self.ingest(vec![track(Who::user(user), event, self.now())]);
    }

    /// Outbox records of an output, by seq.
    pub fn outbox(&self, output: &str) -> Vec<OutboxRecord> {
        self.store
            .outbox_list(&OutboxQuery {
                output: Some(output.to_string()),
                limit: 10_000,
                ..OutboxQuery::default()
            })
            .expect("outbox list")
    }

    /// A journey's figures per version, as JSON for the tests' lookups
    /// (`version_stats`, `step_figure`).
    pub fn stats(&self, journey: &str) -> Value {
        let stats = self.journey_stats(journey);
        json!({"id": stats.id, "versions": stats.versions})
    }

    /// A journey's statistics with its deliveries.
    pub fn journey_stats(&self, journey: &str) -> JourneyStats {
        self.runtime.stats(journey).expect("stats")
    }

    /// The deliveries of `connection` in version 1 of `journey`'s statistics (the
    /// connection's first step's).
    pub fn connection_deliveries(
        &self,
        journey: &str,
        connection: &str,
    ) -> (BTreeMap<String, u64>, Option<GroupError>) {
        let stats = self.journey_stats(journey);
        let v1 = stats.versions.iter().find(|v| v.version == 1).expect("v1");
        let c = v1
            .steps
            .iter()
            .flat_map(|s| &s.connections)
            .find(|c| c.id == connection)
            .expect("connection");
        let of = stats.deliveries.of(1, c);
        (of.counts, of.last_error.cloned())
    }

    /// Waits until `f` holds; fails with `what` and the last value after the deadline.
    pub fn wait_for<T: std::fmt::Debug>(
        &self,
        what: &str,
        mut probe: impl FnMut() -> T,
        mut ok: impl FnMut(&T) -> bool,
    ) -> T {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let value = probe();
            if ok(&value) {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {value:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until the file has `n` lines, then returns them parsed.
    pub fn wait_lines(&self, path: &Path, n: usize) -> Vec<Value> {
        self.wait_for(
            &format!("{n} lines in {}", path.display()),
            || lines(path),
            |l| l.len() >= n,
        )
    }

    /// Waits until every record of `output` is delivered (and there are `n`).
    pub fn wait_delivered(&self, output: &str, n: usize) -> Vec<OutboxRecord> {
        self.wait_for(
            &format!("{n} delivered records in {output}"),
            || self.outbox(output),
            |r| r.len() == n && r.iter().all(|r| r.status == DeliveryStatus::Delivered),
        )
    }

    /// The number of users at a step (by stats) in a journey version.
    pub fn at_step(&self, journey: &str, version: u64, step: &str) -> u64 {
        step_figure(&self.stats(journey), version, step, "at")
    }

    /// Waits until `n` users are at a step.
    pub fn wait_at_step(&self, journey: &str, version: u64, step: &str, n: u64) {
        self.wait_for(
            &format!("{n} users at {journey} v{version} step {step}"),
            || self.at_step(journey, version, step),
            |at| *at == n,
        );
    }

    /// Users in the journey version (by stats).
    pub fn in_journey(&self, journey: &str, version: u64) -> u64 {
        version_stats(&self.stats(journey), version)["in_journey"]
            .as_u64()
            .unwrap_or(0)
    }

    /// A list output's member keys, sorted.
    pub fn members(&self, list: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .runtime
            .members(&ACCOUNT, list)
            .expect("members")
            .into_iter()
            .map(|m| m.key)
            .collect();
        keys.sort();
        keys
    }
}

/// The stats of one version.
pub fn version_stats(stats: &Value, version: u64) -> Value {
    stats["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["version"].as_u64() == Some(version))
        .cloned()
        .unwrap_or(Value::Null)
}

/// One figure of one step of one version.
pub fn step_figure(stats: &Value, version: u64, step: &str, figure: &str) -> u64 {
    version_stats(stats, version)["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["step"] == step)
        .and_then(|s| s[figure].as_u64())
        .unwrap_or(0)
}

fn setup_tenancy(store: &dyn Store) {
    store
        .create_workspace(Workspace {
            id: WS.into(),
            name: "Workspace".into(),
        })
        .expect("workspace");
    store
        .create_input(Input {
            workspace: WS.into(),
            id: INPUT.into(),
            name: "Web".into(),
            kind: InputKind::Web,
            write_key: "wk-web".into(),
            secret: None,
        })
        .expect("input");
}

fn open_fjall(path: &Path) -> FjallStore {
    FjallStore::open(path).expect("open fjall store")
}

fn start(store: &Arc<dyn Store>, clock: &ManualClock, config: &RuntimeConfig) -> Runtime {
    Runtime::start(Arc::clone(store), Arc::new(clock.clone()), config.clone())
        .expect("start the runtime")
}

/// Parsed lines of an NDJSON file (none when it does not exist).
pub fn lines(path: &Path) -> Vec<Value> {
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A short summary of a delivered line: (event, who, step id, version).
pub fn summary(line: &Value) -> (String, String, String, u64) {
    let who = line["userId"]
        .as_str()
        .or(line["anonymousId"].as_str())
        .unwrap_or("?")
        .to_string();
    (
        line["event"].as_str().unwrap_or("?").to_string(),
        who,
        line["context"]["personas"]["step_id"]
            .as_str()
            .unwrap_or("?")
            .to_string(),
        line["context"]["personas"]["version"].as_u64().unwrap_or(0),
    )
}

/// Who a message is about.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub previous_id: Option<String>,
}

impl Who {
    pub fn user(id: &str) -> Self {
        Self {
            user_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn anon(id: &str) -> Self {
        Self {
            anonymous_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn both(user: &str, anon: &str) -> Self {
        Self {
            user_id: Some(user.into()),
            anonymous_id: Some(anon.into()),
            ..Self::default()
        }
    }
}

fn message(kind: MessageKind, who: Who, name: Option<&str>, traits: Value, at: Millis) -> Message {
    let n = MESSAGE_IDS.fetch_add(1, Ordering::Relaxed);
    let traits: Map<String, Value> = match traits {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    Message {
        timestamp_adjusted: false,
        message_id: Some(format!("m-{n}")),
        kind,
        identity: Identity {
            user_id: who.user_id,
            anonymous_id: who.anonymous_id,
            previous_id: who.previous_id,
            others: Vec::new(),
        },
        event: Event {
            at,
            name: name.map(str::to_string),
            properties: json!({}),
            context: json!({}),
            traits,
            input: None,
        },
        received_at: at,
    }
}

/// A `track` call.
pub fn track(who: Who, event: &str, at: Millis) -> Message {
    message(MessageKind::Track, who, Some(event), json!({}), at)
}

/// An `identify` call.
pub fn identify(who: Who, traits: Value, at: Millis) -> Message {
    message(MessageKind::Identify, who, None, traits, at)
}

/// An `alias` call: `previous` becomes `user`.
pub fn alias(user: &str, previous: &str, at: Millis) -> Message {
    let who = Who {
        user_id: Some(user.into()),
        previous_id: Some(previous.into()),
        ..Who::default()
    };
    message(MessageKind::Alias, who, None, json!({}), at)
}

/// A connection.
pub fn connection(id: &str, output: &str, active: bool, mode: &str) -> Value {
    json!({"id": id, "output": output, "active": active, "mode": mode})
}

/// A journey whose entry is `criteria`, with `connections` on the entry and `steps` below.
pub fn journey(id: &str, criteria: Value, connections: Vec<Value>, steps: Vec<Value>) -> Value {
    json!({
        "id": id,
        "name": format!("Journey {id}"),
        "entry": {
            "id": "entry",
            "name": "Entry",
            "criteria": criteria,
            "connections": connections,
            "steps": steps,
        },
    })
}

/// A wait step of `duration` with `steps` below.
pub fn wait(id: &str, duration: &str, steps: Vec<Value>) -> Value {
    json!({"id": id, "name": format!("Wait {id}"), "type": "wait",
           "wait": {"duration": duration}, "steps": steps})
}

/// The journey several tests share: on `Signed Up`, tell `out` (connection `c`), wait an
/// hour, then send `nudge` (connection `n`) to `out`.
pub fn welcome() -> Value {
    journey(
        "welcome",
        json!({"event": "Signed Up"}),
        vec![connection("c", "out", true, "event")],
        vec![wait(
            "hour",
            "1h",
            vec![send("nudge", vec![connection("n", "out", true, "event")])],
        )],
    )
}

/// A send step with connections.
pub fn send(id: &str, connections: Vec<Value>) -> Value {
    json!({"id": id, "name": format!("Send {id}"), "type": "send", "connections": connections})
}

/// How many lines an NDJSON file has.
pub fn line_count(path: &Path) -> usize {
    lines(path).len()
}

/// Settings for tests that deliver to a receiver on this machine.
pub fn local_http() -> RuntimeConfig {
    RuntimeConfig {
        allow_private: vec!["127.0.0.0/8".into()],
        ..config()
    }
}

/// The Standard Webhooks test secret.
pub const SECRET: &str = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl";

impl Harness {
    /// Creates a webhook output `id` to `url` with these delivery settings.
    pub fn webhook_output(&self, id: &str, url: &str, delivery: Value) -> OutputAnswer {
        self.runtime
            .create_output(
                Owner::Account,
                json!({"id": id, "kind": "webhook", "url": url,
                       "secret": SECRET, "delivery": delivery}),
            )
            .expect("create webhook output")
    }

    /// Records of an output in one status.
    pub fn in_status(&self, output: &str, status: DeliveryStatus) -> Vec<OutboxRecord> {
        self.outbox(output)
            .into_iter()
            .filter(|r| r.status == status)
            .collect()
    }
}
