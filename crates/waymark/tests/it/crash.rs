//! Crash durability (SPEC §2: nothing acknowledged is ever lost): several threads fire
//! batches at `waymark serve` on its Fjall data directory, every `messageId` whose request
//! got a 200 is recorded, the server is killed with SIGKILL mid-stream, restarted on the
//! same directory, and every acknowledged event must be there, once. Two such cycles run;
//! the second also re-sends a batch acknowledged before the first crash, which must still be
//! recognised as a duplicate.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::live::{Server, request, tail, write_config};
use crate::support::scratch_dir;

pub(crate) const TOKEN: &str = "wm_test_crash_token";
pub(crate) const CONFIG: &str = r#"
[[workspaces]]
id = "crash"

[[inputs]]
workspace = "crash"
id = "load"
kind = "server"
write_key = "wk_crash"

[[tokens]]
name = "crash test"
token = "wm_test_crash_token"
"#;

/// Sending threads.
const THREADS: usize = 4;
/// Users each thread's messages are spread over.
const USERS_PER_THREAD: usize = 8;
/// Messages per batch.
const BATCH: usize = 20;
/// The server is killed once this many messages of the cycle were acknowledged.
const KILL_AFTER: usize = 1500;
/// Bounds on each thread's sending, whatever happens.
const MAX_BATCHES_PER_THREAD: usize = 150;
const MAX_SENDING: Duration = Duration::from_secs(60);

/// What one cycle's senders saw.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Acknowledged batches: (user of each message, messageId), in acknowledgement order.
    pub(crate) acked: Vec<Vec<(String, String)>>,
    /// Batches sent but not acknowledged (connection reset, refused, or a non-200 answer).
    unacked: usize,
    /// Non-200 answers, by status.
    refused: BTreeMap<u16, usize>,
}

fn user(thread: usize, i: usize) -> String {
    format!("crash-u{thread}-{}", i % USERS_PER_THREAD)
}

fn batch_body(cycle: usize, thread: usize, batch: usize) -> (Vec<u8>, Vec<(String, String)>) {
    let mut ids = Vec::with_capacity(BATCH);
    let messages: Vec<Value> = (0..BATCH)
        .map(|i| {
            let (u, id) = (
                user(thread, i),
                format!("crash-c{cycle}-t{thread}-b{batch}-m{i}"),
            );
            ids.push((u.clone(), id.clone()));
            json!({
                "type": "track",
                "event": "Load Test",
                "userId": u,
                "messageId": id,
                "timestamp": "2026-11-22T12:00:00.000Z",
                "properties": {"cycle": cycle, "thread": thread, "batch": batch, "i": i},
            })
        })
        .collect();
    let body = json!({"batch": messages, "writeKey": "wk_crash"});
    (serde_json::to_vec(&body).expect("a JSON body"), ids)
}

fn post_batch(addr: SocketAddr, body: &[u8]) -> std::io::Result<u16> {
    request(
        addr,
        "POST",
        "/v1/batch",
        &[("Content-Type", "application/json")],
        body,
    )
    .map(|r| r.status)
}

/// Fires batches from [`THREADS`] threads, kills the server (SIGKILL) once [`KILL_AFTER`]
/// messages are acknowledged, and returns what the senders saw.
pub(crate) fn load_and_kill(server: &mut Server, cycle: usize) -> Tally {
    let addr = server.addr;
    let tally = Arc::new(Mutex::new(Tally::default()));
    let acked_messages = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..THREADS)
        .map(|t| {
            let (tally, acked_messages, stop) = (
                Arc::clone(&tally),
                Arc::clone(&acked_messages),
                Arc::clone(&stop),
            );
            thread::spawn(move || {
                let started = Instant::now();
                for b in 0..MAX_BATCHES_PER_THREAD {
                    if stop.load(Ordering::SeqCst) || started.elapsed() > MAX_SENDING {
                        break;
                    }
                    let (body, ids) = batch_body(cycle, t, b);
                    match post_batch(addr, &body) {
                        Ok(200) => {
                            acked_messages.fetch_add(ids.len(), Ordering::SeqCst);
                            tally.lock().unwrap().acked.push(ids);
                        }
                        Ok(status) => {
                            let mut tally = tally.lock().unwrap();
                            tally.unacked += 1;
                            *tally.refused.entry(status).or_insert(0) += 1;
                        }
                        Err(_) => {
                            // The server is gone: this batch may or may not be stored.
                            tally.lock().unwrap().unacked += 1;
                            break;
                        }
                    }
                }
            })
        })
        .collect();

    let waited = Instant::now();
    while acked_messages.load(Ordering::SeqCst) < KILL_AFTER
        && waited.elapsed() < MAX_SENDING
        && !senders.iter().all(|s| s.is_finished())
    {
        thread::sleep(Duration::from_millis(2));
    }
    let at_kill = acked_messages.load(Ordering::SeqCst);
    server.kill();
    stop.store(true, Ordering::SeqCst);
    for sender in senders {
        sender.join().expect("a sender thread panicked");
    }
    let tally = Arc::try_unwrap(tally)
        .expect("the senders are done")
        .into_inner()
        .unwrap();
    let acked: usize = tally.acked.iter().map(Vec::len).sum();
    eprintln!(
        "crash cycle {cycle}: killed -9 with {at_kill} messages acknowledged; \
         {acked} acknowledged in all ({} batches), {} batches unacknowledged, refused {:?}",
        tally.acked.len(),
        tally.unacked,
        tally.refused
    );
    assert!(
        at_kill >= KILL_AFTER,
        "the load never reached {KILL_AFTER} acknowledged messages before the kill \
         ({at_kill}); refused {:?}; server output:\n{}",
        tally.refused,
        tail(&server.output(), 30)
    );
    assert!(
        tally.refused.keys().all(|s| *s == 429 || *s == 503),
        "the server refused batches for another reason than load: {:?}\n{}",
        tally.refused,
        tail(&server.output(), 30)
    );
    tally
}

/// Every stored messageId of the given users (asserting none appears twice).
fn stored_ids(server: &Server, users: &BTreeSet<String>) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for u in users {
        let (status, body) = server.get_json(
            &format!("/api/workspaces/crash/profiles/{u}/events?limit=1000"),
            TOKEN,
        );
        assert_eq!(status, 200, "events of {u}: {body}");
        let events = body["events"].as_array().expect("an events array");
        assert!(events.len() < 1000, "{u} has too many events to list");
        let (_, profile) = server.get_json(&format!("/api/workspaces/crash/profiles/{u}"), TOKEN);
        assert_eq!(
            profile["event_count"].as_u64(),
            Some(events.len() as u64),
            "{u}: the profile's count matches its events"
        );
        for e in events {
            let id = e["messageId"].as_str().expect("a messageId").to_string();
            assert!(ids.insert(id.clone()), "{id} is stored twice");
        }
    }
    ids
}

pub(crate) fn all_users() -> BTreeSet<String> {
    (0..THREADS)
        .flat_map(|t| (0..USERS_PER_THREAD).map(move |i| user(t, i)))
        .collect()
}

pub(crate) fn check_acknowledged(
    server: &Server,
    acked: &[Vec<(String, String)>],
    cycle: usize,
) -> usize {
    let stored = stored_ids(server, &all_users());
    let acked_ids: Vec<&String> = acked.iter().flatten().map(|(_, id)| id).collect();
    let missing: Vec<&&String> = acked_ids
        .iter()
        .filter(|id| !stored.contains(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "after crash {cycle}: {} of {} acknowledged messages are lost, e.g. {:?}\n\
         server output:\n{}",
        missing.len(),
        acked_ids.len(),
        &missing[..missing.len().min(10)],
        tail(&server.output(), 30)
    );
    eprintln!(
        "after crash {cycle}: all {} acknowledged messages are there; {} stored in all \
         (the rest were in flight at the kill)",
        acked_ids.len(),
        stored.len()
    );
    stored.len()
}

#[test]
fn crash_kill_9_keeps_every_acknowledged_event() {
    let dir = scratch_dir("crash-kill-9");
    let config = write_config(&dir, CONFIG);
    let data = dir.join("data");
    let mut acked_all: Vec<Vec<(String, String)>> = Vec::new();

    let mut server = Server::start(&data, &config);
    let first = load_and_kill(&mut server, 1);
    acked_all.extend(first.acked);
    let mut server = Server::start(&data, &config);
    check_acknowledged(&server, &acked_all, 1);

    // A batch acknowledged before the first crash is still a duplicate.
    let (body, ids) = batch_body(1, 0, 0);
    assert!(
        acked_all.contains(&ids),
        "the first batch of thread 0 was acknowledged"
    );
    let before = stored_ids(&server, &all_users()).len();
    assert_eq!(
        post_batch(server.addr, &body).expect("re-send a batch"),
        200
    );
    assert_eq!(
        stored_ids(&server, &all_users()).len(),
        before,
        "a re-sent batch is deduplicated after a crash"
    );

    let second = load_and_kill(&mut server, 2);
    acked_all.extend(second.acked);
    let server = Server::start(&data, &config);
    let stored = check_acknowledged(&server, &acked_all, 2);
    let acked: usize = acked_all.iter().map(Vec::len).sum();
    assert!(stored >= acked);
}
