//! Crash durability with checkpoints (issue 9): a journey runs while batches are fired at
//! `waymark serve`, which writes its checkpoint every 20 ms and is killed with SIGKILL at
//! whatever point it has reached, mid-checkpoint included, three times. After each restart
//! every acknowledged event is there, and in the end every user has exactly one entry and
//! one post-wait delivery recorded: nothing applied twice, nothing lost, and the waits that
//! came due while the server was down fired once.

use std::collections::BTreeMap;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::crash::{CONFIG, TOKEN, all_users, check_acknowledged, load_and_kill};
use crate::live::{Server, request, tail, write_config};
use crate::support::scratch_dir;

const DEADLINE: Duration = Duration::from_secs(60);

fn call(server: &Server, method: &str, path: &str, body: Value) -> (u16, Value) {
    let auth = format!("Bearer {TOKEN}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    let r = request(
        server.addr,
        method,
        path,
        &headers,
        body.to_string().as_bytes(),
    )
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

/// Every delivery recorded for output `out`: (user, step, action, entry) → how many.
fn recorded(server: &Server) -> BTreeMap<(String, String, String, u64), usize> {
    let mut seen = BTreeMap::new();
    let mut cursor: Option<u64> = None;
    loop {
        let path = match cursor {
            Some(c) => format!("/api/outputs/out/deliveries?limit=500&cursor={c}"),
            None => "/api/outputs/out/deliveries?limit=500".to_string(),
        };
        let (status, page) = server.get_json(&path, TOKEN);
        assert_eq!(status, 200, "{page}");
        for d in page["deliveries"].as_array().expect("deliveries") {
            let p = &d["payload"];
            let key = (
                p["user_id"].as_str().unwrap_or("?").to_string(),
                p["step_id"].as_str().unwrap_or("?").to_string(),
                p["action"].as_str().unwrap_or("?").to_string(),
                p["entry_number"].as_u64().unwrap_or(0),
            );
            *seen.entry(key).or_insert(0) += 1;
        }
        match page["next_cursor"].as_u64() {
            Some(c) => cursor = Some(c),
            None => return seen,
        }
    }
}

fn replayed(server: &Server) -> u64 {
    let r = request(server.addr, "GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&r.body).to_string();
    text.lines()
        .find_map(|l| l.strip_prefix("waymark_replayed_events "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the replayed gauge")
}

#[test]
fn crash_kill_9_mid_checkpoint_loses_nothing_and_records_no_delivery_twice() {
    let dir = scratch_dir("crash-checkpoints");
    let out = dir.join("out.ndjson");
    let config = write_config(
        &dir,
        &format!("{CONFIG}\n[runtime]\ncheckpoint_interval_ms = 20\ntimer_grace_ms = 0\n"),
    );
    let data = dir.join("data");
    let mut server = Server::start(&data, &config);
    let (status, body) = call(
        &server,
        "POST",
        "/api/outputs",
        json!({"id": "out", "kind": "file", "path": out}),
    );
    assert_eq!(status, 201, "{body}");
    let c = |id: &str| json!({"id": id, "output": "out", "active": true, "mode": "event"});
    let journey = json!({
        "id": "load", "name": "Load",
        "entry": {"id": "entry", "name": "Entry", "criteria": {"event": "Load Test"},
            "connections": [c("c")],
            "steps": [{"id": "pause", "name": "Pause", "type": "wait",
                "wait": {"duration": "2s"},
                "steps": [{"id": "nudge", "name": "Nudge", "type": "send",
                    "connections": [c("n")]}]}]},
    });
    let (status, body) = call(&server, "POST", "/api/journeys", journey);
    assert_eq!(status, 201, "{body}");
    let (status, body) = call(&server, "POST", "/api/journeys/load/publish", json!({}));
    assert_eq!(status, 200, "{body}");

    let mut acked = Vec::new();
    for cycle in 1..=3 {
        acked.extend(load_and_kill(&mut server, cycle).acked);
        server = Server::start(&data, &config);
        check_acknowledged(&server, &acked, cycle);
    }
    let stored: u64 = acked.iter().map(|b| b.len() as u64).sum();
    assert!(
        replayed(&server) < stored,
        "the last start replayed the whole log: no checkpoint was loaded\n{}",
        tail(&server.output(), 30)
    );

    // Every user entered once and, two seconds later, reached the nudge once.
    let users = all_users();
    let started = Instant::now();
    let mut seen = recorded(&server);
    while seen.len() < 2 * users.len() && started.elapsed() < DEADLINE {
        thread::sleep(Duration::from_millis(100));
        seen = recorded(&server);
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "recorded more than once: {twice:?}");
    for user in &users {
        for step in ["entry", "nudge"] {
            let key = (user.clone(), step.to_string(), "entered".to_string(), 1);
            assert_eq!(
                seen.get(&key),
                Some(&1),
                "{key:?} is not recorded once; recorded: {seen:#?}\n{}",
                tail(&server.output(), 30)
            );
        }
    }
}
