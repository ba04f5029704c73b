//! The estimator's latency per request (SPEC §10: ≤ 100 ms p99 for a 10,000-profile
//! sample): a runtime over an in-memory store whose workspace holds `N` profiles with five
//! events each (an `identify` with traits, then four `track`s spread over 30 days), the
//! sample as large as the workspace, and criteria builder requests
//! (`POST /api/estimate` without HTTP) timed one by one. Prints p50 / p99 per size.
//!
//! `cargo bench -p waymark-runtime --bench estimate [-- 10000 100000]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, json};
use waymark_engine::Event;
use waymark_engine::message::{Identity, Message, MessageKind};
use waymark_runtime::estimate::EstimateRequest;
use waymark_runtime::{ManualClock, Runtime, RuntimeConfig};
use waymark_store::{Input, InputKind, MemoryStore, Store, TokenScope, Workspace};

const T0: i64 = 1_772_442_000_000;
const DAY: i64 = 86_400_000;
const NAMES: [&str; 4] = ["Viewed", "Added", "Bought", "Returned"];

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    for n in sizes {
        run(n);
    }
}

fn run(n: usize) {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    store
        .create_workspace(Workspace {
            id: "w".into(),
            name: "W".into(),
        })
        .unwrap();
    store
        .create_input(Input {
            workspace: "w".into(),
            id: "web".into(),
            name: "Web".into(),
            kind: InputKind::Web,
            write_key: "wk".into(),
            secret: None,
        })
        .unwrap();
    let mut batch = Vec::new();
    for p in 0..n {
        for k in 0..5 {
            let at = T0 - ((p * 7 + k * 13) % 30) as i64 * DAY;
            let name = (k > 0).then(|| NAMES[(p + k) % NAMES.len()]);
            batch.push(message(p, name, (p % 200) as f64, at));
        }
        if batch.len() >= 5000 {
            store
                .ingest("w", "web", std::mem::take(&mut batch))
                .unwrap();
        }
    }
    store.ingest("w", "web", batch).unwrap();
    let config = RuntimeConfig {
        estimate_sample_size: n,
        ..RuntimeConfig::default()
    };
    let runtime = Runtime::start(store, Arc::new(ManualClock::new(T0)), config).unwrap();
    let criteria = [
        json!({"event": "Bought"}),
        json!({"event": "Bought", "within": "7d", "where": [{"property": "amount", "op": "gt", "value": 50}]}),
        json!({"all": [{"event": "Viewed", "count": {"op": ">=", "value": 2}}, {"not": {"event": "Returned"}}]}),
        json!({"any": [{"trait": "plan", "op": "eq", "value": "pro"}, {"event": "Added", "within": "3d"}]}),
    ];
    let request = |i: usize| -> EstimateRequest {
        serde_json::from_value(json!({"workspace": "w", "criteria": criteria[i % criteria.len()]}))
            .unwrap()
    };
    let started = Instant::now();
    runtime.estimate(&TokenScope::Account, request(0)).unwrap();
    let first = started.elapsed();
    let rounds = if n <= 20_000 { 200 } else { 40 };
    let mut times: Vec<Duration> = (0..rounds)
        .map(|i| {
            let started = Instant::now();
            runtime.estimate(&TokenScope::Account, request(i)).unwrap();
            started.elapsed()
        })
        .collect();
    times.sort();
    let pct = |q: f64| times[((times.len() as f64 * q).ceil() as usize).min(times.len()) - 1];
    println!(
        "estimate, {n} sample profiles ({} events): first (sample read from the log) {:.1} ms; p50 {:.1} ms, p99 {:.1} ms over {rounds} requests",
        n * 5,
        ms(first),
        ms(pct(0.50)),
        ms(pct(0.99)),
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A `track` of `name`, or without a name an `identify` with the profile's plan.
fn message(p: usize, name: Option<&str>, amount: f64, at: i64) -> Message {
    let mut traits = Map::new();
    if name.is_none() {
        let plan = if p.is_multiple_of(5) { "pro" } else { "free" };
        traits.insert("plan".into(), json!(plan));
    }
    Message {
        timestamp_adjusted: false,
        message_id: None,
        kind: if name.is_some() {
            MessageKind::Track
        } else {
            MessageKind::Identify
        },
        identity: Identity {
            user_id: Some(format!("user-{p}")),
            anonymous_id: None,
            previous_id: None,
            others: Vec::new(),
        },
        event: Event {
            at,
            name: name.map(str::to_string),
            properties: json!({"amount": amount}),
            context: json!({}),
            traits,
            input: None,
        },
        received_at: at,
    }
}
