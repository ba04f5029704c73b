//! The conformance suite every [`Store`] backend must pass. Instantiate it with
//! [`store_conformance_suite!`](crate::store_conformance_suite):
//!
//! ```ignore
//! waymark_store::store_conformance_suite!(memory, || waymark_store::MemoryStore::new());
//! waymark_store::store_conformance_suite!(fjall, || {
//!     let dir = tempfile::tempdir().unwrap();
//!     (waymark_store::FjallStore::open(dir.path()).unwrap(), dir)
//! });
//! ```
//!
//! The constructor returns a store, or a `(store, guard)` pair whose guard (a temporary
//! directory, a server) lives as long as the store. Each test gets a fresh one.

use serde_json::{Value, json};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::model::{AdminToken, Input, InputKind, Profile, StoredEvent, TokenScope, Workspace};
use crate::store::{IngestSummary, Store, StoreError};

/// What a suite constructor may return: a store, or a store with a guard kept alive
/// beside it.
pub trait AsStore {
    /// The store under test.
    fn as_store(&self) -> &dyn Store;
}

impl<S: Store> AsStore for S {
    fn as_store(&self) -> &dyn Store {
        self
    }
}

impl<S: Store, G> AsStore for (S, G) {
    fn as_store(&self) -> &dyn Store {
        &self.0
    }
}

/// Expands to a module of `#[test]`s running the whole conformance suite against the
/// stores `$make` returns (a fresh one per test; see [`AsStore`]).
#[macro_export]
macro_rules! store_conformance_suite {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::store_conformance_suite!(@tests $make;
                workspaces_are_created_listed_and_unique,
                inputs_are_unique_by_id_and_by_write_key,
                admin_tokens_are_kept_by_hash,
                ingest_needs_a_workspace,
                an_empty_batch_stores_nothing,
                a_message_naming_nobody_is_refused,
                ingest_creates_a_profile_with_its_events,
                the_latest_trait_write_by_event_time_wins,
                trait_since_moves_only_when_the_value_changes,
                a_null_trait_removes_it,
                consent_comes_three_ways,
                email_becomes_an_identity,
                message_ids_deduplicate_within_a_workspace,
                a_user_id_and_an_anonymous_id_merge,
                alias_merges_the_previous_id,
                two_user_ids_are_never_merged,
                a_second_user_id_gets_its_own_profile,
                two_anonymous_histories_merge_under_a_new_user,
                deleting_a_profile_removes_everything,
                events_limit_keeps_the_latest_in_time_order,
                for_each_profile_visits_profiles_in_id_order,
                workspaces_are_isolated,
            );
        }
    };
    (@tests $make:expr; $($test:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                let made = ($make)();
                $crate::suite::$test($crate::suite::AsStore::as_store(&made));
            }
        )*
    };
}

fn workspace(store: &dyn Store, id: &str) {
    store
        .create_workspace(Workspace {
            id: id.into(),
            name: format!("Workspace {id}"),
        })
        .unwrap();
}

fn input(ws: &str, id: &str, write_key: &str) -> Input {
    Input {
        workspace: ws.into(),
        id: id.into(),
        name: id.to_uppercase(),
        kind: InputKind::Web,
        write_key: write_key.into(),
        secret: None,
    }
}

fn message(
    kind: MessageKind,
    user: Option<&str>,
    anonymous: Option<&str>,
    at: Millis,
    name: Option<&str>,
    traits: Value,
) -> Message {
    Message {
        message_id: None,
        kind,
        identity: Identity {
            user_id: user.map(str::to_string),
            anonymous_id: anonymous.map(str::to_string),
            previous_id: None,
            others: Vec::new(),
        },
        event: Event {
            at,
            name: name.map(str::to_string),
            properties: json!({}),
            context: json!({}),
            traits: traits.as_object().cloned().unwrap_or_default(),
            input: Some("web".into()),
        },
        received_at: at,
    }
}

fn track(user: Option<&str>, anonymous: Option<&str>, at: Millis, name: &str) -> Message {
    message(
        MessageKind::Track,
        user,
        anonymous,
        at,
        Some(name),
        json!({}),
    )
}

fn identify(user: Option<&str>, anonymous: Option<&str>, at: Millis, traits: Value) -> Message {
    message(MessageKind::Identify, user, anonymous, at, None, traits)
}

fn alias(user: &str, previous: &str, at: Millis) -> Message {
    let mut m = message(MessageKind::Alias, Some(user), None, at, None, json!({}));
    m.identity.previous_id = Some(previous.into());
    m
}

fn with_id(mut m: Message, id: &str) -> Message {
    m.message_id = Some(id.into());
    m
}

fn ingest(store: &dyn Store, ws: &str, messages: Vec<Message>) -> IngestSummary {
    store.ingest(ws, "web", messages).unwrap()
}

fn profile(store: &dyn Store, ws: &str, key: &str) -> Profile {
    store
        .profile(ws, key)
        .unwrap()
        .unwrap_or_else(|| panic!("no profile for {key}"))
}

fn names(events: &[StoredEvent]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e.name.as_deref().unwrap_or(e.kind.as_str()))
        .collect()
}

fn all_events(store: &dyn Store, ws: &str, key: &str) -> Vec<StoredEvent> {
    store.events(ws, key, usize::MAX).unwrap().unwrap()
}

fn profile_count(store: &dyn Store, ws: &str) -> usize {
    let mut n = 0;
    store.for_each_profile(ws, &mut |_, _| n += 1).unwrap();
    n
}

/// Workspaces: create, list by id, get, and `AlreadyExists` for a taken id.
pub fn workspaces_are_created_listed_and_unique(store: &dyn Store) {
    assert!(store.workspaces().unwrap().is_empty());
    workspace(store, "b");
    workspace(store, "a");
    let ids: Vec<String> = store
        .workspaces()
        .unwrap()
        .into_iter()
        .map(|w| w.id)
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(store.workspace("a").unwrap().unwrap().name, "Workspace a");
    assert_eq!(store.workspace("zz").unwrap(), None);
    let again = store.create_workspace(Workspace {
        id: "a".into(),
        name: "again".into(),
    });
    assert!(matches!(
        again,
        Err(StoreError::AlreadyExists {
            kind: "workspace",
            ..
        })
    ));
}

/// Inputs: need their workspace; ids are unique in a workspace, write keys everywhere;
/// lookup by write key.
pub fn inputs_are_unique_by_id_and_by_write_key(store: &dyn Store) {
    workspace(store, "w1");
    workspace(store, "w2");
    assert!(matches!(
        store.create_input(input("nope", "web", "k0")),
        Err(StoreError::NotFound {
            kind: "workspace",
            ..
        })
    ));
    store.create_input(input("w1", "web", "k1")).unwrap();
    store.create_input(input("w1", "ios", "k2")).unwrap();
    store.create_input(input("w2", "web", "k3")).unwrap();
    assert!(matches!(
        store.create_input(input("w1", "web", "k4")),
        Err(StoreError::AlreadyExists { kind: "input", .. })
    ));
    let taken = store.create_input(input("w2", "android", "k1"));
    assert!(matches!(
        taken,
        Err(StoreError::AlreadyExists {
            kind: "write key",
            ..
        })
    ));
    let ids: Vec<String> = store
        .inputs("w1")
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, ["ios", "web"]);
    assert_eq!(store.inputs("w2").unwrap().len(), 1);
    assert!(store.inputs("none").unwrap().is_empty());
    assert_eq!(
        store.input_by_write_key("k3").unwrap(),
        Some(input("w2", "web", "k3"))
    );
    assert_eq!(store.input_by_write_key("k4").unwrap(), None);
}

/// Admin tokens: stored and replaced by hash.
pub fn admin_tokens_are_kept_by_hash(store: &dyn Store) {
    assert!(!store.has_tokens().unwrap());
    let token = AdminToken {
        secret_sha256: "ab12".into(),
        name: "ops".into(),
        scope: TokenScope::Account,
    };
    store.put_token(token.clone()).unwrap();
    assert!(store.has_tokens().unwrap());
    assert_eq!(store.token("ab12").unwrap(), Some(token));
    let scoped = AdminToken {
        secret_sha256: "ab12".into(),
        name: "ws".into(),
        scope: TokenScope::Workspace("w1".into()),
    };
    store.put_token(scoped.clone()).unwrap();
    assert_eq!(store.token("ab12").unwrap(), Some(scoped));
    assert_eq!(store.token("cd34").unwrap(), None);
}

/// Ingest into a missing workspace is `NotFound`.
pub fn ingest_needs_a_workspace(store: &dyn Store) {
    let result = store.ingest("nope", "web", vec![track(Some("u"), None, 1, "E")]);
    assert!(matches!(
        result,
        Err(StoreError::NotFound {
            kind: "workspace",
            ..
        })
    ));
}

/// An empty batch succeeds and stores nothing.
pub fn an_empty_batch_stores_nothing(store: &dyn Store) {
    workspace(store, "w");
    assert_eq!(ingest(store, "w", vec![]), IngestSummary::default());
    assert_eq!(profile_count(store, "w"), 0);
}

/// A batch with a message that has no identifier is refused whole.
pub fn a_message_naming_nobody_is_refused(store: &dyn Store) {
    workspace(store, "w");
    let batch = vec![track(Some("u"), None, 1, "E"), track(None, None, 2, "E")];
    assert!(store.ingest("w", "web", batch).is_err());
    assert_eq!(profile_count(store, "w"), 0);
}

/// Ingest creates a profile holding the identifiers and stores the events.
pub fn ingest_creates_a_profile_with_its_events(store: &dyn Store) {
    workspace(store, "w");
    let mut first = track(None, Some("anon-1"), 1_000, "Page Viewed");
    first.event.properties = json!({"path": "/"});
    first.event.context = json!({"ip": "127.0.0.1"});
    let summary = ingest(
        store,
        "w",
        vec![first, track(None, Some("anon-1"), 2_000, "Signed Up")],
    );
    assert_eq!(
        summary,
        IngestSummary {
            stored: 2,
            duplicates: 0
        }
    );
    let p = profile(store, "w", "anon-1");
    assert_eq!(p.workspace, "w");
    assert_eq!(p.user_id, None);
    assert_eq!(p.anonymous_ids, ["anon-1"]);
    assert_eq!(
        (p.first_seen, p.last_seen, p.event_count),
        (1_000, 2_000, 2)
    );
    let events = all_events(store, "w", "anon-1");
    assert_eq!(names(&events), ["Page Viewed", "Signed Up"]);
    let e = &events[0];
    assert_eq!(e.kind, "track");
    assert_eq!(e.timestamp, 1_000);
    assert_eq!(e.received_at, 1_000);
    assert_eq!(e.input.as_deref(), Some("web"));
    assert_eq!(e.anonymous_id.as_deref(), Some("anon-1"));
    assert_eq!(e.properties, json!({"path": "/"}));
    assert_eq!(e.context, json!({"ip": "127.0.0.1"}));
    assert_eq!(store.profile("w", "nobody").unwrap(), None);
    assert_eq!(store.events("w", "nobody", 10).unwrap(), None);
}

/// Traits merge by key; an older identify arriving later does not overwrite.
pub fn the_latest_trait_write_by_event_time_wins(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(
            Some("u"),
            None,
            200,
            json!({"plan": "pro", "age": 40}),
        )],
    );
    ingest(
        store,
        "w",
        vec![identify(
            Some("u"),
            None,
            100,
            json!({"plan": "free", "city": "Oslo"}),
        )],
    );
    let p = profile(store, "w", "u");
    assert_eq!(p.traits["plan"], "pro");
    assert_eq!(p.traits["age"], 40);
    assert_eq!(p.traits["city"], "Oslo");
    assert_eq!(p.trait_times["plan"].written, 200);
    assert_eq!(p.event_count, 2);
    assert_eq!((p.first_seen, p.last_seen), (100, 200));
}

/// A trait's `since` is when it took its current value.
pub fn trait_since_moves_only_when_the_value_changes(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 10, json!({"plan": "pro"}))],
    );
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 20, json!({"plan": "pro"}))],
    );
    let p = profile(store, "w", "u");
    assert_eq!(
        (p.trait_times["plan"].since, p.trait_times["plan"].written),
        (10, 20)
    );
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 30, json!({"plan": "max"}))],
    );
    let p = profile(store, "w", "u");
    assert_eq!(
        (p.trait_times["plan"].since, p.trait_times["plan"].written),
        (30, 30)
    );
}

/// A null value removes the trait; an older write cannot bring it back.
pub fn a_null_trait_removes_it(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(
            Some("u"),
            None,
            10,
            json!({"plan": "pro", "x": 1}),
        )],
    );
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 20, json!({"plan": null}))],
    );
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 15, json!({"plan": "free"}))],
    );
    let p = profile(store, "w", "u");
    assert!(!p.traits.contains_key("plan"));
    assert_eq!(p.traits["x"], 1);
    assert_eq!(p.trait_times["plan"].written, 20);
}

/// Consent from `context.consent.categoryPreferences`, a `consent` trait object and
/// `consent.<purpose>` traits, the latest write by event time winning per purpose.
pub fn consent_comes_three_ways(store: &dyn Store) {
    workspace(store, "w");
    let mut from_context = track(Some("u"), None, 10, "Consent Updated");
    from_context.event.context =
        json!({"consent": {"categoryPreferences": {"ads": true, "analytics": true}}});
    ingest(store, "w", vec![from_context]);
    ingest(
        store,
        "w",
        vec![identify(
            Some("u"),
            None,
            20,
            json!({"consent": {"analytics": false}}),
        )],
    );
    ingest(
        store,
        "w",
        vec![identify(
            Some("u"),
            None,
            30,
            json!({"consent.email": true}),
        )],
    );
    ingest(
        store,
        "w",
        vec![identify(Some("u"), None, 5, json!({"consent.ads": false}))],
    );
    let p = profile(store, "w", "u");
    assert_eq!(p.consent.get("ads"), Some(&true));
    assert_eq!(p.consent.get("analytics"), Some(&false));
    assert_eq!(p.consent.get("email"), Some(&true));
}

/// The `email` trait and other identifiers become identities.
pub fn email_becomes_an_identity(store: &dyn Store) {
    workspace(store, "w");
    let mut m = identify(Some("u"), None, 10, json!({"email": "u@example.com"}));
    m.identity.others = vec![("customer_id".into(), "c-9".into())];
    ingest(store, "w", vec![m]);
    let p = profile(store, "w", "u");
    assert_eq!(p.identities["email"], "u@example.com");
    assert_eq!(p.identities["customer_id"], "c-9");
}

/// A `messageId` repeats within a workspace are ignored (also within one batch); the same
/// id in another workspace is new.
pub fn message_ids_deduplicate_within_a_workspace(store: &dyn Store) {
    workspace(store, "w1");
    workspace(store, "w2");
    let m = || with_id(track(Some("u"), None, 10, "E"), "m-1");
    assert_eq!(
        ingest(store, "w1", vec![m()]),
        IngestSummary {
            stored: 1,
            duplicates: 0
        }
    );
    assert_eq!(
        ingest(store, "w1", vec![m()]),
        IngestSummary {
            stored: 0,
            duplicates: 1
        }
    );
    assert_eq!(
        ingest(store, "w2", vec![m()]),
        IngestSummary {
            stored: 1,
            duplicates: 0
        }
    );
    let twice = vec![
        with_id(track(Some("v"), None, 10, "E"), "m-2"),
        with_id(track(Some("v"), None, 11, "E"), "m-2"),
        track(Some("v"), None, 12, "No Id"),
        track(Some("v"), None, 12, "No Id"),
    ];
    assert_eq!(
        ingest(store, "w1", twice),
        IngestSummary {
            stored: 3,
            duplicates: 1
        }
    );
    assert_eq!(all_events(store, "w1", "u").len(), 1);
    assert_eq!(all_events(store, "w1", "v").len(), 3);
    assert_eq!(profile(store, "w1", "v").event_count, 3);
}

/// Anonymous history, then a message with both ids: one profile holding every event,
/// reachable by either key.
pub fn a_user_id_and_an_anonymous_id_merge(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(None, Some("a1"), 10, json!({"plan": "free"}))],
    );
    ingest(store, "w", vec![track(None, Some("a1"), 20, "Viewed")]);
    ingest(store, "w", vec![track(Some("u1"), None, 15, "Logged In")]);
    ingest(
        store,
        "w",
        vec![identify(
            Some("u1"),
            Some("a1"),
            30,
            json!({"email": "u@x"}),
        )],
    );
    let by_user = profile(store, "w", "u1");
    let by_anon = profile(store, "w", "a1");
    assert_eq!(by_user, by_anon);
    assert_eq!(by_user.user_id.as_deref(), Some("u1"));
    assert_eq!(by_user.anonymous_ids, ["a1"]);
    assert_eq!(by_user.event_count, 4);
    assert_eq!((by_user.first_seen, by_user.last_seen), (10, 30));
    assert_eq!(by_user.traits["plan"], "free");
    assert_eq!(by_user.traits["email"], "u@x");
    assert_eq!(by_user.merged_from.len(), 1);
    let events = all_events(store, "w", "a1");
    assert_eq!(
        names(&events),
        ["identify", "Logged In", "Viewed", "identify"]
    );
    assert_eq!(profile_count(store, "w"), 1);
    // Later events of either identifier reach the merged profile.
    ingest(store, "w", vec![track(None, Some("a1"), 40, "Again")]);
    assert_eq!(profile(store, "w", "u1").event_count, 5);
}

/// `alias` (previousId → userId) merges the previous identifier's profile.
pub fn alias_merges_the_previous_id(store: &dyn Store) {
    workspace(store, "w");
    ingest(store, "w", vec![track(None, Some("anon"), 10, "Browsed")]);
    ingest(store, "w", vec![track(Some("u"), None, 20, "Bought")]);
    ingest(store, "w", vec![alias("u", "anon", 30)]);
    let p = profile(store, "w", "anon");
    assert_eq!(p.user_id.as_deref(), Some("u"));
    assert_eq!(p.anonymous_ids, ["anon"]);
    assert_eq!(
        names(&all_events(store, "w", "u")),
        ["Browsed", "Bought", "alias"]
    );
    assert_eq!(profile_count(store, "w"), 1);
    // An alias whose previous id is unknown attaches it.
    ingest(store, "w", vec![alias("u", "old-device", 40)]);
    assert_eq!(profile(store, "w", "old-device").id, p.id);
    assert_eq!(profile_count(store, "w"), 1);
}

/// An alias between two user ids keeps two profiles.
pub fn two_user_ids_are_never_merged(store: &dyn Store) {
    workspace(store, "w");
    ingest(store, "w", vec![track(Some("u1"), None, 10, "A")]);
    ingest(store, "w", vec![track(Some("u2"), None, 20, "B")]);
    ingest(store, "w", vec![alias("u2", "u1", 30)]);
    let one = profile(store, "w", "u1");
    let two = profile(store, "w", "u2");
    assert_ne!(one.id, two.id);
    assert_eq!(one.user_id.as_deref(), Some("u1"));
    assert_eq!(two.user_id.as_deref(), Some("u2"));
    assert_eq!(names(&all_events(store, "w", "u1")), ["A"]);
    assert_eq!(names(&all_events(store, "w", "u2")), ["B", "alias"]);
    // Alias to a user id never seen: it gets its own profile too.
    ingest(store, "w", vec![alias("u3", "u1", 40)]);
    assert_eq!(profile(store, "w", "u3").user_id.as_deref(), Some("u3"));
    assert_eq!(profile_count(store, "w"), 3);
}

/// A known anonymous id with a new user id: the user id gets its own profile and the
/// anonymous id stays where it is.
pub fn a_second_user_id_gets_its_own_profile(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(Some("u1"), Some("device"), 10, json!({}))],
    );
    ingest(
        store,
        "w",
        vec![track(Some("u2"), Some("device"), 20, "Shared Device")],
    );
    let one = profile(store, "w", "u1");
    let two = profile(store, "w", "u2");
    assert_ne!(one.id, two.id);
    assert_eq!(one.anonymous_ids, ["device"]);
    assert!(two.anonymous_ids.is_empty());
    assert_eq!(profile(store, "w", "device").id, one.id);
    assert_eq!(names(&all_events(store, "w", "u2")), ["Shared Device"]);
}

/// An alias to a new user id from two anonymous histories merges both into one profile.
pub fn two_anonymous_histories_merge_under_a_new_user(store: &dyn Store) {
    workspace(store, "w");
    ingest(store, "w", vec![track(None, Some("a1"), 10, "One")]);
    ingest(store, "w", vec![track(None, Some("a2"), 20, "Two")]);
    let mut m = alias("u", "a2", 30);
    m.identity.anonymous_id = Some("a1".into());
    ingest(store, "w", vec![m]);
    let p = profile(store, "w", "u");
    assert_eq!(p.user_id.as_deref(), Some("u"));
    assert_eq!(profile(store, "w", "a1").id, p.id);
    assert_eq!(profile(store, "w", "a2").id, p.id);
    assert_eq!(names(&all_events(store, "w", "u")), ["One", "Two", "alias"]);
    assert_eq!(profile_count(store, "w"), 1);
}

/// Deleting a profile removes it, its events and identifiers; a later event starts afresh.
pub fn deleting_a_profile_removes_everything(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(Some("u"), Some("a"), 10, json!({"plan": "pro"}))],
    );
    ingest(store, "w", vec![track(Some("other"), None, 10, "Kept")]);
    let old = profile(store, "w", "u");
    assert!(store.delete_profile("w", "a").unwrap());
    assert_eq!(store.profile("w", "u").unwrap(), None);
    assert_eq!(store.profile("w", "a").unwrap(), None);
    assert_eq!(store.events("w", "u", 10).unwrap(), None);
    assert!(!store.delete_profile("w", "u").unwrap());
    assert!(!store.delete_profile("nope", "u").unwrap());
    assert_eq!(profile_count(store, "w"), 1);
    ingest(store, "w", vec![track(Some("u"), None, 20, "Back")]);
    let fresh = profile(store, "w", "u");
    assert_ne!(fresh.id, old.id);
    assert!(fresh.traits.is_empty());
    assert!(fresh.anonymous_ids.is_empty());
    assert_eq!(names(&all_events(store, "w", "u")), ["Back"]);
}

/// `events` returns the latest `limit` events, in time order, whatever the arrival order.
pub fn events_limit_keeps_the_latest_in_time_order(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![
            track(Some("u"), None, 30, "C"),
            track(Some("u"), None, 10, "A"),
        ],
    );
    ingest(
        store,
        "w",
        vec![
            track(Some("u"), None, 40, "D"),
            track(Some("u"), None, 20, "B"),
        ],
    );
    ingest(store, "w", vec![track(Some("u"), None, 40, "D2")]);
    assert_eq!(
        names(&store.events("w", "u", 3).unwrap().unwrap()),
        ["C", "D", "D2"]
    );
    assert_eq!(
        names(&all_events(store, "w", "u")),
        ["A", "B", "C", "D", "D2"]
    );
    assert!(store.events("w", "u", 0).unwrap().unwrap().is_empty());
}

/// `for_each_profile` visits every profile of the workspace with its events, by id.
pub fn for_each_profile_visits_profiles_in_id_order(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    ingest(
        store,
        "w",
        vec![
            track(Some("u1"), None, 10, "A"),
            track(None, Some("a2"), 20, "B"),
        ],
    );
    ingest(
        store,
        "w",
        vec![
            track(Some("u3"), None, 5, "C"),
            track(Some("u1"), None, 1, "D"),
        ],
    );
    ingest(store, "x", vec![track(Some("u1"), None, 10, "Elsewhere")]);
    let mut seen = Vec::new();
    store
        .for_each_profile("w", &mut |p, events| {
            seen.push((p.id, p.profile_key(), names(&events).join(",")));
        })
        .unwrap();
    let keys: Vec<(String, String)> = seen
        .iter()
        .map(|(_, k, e)| (k.clone(), e.clone()))
        .collect();
    assert_eq!(
        keys,
        [
            ("u1".to_string(), "D,A".to_string()),
            ("a2".to_string(), "B".to_string()),
            ("u3".to_string(), "C".to_string()),
        ]
    );
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));
    let mut none = 0;
    store
        .for_each_profile("nope", &mut |_, _| none += 1)
        .unwrap();
    assert_eq!(none, 0);
}

/// The same user id in two workspaces is two profiles.
pub fn workspaces_are_isolated(store: &dyn Store) {
    workspace(store, "w1");
    workspace(store, "w2");
    ingest(
        store,
        "w1",
        vec![identify(Some("u"), Some("a"), 10, json!({"plan": "pro"}))],
    );
    ingest(
        store,
        "w2",
        vec![identify(Some("u"), None, 20, json!({"plan": "free"}))],
    );
    assert_eq!(profile(store, "w1", "u").traits["plan"], "pro");
    assert_eq!(profile(store, "w2", "u").traits["plan"], "free");
    assert_eq!(store.profile("w2", "a").unwrap(), None);
    assert!(store.delete_profile("w2", "u").unwrap());
    assert_eq!(profile(store, "w1", "u").event_count, 1);
    assert_eq!(all_events(store, "w1", "u").len(), 1);
}

/// A profile's key as the API names it.
trait ProfileKey {
    fn profile_key(&self) -> String;
}

impl ProfileKey for Profile {
    fn profile_key(&self) -> String {
        self.user_id
            .clone()
            .or_else(|| self.anonymous_ids.first().cloned())
            .unwrap_or_default()
    }
}
