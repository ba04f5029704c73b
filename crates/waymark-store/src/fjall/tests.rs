//! FjallStore-specific behaviour: durability across reopen, group commit, back-pressure,
//! forgetting old message ids, documents and the outbox across reopen, the commit feed
//! under concurrent ingest, and a model test against [`MemoryStore`].

use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Value, json};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use super::writer::Request;
use super::{FjallOptions, FjallStore};
use crate::{
    AdminToken, ArrivedEvent, Commit, DeliveryStatus, DocumentWrite, Input, InputKind, MemoryStore,
    OutboxQuery, OutboxRecord, Profile, Store, StoreError, StoredEvent, TokenScope, Workspace,
};

fn workspace(store: &dyn Store, id: &str) {
    store
        .create_workspace(Workspace {
            id: id.into(),
            name: id.into(),
        })
        .unwrap();
}

fn track(user: Option<&str>, anonymous: Option<&str>, at: Millis, name: &str) -> Message {
    Message {
        timestamp_adjusted: false,
        message_id: None,
        kind: MessageKind::Track,
        identity: Identity {
            user_id: user.map(str::to_string),
            anonymous_id: anonymous.map(str::to_string),
            ..Identity::default()
        },
        event: Event {
            at,
            name: Some(name.into()),
            properties: json!({"n": at}),
            context: Value::Null,
            traits: Default::default(),
            input: None,
        },
        received_at: at,
    }
}

fn with_id(mut m: Message, id: &str) -> Message {
    m.message_id = Some(id.into());
    m
}

type Dump = Vec<(Profile, Vec<StoredEvent>)>;

fn dump(store: &dyn Store, ws: &str) -> Dump {
    let mut all = Vec::new();
    store
        .for_each_profile(ws, &mut |p, e| all.push((p, e)))
        .unwrap();
    all
}

#[test]
fn reopening_sees_everything_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let token = AdminToken {
        secret_sha256: "f00d".into(),
        name: "root".into(),
        scope: TokenScope::Account,
    };
    let input = Input {
        workspace: "w".into(),
        id: "web".into(),
        name: "Web".into(),
        kind: InputKind::Web,
        write_key: "wk".into(),
        secret: Some("s".into()),
    };
    let before = {
        let store = FjallStore::open(dir.path()).unwrap();
        workspace(&store, "w");
        store.create_input(input.clone()).unwrap();
        store.put_token(token.clone()).unwrap();
        store
            .ingest(
                "w",
                "web",
                vec![with_id(track(None, Some("a"), 10, "A"), "m1")],
            )
            .unwrap();
        store
            .ingest("w", "web", vec![track(Some("u"), Some("a"), 20, "B")])
            .unwrap();
        store
            .ingest("w", "web", vec![track(Some("gone"), None, 30, "C")])
            .unwrap();
        assert!(store.delete_profile("w", "gone", false).unwrap());
        dump(&store, "w")
    };
    let store = FjallStore::open(dir.path()).unwrap();
    assert_eq!(dump(&store, "w"), before);
    assert_eq!(store.workspace("w").unwrap().unwrap().id, "w");
    assert_eq!(store.input_by_write_key("wk").unwrap(), Some(input));
    assert_eq!(store.token("f00d").unwrap(), Some(token));
    assert_eq!(store.profile("w", "gone").unwrap(), None);
    // Message ids and counters survive too.
    let again = store
        .ingest(
            "w",
            "web",
            vec![with_id(track(None, Some("a"), 10, "A"), "m1")],
        )
        .unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 1));
    store
        .ingest("w", "web", vec![track(Some("new"), None, 40, "D")])
        .unwrap();
    let fresh = store.profile("w", "new").unwrap().unwrap();
    // Ids 1 (merged u/a) and 2 (deleted) are taken: ids are never reused.
    assert_eq!(fresh.id, 3);
}

fn all() -> OutboxQuery {
    OutboxQuery {
        limit: 100,
        ..OutboxQuery::default()
    }
}

fn delivery(id: &str, next_attempt_at: Millis) -> OutboxRecord {
    OutboxRecord {
        id: id.into(),
        output: "hook".into(),
        seq: 0,
        payload: json!({"id": id}),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at,
        last_error: None,
        created_at: 0,
        updated_at: 0,
        key: None,
        attempt_log: Vec::new(),
        group: None,
    }
}

#[test]
fn reopening_keeps_documents_and_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let (records, counts) = {
        let store = FjallStore::open(dir.path()).unwrap();
        store
            .write_documents(vec![
                DocumentWrite {
                    collection: "journeys".into(),
                    id: "j1".into(),
                    body: Some(json!({"name": "Welcome"})),
                },
                DocumentWrite {
                    collection: "journeys".into(),
                    id: "j2".into(),
                    body: Some(json!({"name": "Gone"})),
                },
            ])
            .unwrap();
        store
            .write_documents(vec![DocumentWrite {
                collection: "journeys".into(),
                id: "j2".into(),
                body: None,
            }])
            .unwrap();
        store
            .outbox_add(vec![
                delivery("d1", 10),
                delivery("d2", 20),
                delivery("d3", 5),
            ])
            .unwrap();
        let mut d3 = store.outbox_get("d3").unwrap().unwrap();
        d3.status = DeliveryStatus::Delivered;
        store.outbox_update(vec![d3]).unwrap();
        (
            store.outbox_list(&all()).unwrap(),
            store.outbox_counts("hook").unwrap(),
        )
    };
    let store = FjallStore::open(dir.path()).unwrap();
    assert_eq!(
        store.documents("journeys").unwrap(),
        [("j1".to_string(), json!({"name": "Welcome"}))]
    );
    assert_eq!(store.outbox_list(&all()).unwrap(), records);
    assert_eq!(store.outbox_counts("hook").unwrap(), counts);
    let due: Vec<String> = store
        .outbox_due("hook", 100, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(due, ["d1", "d2"]);
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(10));
    // Seqs keep increasing after a reopen; known ids stay known.
    let added = store
        .outbox_add(vec![delivery("d1", 1), delivery("d4", 1)])
        .unwrap();
    assert_eq!(added, [false, true]);
    let last = records.iter().map(|r| r.seq).max().unwrap();
    assert!(store.outbox_get("d4").unwrap().unwrap().seq > last);
}

#[test]
fn the_feed_hears_of_every_concurrent_commit_in_seq_order() {
    const THREADS: usize = 4;
    const BATCHES: usize = 25;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FjallStore::open(dir.path()).unwrap());
    workspace(&*store, "w");
    let feed = store.subscribe();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for i in 0..BATCHES {
                    let at = i64::try_from(i).unwrap();
                    let user = format!("user-{t}");
                    let batch = vec![
                        track(Some(&user), None, at, "E"),
                        track(None, Some(&user), at, "F"),
                    ];
                    store.ingest("w", "web", batch).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut seqs = Vec::new();
    while let Ok(commit) = feed.try_recv() {
        let Commit::Ingested(batch) = commit else {
            panic!("{commit:?}");
        };
        seqs.extend(batch.applied.iter().map(|a| a.seq));
    }
    let expected: Vec<u64> = (1..=u64::try_from(THREADS * BATCHES * 2).unwrap()).collect();
    assert_eq!(seqs, expected);
}

#[test]
fn subscribing_to_a_stopped_writer_gives_a_disconnected_feed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FjallStore::open(dir.path()).unwrap();
    store.stop();
    let feed = store.subscribe();
    assert!(feed.recv().is_err());
}

#[test]
fn a_dropped_store_has_let_go_of_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path()).unwrap();
    workspace(&store, "w");
    drop(store);
    // No thread of the store's may still hold the database: the lock is free at once,
    // with no retry (fjall's own open retries, which hid this under light load).
    let lock = std::fs::File::open(dir.path().join("lock")).unwrap();
    lock.try_lock().unwrap();
    lock.unlock().unwrap();
    FjallStore::open(dir.path()).unwrap();
}

#[test]
fn concurrent_ingest_shares_syncs() {
    const THREADS: usize = 8;
    const BATCHES: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FjallStore::open(dir.path()).unwrap());
    workspace(&*store, "w");
    let syncs_before = store.sync_count();
    let start = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = Arc::clone(&store);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                let user = format!("user-{t}");
                for i in 0..BATCHES {
                    let at = i64::try_from(i).unwrap();
                    let batch = vec![
                        with_id(track(Some(&user), None, at, "E"), &format!("{t}-{i}")),
                        track(None, Some(&format!("anon-{t}-{i}")), at, "F"),
                    ];
                    let summary = store.ingest("w", "web", batch).unwrap();
                    assert_eq!(summary.stored, 2);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let requests = u64::try_from(THREADS * BATCHES).unwrap();
    let syncs = store.sync_count() - syncs_before;
    eprintln!("{requests} concurrent ingest requests, {syncs} syncs");
    for t in 0..THREADS {
        let events = store
            .events("w", &format!("user-{t}"), usize::MAX)
            .unwrap()
            .unwrap();
        assert_eq!(events.len(), BATCHES);
    }
    assert_eq!(dump(&*store, "w").len(), THREADS * (BATCHES + 1));
    assert!(syncs < requests, "{syncs} syncs for {requests} requests");
}

#[test]
fn a_full_queue_answers_busy() {
    let dir = tempfile::tempdir().unwrap();
    let options = FjallOptions {
        queue_capacity: 1,
        ..FjallOptions::default()
    };
    let store = FjallStore::open_with(dir.path(), options).unwrap();
    workspace(&store, "w");

    // Hold the writer, then fill the one queue slot.
    let (paused, is_paused) = sync_channel(1);
    let (resume, resumed) = sync_channel(1);
    store
        .send(Request::Pause {
            paused,
            resume: resumed,
        })
        .unwrap();
    is_paused.recv().unwrap();
    let (reply, answer) = sync_channel(1);
    store
        .enqueue(Request::CreateWorkspace {
            workspace: Workspace {
                id: "queued".into(),
                name: "queued".into(),
            },
            reply,
        })
        .unwrap();

    let busy = store.ingest("w", "web", vec![track(Some("u"), None, 1, "E")]);
    assert!(matches!(busy, Err(StoreError::Busy)), "{busy:?}");

    resume.send(()).unwrap();
    answer.recv().unwrap().unwrap();
    let ok = store.ingest("w", "web", vec![track(Some("u"), None, 1, "E")]);
    assert_eq!(ok.unwrap().stored, 1);
    assert!(store.workspace("queued").unwrap().is_some());
}

#[test]
fn old_message_ids_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let options = FjallOptions {
        dedup_retention: Duration::ZERO,
        prune_every: 1,
        ..FjallOptions::default()
    };
    let store = FjallStore::open_with(dir.path(), options).unwrap();
    workspace(&store, "w");
    let m = || vec![with_id(track(Some("u"), None, 1, "E"), "m-1")];
    for round in 0..3 {
        assert_eq!(
            store.ingest("w", "web", m()).unwrap().stored,
            1,
            "round {round}"
        );
        // Within the retention (the same millisecond) it is still a duplicate...
        // ...and once a later commit has pruned, it is new again.
        std::thread::sleep(Duration::from_millis(5));
        store
            .ingest("w", "web", vec![track(Some("x"), None, 1, "Tick")])
            .unwrap();
    }
    assert_eq!(store.events("w", "u", 10).unwrap().unwrap().len(), 3);
}

#[test]
fn with_default_retention_ids_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let options = FjallOptions {
        prune_every: 1,
        ..FjallOptions::default()
    };
    let store = FjallStore::open_with(dir.path(), options).unwrap();
    workspace(&store, "w");
    let m = || vec![with_id(track(Some("u"), None, 1, "E"), "m-1")];
    assert_eq!(store.ingest("w", "web", m()).unwrap().stored, 1);
    for _ in 0..3 {
        assert_eq!(store.ingest("w", "web", m()).unwrap().duplicates, 1);
    }
}

// ---- Model test: FjallStore against MemoryStore ----

const USERS: [&str; 3] = ["u0", "u1", "u2"];
const ANONS: [&str; 3] = ["a0", "a1", "a2"];
const WORKSPACES: [&str; 2] = ["w0", "w1"];

fn key(i: usize) -> &'static str {
    if i < USERS.len() {
        USERS[i]
    } else {
        ANONS[i % ANONS.len()]
    }
}

#[derive(Debug, Clone)]
struct Msg {
    kind: MessageKind,
    user: Option<usize>,
    anon: Option<usize>,
    previous: usize,
    at: Millis,
    message_id: Option<u8>,
    trait_key: usize,
    trait_value: Option<u8>,
    consent: Option<bool>,
}

impl Msg {
    fn message(&self) -> Message {
        let mut traits = serde_json::Map::new();
        let value = self.trait_value.map_or(Value::Null, |v| json!(v));
        traits.insert(["plan", "age", "email"][self.trait_key].into(), value);
        if let Some(c) = self.consent {
            traits.insert("consent.ads".into(), json!(c));
        }
        let user = self.user.map(|u| USERS[u].to_string());
        let mut anonymous = self.anon.map(|a| ANONS[a].to_string());
        if user.is_none() && anonymous.is_none() && self.kind != MessageKind::Alias {
            anonymous = Some(ANONS[self.previous % ANONS.len()].to_string());
        }
        Message {
            timestamp_adjusted: false,
            message_id: self.message_id.map(|m| format!("m{m}")),
            kind: self.kind,
            identity: Identity {
                user_id: user.clone().or_else(|| {
                    (self.kind == MessageKind::Alias).then(|| USERS[self.previous % 3].into())
                }),
                anonymous_id: anonymous,
                previous_id: (self.kind == MessageKind::Alias).then(|| key(self.previous).into()),
                others: Vec::new(),
            },
            event: Event {
                at: self.at,
                name: (self.kind == MessageKind::Track).then(|| "E".into()),
                properties: json!({"at": self.at}),
                context: json!({}),
                traits,
                input: None,
            },
            received_at: self.at,
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Ingest(usize, Vec<Msg>),
    Delete(usize, usize),
}

fn msg_strategy() -> impl Strategy<Value = Msg> {
    (
        prop_oneof![
            3 => Just(MessageKind::Track),
            2 => Just(MessageKind::Identify),
            1 => Just(MessageKind::Alias),
        ],
        proptest::option::of(0..USERS.len()),
        proptest::option::of(0..ANONS.len()),
        0..USERS.len() + ANONS.len(),
        0i64..40,
        proptest::option::of(0u8..6),
        0..3usize,
        proptest::option::of(0u8..3),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(kind, user, anon, previous, at, message_id, trait_key, trait_value, consent)| Msg {
                kind,
                user,
                anon,
                previous,
                at,
                message_id,
                trait_key,
                trait_value,
                consent,
            },
        )
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..WORKSPACES.len(), proptest::collection::vec(msg_strategy(), 1..4))
            .prop_map(|(ws, msgs)| Op::Ingest(ws, msgs)),
        1 => (0..WORKSPACES.len(), 0..USERS.len() + ANONS.len())
            .prop_map(|(ws, k)| Op::Delete(ws, k)),
    ]
}

fn arrivals(store: &dyn Store, ws: &str) -> Vec<ArrivedEvent> {
    let mut all = Vec::new();
    store
        .for_each_event_by_arrival(ws, &mut |e| all.push(e))
        .unwrap();
    all
}

fn same_state(fjall: &FjallStore, memory: &MemoryStore) -> Result<(), TestCaseError> {
    for ws in WORKSPACES {
        prop_assert_eq!(dump(fjall, ws), dump(memory, ws));
        prop_assert_eq!(arrivals(fjall, ws), arrivals(memory, ws));
        for k in 0..USERS.len() + ANONS.len() {
            prop_assert_eq!(
                fjall.profile(ws, key(k)).unwrap(),
                memory.profile(ws, key(k)).unwrap()
            );
            prop_assert_eq!(
                fjall.events(ws, key(k), 2).unwrap(),
                memory.events(ws, key(k), 2).unwrap()
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn fjall_agrees_with_memory(ops in proptest::collection::vec(op_strategy(), 1..16)) {
        let dir = tempfile::tempdir().unwrap();
        let fjall = FjallStore::open(dir.path()).unwrap();
        let memory = MemoryStore::new();
        for ws in WORKSPACES {
            workspace(&fjall, ws);
            workspace(&memory, ws);
        }
        for op in &ops {
            match op {
                Op::Ingest(ws, msgs) => {
                    let batch: Vec<Message> = msgs.iter().map(Msg::message).collect();
                    let a = fjall.ingest(WORKSPACES[*ws], "web", batch.clone()).unwrap();
                    let b = memory.ingest(WORKSPACES[*ws], "web", batch).unwrap();
                    prop_assert_eq!(a, b);
                }
                Op::Delete(ws, k) => {
                    let a = fjall.delete_profile(WORKSPACES[*ws], key(*k), false).unwrap();
                    let b = memory.delete_profile(WORKSPACES[*ws], key(*k), false).unwrap();
                    prop_assert_eq!(a, b);
                }
            }
            same_state(&fjall, &memory)?;
        }
        drop(fjall);
        let reopened = FjallStore::open(dir.path()).unwrap();
        same_state(&reopened, &memory)?;
    }
}

#[test]
fn due_scans_skip_what_was_sent_and_still_see_earlier_additions() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path()).unwrap();
    let first: Vec<OutboxRecord> = (0..50).map(|i| delivery(&format!("a{i}"), i)).collect();
    store.outbox_add(first).unwrap();
    // Send them all: their due keys become tombstones at the front of the index.
    let mut sent = store.outbox_due("hook", 100, 100).unwrap();
    assert_eq!(sent.len(), 50);
    for r in &mut sent {
        r.status = DeliveryStatus::Delivered;
    }
    store.outbox_update(sent).unwrap();
    assert!(store.outbox_due("hook", 100, 100).unwrap().is_empty());
    assert_eq!(store.outbox_next_due("hook").unwrap(), None);
    // A later record not yet due raises the scans' start to it ...
    store.outbox_add(vec![delivery("late", 500)]).unwrap();
    assert!(store.outbox_due("hook", 100, 10).unwrap().is_empty());
    // ... and a record added below it afterwards is still found.
    store.outbox_add(vec![delivery("early", 60)]).unwrap();
    let due = store.outbox_due("hook", 100, 10).unwrap();
    assert_eq!(
        due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["early"]
    );
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(60));
    // A retry moved earlier than the start is found too.
    let mut late = store.outbox_get("late").unwrap().unwrap();
    late.next_attempt_at = 10;
    store.outbox_update(vec![late]).unwrap();
    let due = store.outbox_due("hook", 100, 10).unwrap();
    assert_eq!(
        due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["late", "early"]
    );
}

#[test]
fn a_store_made_before_the_arrival_index_gets_it_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = FjallStore::open(dir.path()).unwrap();
    workspace(&store, "w");
    let messages = vec![
        track(Some("u"), None, 30, "Late"),
        track(None, Some("a"), 10, "Anonymous"),
        track(Some("v"), None, 20, "Other"),
    ];
    store.ingest("w", "web", messages).unwrap();
    let before = arrivals(&store, "w");
    assert_eq!(before.len(), 3);
    // What a store made before the index holds: events, no index, no mark.
    let keys: Vec<Vec<u8>> = store
        .ks
        .arrivals
        .iter()
        .map(|g| g.key().unwrap().to_vec())
        .collect();
    for key in keys {
        store.ks.arrivals.remove(key).unwrap();
    }
    store.ks.meta.remove("arrival_index").unwrap();
    assert!(arrivals(&store, "w").is_empty());
    drop(store);
    let reopened = FjallStore::open(dir.path()).unwrap();
    assert_eq!(arrivals(&reopened, "w"), before);
}

/// Both ways of reading the log after a cursor (the index a chunk at a time, or scans a
/// window at a time), at sizes that cut it anywhere, give what the memory store gives:
/// every event after the cursor once, by seq, with its owner's keys after a merge.
#[test]
fn every_way_of_reading_a_tail_agrees_with_memory() {
    let dir = tempfile::tempdir().unwrap();
    let fjall = FjallStore::open(dir.path()).unwrap();
    let memory = MemoryStore::new();
    for store in [&fjall as &dyn Store, &memory] {
        workspace(store, "w");
        workspace(store, "x");
        // Users in no key order, some events earlier in time than the one before.
        let mut batch: Vec<Message> = (0..24)
            .map(|i| {
                track(
                    Some(&format!("u{}", (i * 7) % 5)),
                    None,
                    1_000 - (i % 4) * 100 + i,
                    "E",
                )
            })
            .collect();
        batch.push(track(None, Some("a8"), 50, "Anonymous"));
        batch.push(track(Some("u8"), None, 60, "Known"));
        batch.push(track(Some("u8"), Some("a8"), 70, "Merged"));
        batch.push(track(Some("u2"), None, 80, "Last"));
        store.ingest("w", "web", batch).unwrap();
        store
            .ingest("x", "web", vec![track(Some("u1"), None, 5, "Elsewhere")])
            .unwrap();
    }
    let by_scans = |chunk, window| super::arrival::Reading {
        chunk,
        window,
        scanned: u64::MAX,
        scans: u64::MAX,
    };
    let by_chunks = |chunk, window| super::arrival::Reading {
        chunk,
        window,
        scanned: 0,
        scans: u64::MAX,
    };
    for after in 0..=30 {
        let mut want = Vec::new();
        memory
            .for_each_event_arrived_after("w", after, &mut |e| want.push(e))
            .unwrap();
        for reading in [
            by_scans(1, 1),
            by_scans(4, 7),
            by_scans(64, 64),
            by_chunks(1, 1),
            by_chunks(4, 7),
            by_chunks(64, 64),
        ] {
            let mut got = Vec::new();
            super::arrival::for_each_event_arrived_after(
                &fjall.ks,
                "w",
                after,
                reading,
                &mut |e| got.push(e),
            )
            .unwrap();
            assert_eq!(
                got, want,
                "after {after}, chunk {}, window {}, scanned {}",
                reading.chunk, reading.window, reading.scanned
            );
        }
    }
}
