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

use std::sync::mpsc::{Receiver, TryRecvError};

use serde_json::{Value, json};
use waymark_engine::time::Millis;
use waymark_engine::{Event, Identity, Message, MessageKind};

use crate::checkpoint::Checkpoint;
use crate::feed::{Applied, Commit};
use crate::model::{
    AdminToken, DocumentWrite, Input, InputKind, MAX_REJECTED_KEPT, Profile, RejectedMessage,
    StoredEvent, TokenScope, Workspace,
};
use crate::outbox::{
    Attempt, AttemptOutcome, DeliveryStatus, GroupError, OutboxQuery, OutboxRecord,
};
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
                events_are_paged_newest_first_with_a_cursor,
                profiles_are_paged_by_id_with_a_filter,
                a_suppressed_profile_stays_away_until_unsuppressed,
                erasing_keeps_what_was_not_deleted,
                events_limit_keeps_the_latest_in_time_order,
                for_each_profile_visits_profiles_in_id_order,
                workspaces_are_isolated,
                ingest_reports_what_each_message_did,
                the_feed_sends_durable_commits_in_order,
                a_new_subscriber_replaces_the_old_one,
                events_by_arrival_follow_seq_across_merges,
                events_by_name_are_those_named_with_their_owner,
                profiles_are_found_by_id,
                documents_are_written_read_and_deleted,
                document_collections_are_isolated,
                checkpoints_keep_the_latest_per_partition,
                outbox_add_assigns_seqs_and_skips_known_ids,
                outbox_due_is_by_time_then_seq,
                outbox_update_moves_records_between_indexes,
                outbox_list_and_counts,
                outbox_remove_for_discards_matching_pending_records,
                outbox_erase_removes_every_record_of_the_keys,
                rejected_messages_are_kept_newest_first_and_counted,
                deleting_a_profile_forgets_the_rejected_messages_naming_it,
                the_oldest_rejected_messages_make_room,
                a_timestamp_adjusted_flag_is_stored,
                outbox_due_offers_only_the_first_pending_record_of_a_key,
                outbox_settle_leaves_records_no_longer_pending,
                outbox_group_counts_per_group,
                outbox_group_errors_keep_the_latest,
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
        timestamp_adjusted: false,
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

/// (stored, duplicates).
fn counts(summary: &IngestSummary) -> (usize, usize) {
    (summary.stored, summary.duplicates)
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
    assert_eq!(counts(&summary), (2, 0));
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
    assert_eq!(counts(&ingest(store, "w1", vec![m()])), (1, 0));
    assert_eq!(counts(&ingest(store, "w1", vec![m()])), (0, 1));
    assert_eq!(counts(&ingest(store, "w2", vec![m()])), (1, 0));
    let twice = vec![
        with_id(track(Some("v"), None, 10, "E"), "m-2"),
        with_id(track(Some("v"), None, 11, "E"), "m-2"),
        track(Some("v"), None, 12, "No Id"),
        track(Some("v"), None, 12, "No Id"),
    ];
    assert_eq!(counts(&ingest(store, "w1", twice)), (3, 1));
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

/// Deleting with `suppress` drops every later message naming any of the profile's
/// identifiers (counted as suppressed, not stored, not duplicates) until unsuppressed; other
/// workspaces and other users are unaffected.
pub fn a_suppressed_profile_stays_away_until_unsuppressed(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "w2");
    ingest(
        store,
        "w",
        vec![identify(Some("u"), Some("a"), 10, json!({"plan": "pro"}))],
    );
    assert!(store.delete_profile("w", "u", true).unwrap());
    assert_eq!(store.suppressed("w").unwrap(), ["a", "u"]);
    assert!(store.suppressed("w2").unwrap().is_empty());
    let summary = ingest(
        store,
        "w",
        vec![
            track(Some("u"), None, 20, "By user id"),
            track(None, Some("a"), 21, "By anonymous id"),
            track(Some("someone-else"), Some("a"), 22, "Naming both"),
            track(Some("fine"), None, 23, "Unrelated"),
        ],
    );
    assert_eq!(
        (summary.stored, summary.duplicates, summary.suppressed),
        (1, 0, 3)
    );
    assert_eq!(store.profile("w", "u").unwrap(), None);
    assert_eq!(store.profile("w", "someone-else").unwrap(), None);
    // Another workspace's `u` is a different person.
    ingest(store, "w2", vec![track(Some("u"), None, 20, "Elsewhere")]);
    assert_eq!(names(&all_events(store, "w2", "u")), ["Elsewhere"]);
    // A suppressed key without a profile is still suppressed; unsuppressing lets it in.
    assert!(!store.delete_profile("w", "never-seen", true).unwrap());
    assert!(store.unsuppress("w", "u").unwrap());
    assert!(!store.unsuppress("w", "u").unwrap());
    assert_eq!(store.suppressed("w").unwrap(), ["a", "never-seen"]);
    ingest(store, "w", vec![track(Some("u"), None, 30, "Back")]);
    assert_eq!(names(&all_events(store, "w", "u")), ["Back"]);
}

/// Erasing deleted data leaves everything else as it was.
pub fn erasing_keeps_what_was_not_deleted(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![
            identify(Some("gone"), None, 10, json!({"email": "gone@example.com"})),
            identify(Some("kept"), None, 10, json!({"email": "kept@example.com"})),
            track(Some("kept"), None, 11, "Stays"),
        ],
    );
    assert!(store.delete_profile("w", "gone", false).unwrap());
    store.erase_deleted().unwrap();
    assert_eq!(store.profile("w", "gone").unwrap(), None);
    let kept = profile(store, "w", "kept");
    assert_eq!(kept.traits["email"], json!("kept@example.com"));
    assert_eq!(
        names(&all_events(store, "w", "kept")),
        ["identify", "Stays"]
    );
    ingest(store, "w", vec![track(Some("kept"), None, 12, "After")]);
    assert_eq!(
        names(&all_events(store, "w", "kept")),
        ["identify", "Stays", "After"]
    );
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
    assert!(store.delete_profile("w", "a", false).unwrap());
    assert_eq!(store.profile("w", "u").unwrap(), None);
    assert_eq!(store.profile("w", "a").unwrap(), None);
    assert_eq!(store.events("w", "u", 10).unwrap(), None);
    assert!(!store.delete_profile("w", "u", false).unwrap());
    assert!(!store.delete_profile("nope", "u", false).unwrap());
    assert_eq!(profile_count(store, "w"), 1);
    ingest(store, "w", vec![track(Some("u"), None, 20, "Back")]);
    let fresh = profile(store, "w", "u");
    assert_ne!(fresh.id, old.id);
    assert!(fresh.traits.is_empty());
    assert!(fresh.anonymous_ids.is_empty());
    assert_eq!(names(&all_events(store, "w", "u")), ["Back"]);
}

/// Deleting a profile removes the rejected messages whose excerpt names one of its
/// identifiers (quoted, so a longer id that starts the same stays); counts stay.
pub fn deleting_a_profile_forgets_the_rejected_messages_naming_it(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![identify(Some("u"), Some("a"), 10, json!({"plan": "pro"}))],
    );
    let naming = |excerpt: &str, seq| RejectedMessage {
        excerpt: excerpt.to_string(),
        ..rejected("web", "bad_field_type", seq)
    };
    store
        .record_rejected(
            "w",
            vec![
                naming(r#"{"userId":"u","timestamp":{"x":1}}"#, 1),
                naming(r#"{"anonymousId":"a","event":7}"#, 2),
                naming(r#"{"userId":"u2","event":7}"#, 3),
            ],
        )
        .unwrap();
    assert!(store.delete_profile("w", "u", false).unwrap());
    let left: Vec<_> = store
        .rejected("w", None, 10)
        .unwrap()
        .into_iter()
        .map(|r| r.excerpt)
        .collect();
    assert_eq!(left, [r#"{"userId":"u2","event":7}"#]);
    assert_eq!(store.rejected_counts("w").unwrap()["web"], 3);
}

/// `events_page` gives a profile's events newest first (by event time, then arrival),
/// cut at the position it returns, until none are left.
pub fn events_are_paged_newest_first_with_a_cursor(store: &dyn Store) {
    workspace(store, "w");
    ingest(
        store,
        "w",
        vec![
            track(Some("u"), None, 30, "C"),
            track(Some("u"), None, 10, "A"),
            track(Some("u"), None, 20, "B1"),
            track(Some("u"), None, 20, "B2"),
            track(Some("v"), None, 15, "Other"),
        ],
    );
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.events_page("w", "u", before, 2).unwrap().unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 2);
        before = page.last().map(|(p, _)| *p);
        seen.extend(page.into_iter().map(|(_, e)| e.name.unwrap()));
    }
    assert_eq!(seen, ["C", "B2", "B1", "A"]);
    assert_eq!(store.events_page("w", "nobody", None, 2).unwrap(), None);
    assert_eq!(store.events_page("nope", "u", None, 2).unwrap(), None);
}

/// `profiles_page` lists profiles by internal id after a cursor, keeping those the filter
/// accepts, at most `limit`.
pub fn profiles_are_paged_by_id_with_a_filter(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    for (i, user) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        let email = format!(
            "{user}@{}",
            if i % 2 == 0 { "even.test" } else { "odd.test" }
        );
        ingest(
            store,
            "w",
            vec![identify(Some(user), None, 10, json!({"email": email}))],
        );
    }
    ingest(store, "x", vec![track(Some("z"), None, 10, "Elsewhere")]);
    let users = |page: &[Profile]| -> Vec<String> {
        page.iter().map(|p| p.user_id.clone().unwrap()).collect()
    };
    let first = store.profiles_page("w", None, 2, &|_| true).unwrap();
    assert_eq!(users(&first), ["a", "b"]);
    let second = store
        .profiles_page("w", Some(first[1].id), 2, &|_| true)
        .unwrap();
    assert_eq!(users(&second), ["c", "d"]);
    let even = |p: &Profile| {
        p.identities
            .get("email")
            .is_some_and(|e| e.ends_with("even.test"))
    };
    let page = store.profiles_page("w", None, 10, &even).unwrap();
    assert_eq!(users(&page), ["a", "c", "e"]);
    let page = store
        .profiles_page("w", Some(page[0].id), 1, &even)
        .unwrap();
    assert_eq!(users(&page), ["c"]);
    assert!(
        store
            .profiles_page("nope", None, 10, &|_| true)
            .unwrap()
            .is_empty()
    );
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
    assert!(store.delete_profile("w2", "u", false).unwrap());
    assert_eq!(profile(store, "w1", "u").event_count, 1);
    assert_eq!(all_events(store, "w1", "u").len(), 1);
}

/// Per stored message: its index, seq, profile, the profile's keys after it and the
/// profiles it merged; duplicates have no entry.
pub fn ingest_reports_what_each_message_did(store: &dyn Store) {
    workspace(store, "w");
    let first = ingest(
        store,
        "w",
        vec![
            track(None, Some("a1"), 10, "One"),
            track(None, Some("a2"), 20, "Two"),
        ],
    );
    let a1 = profile(store, "w", "a1").id;
    let a2 = profile(store, "w", "a2").id;
    assert_eq!(
        first.applied,
        [
            Applied {
                index: 0,
                seq: 1,
                profile: a1,
                user_id: None,
                anonymous_id: Some("a1".into()),
                merged: vec![],
            },
            Applied {
                index: 1,
                seq: 2,
                profile: a2,
                user_id: None,
                anonymous_id: Some("a2".into()),
                merged: vec![],
            },
        ]
    );
    assert_eq!(first.applied[0].key(), Some("a1"));
    let mut merge = alias("u", "a2", 30);
    merge.identity.anonymous_id = Some("a1".into());
    let second = ingest(
        store,
        "w",
        vec![
            with_id(track(Some("u"), None, 25, "Before"), "m1"),
            with_id(track(Some("u"), None, 25, "Again"), "m1"),
            merge,
        ],
    );
    assert_eq!(counts(&second), (2, 1));
    let u = profile(store, "w", "u");
    let [before, merged] = &second.applied[..] else {
        panic!("two applied: {:?}", second.applied);
    };
    assert_eq!((before.index, before.seq), (0, 3));
    assert_eq!(before.key(), Some("u"));
    assert!(before.merged.is_empty());
    assert_eq!((merged.index, merged.seq, merged.profile), (2, 4, u.id));
    assert_eq!(merged.user_id.as_deref(), Some("u"));
    assert_eq!(merged.anonymous_id, u.anonymous_ids.first().cloned());
    let mut gone = merged.merged.clone();
    gone.sort_unstable();
    let mut expected: Vec<_> = [a1, a2, before.profile]
        .into_iter()
        .filter(|&id| id != u.id)
        .collect();
    expected.sort_unstable();
    assert_eq!(gone, expected);
    let repeat = ingest(
        store,
        "w",
        vec![with_id(track(Some("u"), None, 40, "X"), "m1")],
    );
    assert_eq!(counts(&repeat), (0, 1));
    assert!(repeat.applied.is_empty());
}

fn drain(feed: &Receiver<Commit>) -> Vec<Commit> {
    let mut commits = Vec::new();
    loop {
        match feed.try_recv() {
            Ok(commit) => commits.push(commit),
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => return commits,
        }
    }
}

/// The feed: nothing from before the subscription; each ingest that stored something once
/// it has returned, in seq order, with the whole batch and its applied entries; batches of
/// duplicates and failed writes send nothing; deletions send `ProfileDeleted`.
pub fn the_feed_sends_durable_commits_in_order(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    ingest(store, "w", vec![track(Some("early"), None, 1, "E")]);
    let feed = store.subscribe();
    assert!(drain(&feed).is_empty());
    let batch = vec![
        with_id(track(Some("u"), Some("a"), 10, "A"), "m1"),
        with_id(track(Some("u"), None, 11, "A again"), "m1"),
        track(None, Some("b"), 12, "B"),
    ];
    let summary = ingest(store, "w", batch.clone());
    ingest(store, "x", vec![track(Some("u"), None, 13, "Elsewhere")]);
    ingest(
        store,
        "w",
        vec![with_id(track(Some("u"), None, 14, "Dup"), "m1")],
    );
    assert!(
        store
            .ingest("w", "web", vec![track(None, None, 1, "E")])
            .is_err()
    );
    assert!(
        store
            .ingest("nope", "web", vec![track(Some("u"), None, 1, "E")])
            .is_err()
    );
    ingest(store, "w", vec![track(Some("u"), None, 15, "C")]);
    let u = profile(store, "w", "u");
    assert!(store.delete_profile("w", "a", false).unwrap());
    assert!(!store.delete_profile("w", "a", false).unwrap());

    let commits = drain(&feed);
    assert_eq!(commits.len(), 4, "{commits:?}");
    let Commit::Ingested(first) = &commits[0] else {
        panic!("{:?}", commits[0]);
    };
    assert_eq!(
        (first.workspace.as_str(), first.input.as_str()),
        ("w", "web")
    );
    assert_eq!(*first.messages, batch);
    assert_eq!(first.applied, summary.applied);
    assert_eq!(
        first.applied.iter().map(|a| a.index).collect::<Vec<_>>(),
        [0, 2]
    );
    let Commit::Ingested(other) = &commits[1] else {
        panic!("{:?}", commits[1]);
    };
    assert_eq!(other.workspace, "x");
    let Commit::Ingested(last) = &commits[2] else {
        panic!("{:?}", commits[2]);
    };
    assert_eq!(last.messages.len(), 1);
    assert!(last.applied[0].seq > first.applied[1].seq);
    assert_eq!(
        commits[3],
        Commit::ProfileDeleted {
            workspace: "w".into(),
            profile: u.id,
            user_id: Some("u".into()),
            anonymous_id: Some("a".into()),
        }
    );
}

/// Subscribing again disconnects the previous receiver; the new one gets what follows.
pub fn a_new_subscriber_replaces_the_old_one(store: &dyn Store) {
    workspace(store, "w");
    let old = store.subscribe();
    ingest(store, "w", vec![track(Some("u"), None, 1, "One")]);
    let new = store.subscribe();
    ingest(store, "w", vec![track(Some("u"), None, 2, "Two")]);
    assert_eq!(drain(&old).len(), 1);
    assert!(matches!(old.try_recv(), Err(TryRecvError::Disconnected)));
    let commits = drain(&new);
    assert_eq!(commits.len(), 1);
    assert!(matches!(&commits[0], Commit::Ingested(b) if b.applied[0].seq == 2));
    // A dropped receiver is no error.
    drop(new);
    ingest(store, "w", vec![track(Some("u"), None, 3, "Three")]);
    assert_eq!(profile(store, "w", "u").event_count, 3);
}

/// Every event of the workspace by seq (not by time), owned by the surviving profile after
/// merges; other workspaces' events are not visited; the log after a cursor is its tail.
pub fn events_by_arrival_follow_seq_across_merges(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    ingest(store, "w", vec![track(None, Some("a1"), 50, "One")]);
    ingest(
        store,
        "w",
        vec![
            track(None, Some("a2"), 10, "Two"),
            track(Some("v"), None, 5, "Other"),
        ],
    );
    ingest(store, "x", vec![track(Some("v"), None, 1, "Elsewhere")]);
    let mut merge = alias("u", "a2", 30);
    merge.identity.anonymous_id = Some("a1".into());
    ingest(store, "w", vec![merge]);
    let u = profile(store, "w", "u");
    let v = profile(store, "w", "v");
    let mut seen = Vec::new();
    store
        .for_each_event_by_arrival("w", &mut |e| seen.push(e))
        .unwrap();
    let summary: Vec<_> = seen
        .iter()
        .map(|e| {
            (
                e.seq,
                e.profile,
                e.user_id.clone(),
                e.event.name.clone().unwrap_or(e.event.kind.clone()),
            )
        })
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        summary,
        [
            (1, u.id, some("u"), "One".to_string()),
            (2, u.id, some("u"), "Two".to_string()),
            (3, v.id, some("v"), "Other".to_string()),
            (4, u.id, some("u"), "alias".to_string()),
        ]
    );
    assert!(
        seen.iter()
            .filter(|e| e.profile == u.id)
            .all(|e| e.anonymous_id == u.anonymous_ids.first().cloned())
    );
    assert_eq!(seen[2].anonymous_id, None);
    let mut none = 0;
    store
        .for_each_event_by_arrival("nope", &mut |_| none += 1)
        .unwrap();
    assert_eq!(none, 0);
    // After a cursor: the same events, from the next seq on.
    for after in 0..=4 {
        let mut tail = Vec::new();
        store
            .for_each_event_arrived_after("w", after, &mut |e| tail.push(e.seq))
            .unwrap();
        assert_eq!(tail, (after + 1..=4).collect::<Vec<_>>());
    }
}

/// Events by name: exactly the workspace's events with one of the names, each once, owned
/// by the surviving profile after a merge.
pub fn events_by_name_are_those_named_with_their_owner(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    ingest(
        store,
        "w",
        vec![
            track(None, Some("a1"), 50, "One"),
            track(Some("v"), None, 5, "Two"),
            track(Some("v"), None, 6, "One"),
            track(Some("v"), None, 7, "Three"),
        ],
    );
    ingest(store, "x", vec![track(Some("v"), None, 1, "One")]);
    let mut merge = alias("u", "a1", 30);
    merge.identity.anonymous_id = Some("a1".into());
    ingest(store, "w", vec![merge]);
    let mut seen = Vec::new();
    store
        .for_each_event_named("w", &["One".to_string(), "Two".to_string()], &mut |e| {
            seen.push((e.seq, e.user_id.clone(), e.event.name.clone()))
        })
        .unwrap();
    seen.sort();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        seen,
        [
            (1, some("u"), some("One")),
            (2, some("v"), some("Two")),
            (3, some("v"), some("One")),
        ]
    );
    let mut none = 0;
    store
        .for_each_event_named("w", &[], &mut |_| none += 1)
        .unwrap();
    assert_eq!(none, 0);
}

/// `profile_by_id` finds a profile by its internal id, in its workspace only.
pub fn profiles_are_found_by_id(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    ingest(store, "w", vec![track(Some("u"), None, 1, "E")]);
    let u = profile(store, "w", "u");
    assert_eq!(store.profile_by_id("w", u.id).unwrap(), Some(u.clone()));
    assert_eq!(store.profile_by_id("x", u.id).unwrap(), None);
    assert_eq!(store.profile_by_id("w", u.id + 100).unwrap(), None);
    store.delete_profile("w", "u", false).unwrap();
    assert_eq!(store.profile_by_id("w", u.id).unwrap(), None);
}

fn doc(collection: &str, id: &str, body: Option<Value>) -> DocumentWrite {
    DocumentWrite {
        collection: collection.into(),
        id: id.into(),
        body,
    }
}

/// Documents: written in batches, replaced, deleted, listed by id; the last write of a
/// key in one batch wins.
pub fn documents_are_written_read_and_deleted(store: &dyn Store) {
    assert_eq!(store.document("journeys", "j1").unwrap(), None);
    assert!(store.documents("journeys").unwrap().is_empty());
    store
        .write_documents(vec![
            doc("journeys", "j2", Some(json!({"v": 2}))),
            doc("journeys", "j1", Some(json!({"v": 1}))),
            doc("journeys", "j3", Some(json!({"v": 3}))),
        ])
        .unwrap();
    assert_eq!(
        store.document("journeys", "j1").unwrap(),
        Some(json!({"v": 1}))
    );
    store
        .write_documents(vec![
            doc("journeys", "j1", Some(json!({"v": "one"}))),
            doc("journeys", "j3", None),
            doc("journeys", "j4", Some(json!(4))),
            doc("journeys", "j4", None),
            doc("journeys", "j5", None),
            doc("journeys", "j2", None),
            doc("journeys", "j2", Some(json!([2]))),
        ])
        .unwrap();
    assert_eq!(
        store.documents("journeys").unwrap(),
        [
            ("j1".to_string(), json!({"v": "one"})),
            ("j2".to_string(), json!([2])),
        ]
    );
    assert_eq!(store.document("journeys", "j3").unwrap(), None);
    assert_eq!(store.document("journeys", "j4").unwrap(), None);
    store.write_documents(vec![]).unwrap();
}

/// Checkpoints: none at first; each partition reads back the latest written, with its
/// cursor, whatever its size; partitions never bleed into each other, even when one name
/// starts another.
pub fn checkpoints_keep_the_latest_per_partition(store: &dyn Store) {
    let cp = |cursor: u64, state: Vec<u8>| Checkpoint { cursor, state };
    assert_eq!(store.checkpoint("ws").unwrap(), None);
    store
        .put_checkpoint("ws", &cp(10, b"first".to_vec()))
        .unwrap();
    assert_eq!(
        store.checkpoint("ws").unwrap(),
        Some(cp(10, b"first".to_vec()))
    );
    let large: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    for cursor in [20, 30, 40] {
        store
            .put_checkpoint("ws", &cp(cursor, large.clone()))
            .unwrap();
        assert_eq!(
            store.checkpoint("ws").unwrap(),
            Some(cp(cursor, large.clone()))
        );
    }
    store.put_checkpoint("ws2", &cp(5, Vec::new())).unwrap();
    store.put_checkpoint("w", &cp(6, b"w".to_vec())).unwrap();
    assert_eq!(store.checkpoint("ws2").unwrap(), Some(cp(5, Vec::new())));
    assert_eq!(store.checkpoint("w").unwrap(), Some(cp(6, b"w".to_vec())));
    assert_eq!(store.checkpoint("ws").unwrap(), Some(cp(40, large)));
    assert_eq!(store.checkpoint("other").unwrap(), None);
}

/// Collections never bleed into each other, even when one name starts another.
pub fn document_collections_are_isolated(store: &dyn Store) {
    store
        .write_documents(vec![
            doc("a", "b1", Some(json!("a/b1"))),
            doc("ab", "1", Some(json!("ab/1"))),
            doc("list/out1", "u1", Some(json!(true))),
            doc("list/out", "1u1", Some(json!(false))),
            doc("", "x", Some(json!("empty collection"))),
        ])
        .unwrap();
    assert_eq!(
        store.documents("a").unwrap(),
        [("b1".to_string(), json!("a/b1"))]
    );
    assert_eq!(
        store.documents("ab").unwrap(),
        [("1".to_string(), json!("ab/1"))]
    );
    assert_eq!(store.document("a", "b").unwrap(), None);
    assert_eq!(store.document("ab", "1").unwrap(), Some(json!("ab/1")));
    assert_eq!(store.documents("list/out1").unwrap().len(), 1);
    assert_eq!(store.documents("list/out").unwrap().len(), 1);
    assert_eq!(store.documents("").unwrap().len(), 1);
    assert!(store.documents("list").unwrap().is_empty());
}

fn delivery(id: &str, output: &str, next_attempt_at: Millis) -> OutboxRecord {
    OutboxRecord {
        id: id.into(),
        output: output.into(),
        seq: 0,
        payload: json!({"delivery": id}),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at,
        last_error: None,
        created_at: 1,
        updated_at: 1,
        key: None,
        attempt_log: Vec::new(),
        group: None,
    }
}

fn list(
    store: &dyn Store,
    output: Option<&str>,
    status: Option<DeliveryStatus>,
    after: u64,
    limit: usize,
) -> Vec<OutboxRecord> {
    store
        .outbox_list(&OutboxQuery {
            output: output.map(str::to_string),
            status,
            after,
            limit,
        })
        .unwrap()
}

fn ids(records: &[OutboxRecord]) -> Vec<&str> {
    records.iter().map(|r| r.id.as_str()).collect()
}

/// `outbox_add`: increasing seqs given by the store; a known id (stored, or earlier in the
/// same call) is not added and the stored record is left as it is.
pub fn outbox_add_assigns_seqs_and_skips_known_ids(store: &dyn Store) {
    let mut given = delivery("d1", "hook", 10);
    given.seq = 999;
    let added = store
        .outbox_add(vec![
            given,
            delivery("d2", "hook", 10),
            delivery("d1", "hook", 5),
        ])
        .unwrap();
    assert_eq!(added, [true, true, false]);
    let d1 = store.outbox_get("d1").unwrap().unwrap();
    let d2 = store.outbox_get("d2").unwrap().unwrap();
    assert!(d1.seq < d2.seq);
    assert_eq!(d1.next_attempt_at, 10);
    assert_eq!(d1.payload, json!({"delivery": "d1"}));
    let mut done = d1.clone();
    done.status = DeliveryStatus::Delivered;
    store.outbox_update(vec![done.clone()]).unwrap();
    let added = store
        .outbox_add(vec![delivery("d1", "other", 1), delivery("d3", "hook", 1)])
        .unwrap();
    assert_eq!(added, [false, true]);
    assert_eq!(store.outbox_get("d1").unwrap(), Some(done));
    assert!(store.outbox_get("d3").unwrap().unwrap().seq > d2.seq);
    assert_eq!(store.outbox_get("nope").unwrap(), None);
    assert!(store.outbox_add(vec![]).unwrap().is_empty());
}

/// `outbox_due`: the output's pending records due at `now`, by (next attempt, seq), at most
/// `limit`; `outbox_next_due`: the earliest next attempt.
pub fn outbox_due_is_by_time_then_seq(store: &dyn Store) {
    assert_eq!(store.outbox_next_due("hook").unwrap(), None);
    store
        .outbox_add(vec![
            delivery("late", "hook", 30),
            delivery("b", "hook", 10),
            delivery("a", "hook", 10),
            delivery("early", "hook", -5),
            delivery("elsewhere", "hook2", 0),
            delivery("prefix", "hoo", 0),
        ])
        .unwrap();
    let mut done = delivery("done", "hook", 0);
    done.status = DeliveryStatus::Delivered;
    store.outbox_add(vec![done]).unwrap();
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 100).unwrap()),
        ["early", "b", "a"]
    );
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 2).unwrap()),
        ["early", "b"]
    );
    assert_eq!(
        ids(&store.outbox_due("hook", 100, 100).unwrap()),
        ["early", "b", "a", "late"]
    );
    assert!(store.outbox_due("hook", -6, 100).unwrap().is_empty());
    assert!(store.outbox_due("hook", 100, 0).unwrap().is_empty());
    assert_eq!(ids(&store.outbox_due("hoo", 100, 100).unwrap()), ["prefix"]);
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(-5));
    assert_eq!(store.outbox_next_due("hook2").unwrap(), Some(0));
    assert_eq!(store.outbox_next_due("nope").unwrap(), None);
}

/// `outbox_update` replaces by id, keeps the seq, moves the record in the due index when
/// its next attempt or status changes, and refuses unknown ids without writing anything.
pub fn outbox_update_moves_records_between_indexes(store: &dyn Store) {
    store
        .outbox_add(vec![
            delivery("a", "hook", 10),
            delivery("b", "hook", 20),
            delivery("c", "hook", 30),
        ])
        .unwrap();
    let a = store.outbox_get("a").unwrap().unwrap();
    let mut retry = a.clone();
    retry.attempts = 1;
    retry.next_attempt_at = 25;
    retry.last_error = Some("timeout".into());
    retry.seq = 12345;
    retry.updated_at = 11;
    let mut b = store.outbox_get("b").unwrap().unwrap();
    b.status = DeliveryStatus::Delivered;
    store.outbox_update(vec![retry.clone(), b]).unwrap();
    let stored = store.outbox_get("a").unwrap().unwrap();
    assert_eq!(stored.seq, a.seq);
    assert_eq!(
        (
            stored.attempts,
            stored.next_attempt_at,
            stored.last_error.as_deref()
        ),
        (1, 25, Some("timeout"))
    );
    assert_eq!(
        ids(&store.outbox_due("hook", 100, 100).unwrap()),
        ["a", "c"]
    );
    assert!(store.outbox_due("hook", 20, 100).unwrap().is_empty());
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(25));

    // Two updates of one record in one call: the last one counts.
    let mut first = stored.clone();
    first.next_attempt_at = 1;
    let mut second = stored.clone();
    second.next_attempt_at = 40;
    store.outbox_update(vec![first, second]).unwrap();
    assert_eq!(ids(&store.outbox_due("hook", 35, 100).unwrap()), ["c"]);

    // Back to pending from a final status.
    let mut b = store.outbox_get("b").unwrap().unwrap();
    b.status = DeliveryStatus::Pending;
    b.next_attempt_at = 5;
    store.outbox_update(vec![b]).unwrap();
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(5));

    let mut c = store.outbox_get("c").unwrap().unwrap();
    c.status = DeliveryStatus::Dead;
    let missing = store.outbox_update(vec![c, delivery("zz", "hook", 1)]);
    assert!(
        matches!(missing, Err(StoreError::NotFound { .. })),
        "{missing:?}"
    );
    assert_eq!(
        store.outbox_get("c").unwrap().unwrap().status,
        DeliveryStatus::Pending
    );
    assert_eq!(store.outbox_get("zz").unwrap(), None);
}

/// `outbox_list` filters by output and status in seq order; `outbox_counts` counts per
/// status name, every status present.
pub fn outbox_list_and_counts(store: &dyn Store) {
    store
        .outbox_add(vec![
            delivery("h1", "hook", 1),
            delivery("f1", "file", 1),
            delivery("h2", "hook", 1),
            delivery("h3", "hook", 1),
        ])
        .unwrap();
    let mut h2 = store.outbox_get("h2").unwrap().unwrap();
    h2.status = DeliveryStatus::Dead;
    store.outbox_update(vec![h2]).unwrap();
    assert_eq!(
        ids(&list(store, None, None, 0, 100)),
        ["h1", "f1", "h2", "h3"]
    );
    assert_eq!(
        ids(&list(store, Some("hook"), None, 0, 100)),
        ["h1", "h2", "h3"]
    );
    assert_eq!(
        ids(&list(
            store,
            Some("hook"),
            Some(DeliveryStatus::Pending),
            0,
            100
        )),
        ["h1", "h3"]
    );
    assert_eq!(
        ids(&list(store, None, Some(DeliveryStatus::Pending), 0, 2)),
        ["h1", "f1"]
    );
    // Paging: the cursor is the last seq of the previous page.
    let first = list(store, Some("hook"), None, 0, 2);
    assert_eq!(ids(&first), ["h1", "h2"]);
    let next = list(store, Some("hook"), None, first[1].seq, 2);
    assert_eq!(ids(&next), ["h3"]);
    assert!(list(store, Some("hook"), None, next[0].seq, 2).is_empty());
    assert!(list(store, Some("hook"), Some(DeliveryStatus::Discarded), 0, 100).is_empty());
    let counts = store.outbox_counts("hook").unwrap();
    let expected = [
        ("dead", 1),
        ("delivered", 0),
        ("discarded", 0),
        ("pending", 2),
    ];
    assert_eq!(
        counts,
        expected.iter().map(|&(s, n)| (s.to_string(), n)).collect()
    );
    assert_eq!(store.outbox_counts("file").unwrap()["pending"], 1);
    assert_eq!(
        store.outbox_counts("nope").unwrap().values().sum::<u64>(),
        0
    );
    assert_eq!(store.outbox_counts("nope").unwrap().len(), 4);
    assert_eq!(DeliveryStatus::Discarded.as_str(), "discarded");
    assert_eq!(
        serde_json::to_value(DeliveryStatus::Pending).unwrap(),
        json!("pending")
    );
}

/// `outbox_remove_for` discards the output's pending records that match, leaves the rest
/// (other outputs, other statuses), and keeps indexes and counts right.
pub fn outbox_remove_for_discards_matching_pending_records(store: &dyn Store) {
    let mut records = vec![
        delivery("u1-a", "hook", 10),
        delivery("u2-a", "hook", 20),
        delivery("u1-b", "hook", 30),
        delivery("u1-c", "other", 10),
    ];
    for r in &mut records {
        r.payload = json!({"user": &r.id[..2]});
    }
    let mut delivered = delivery("u1-d", "hook", 5);
    delivered.payload = json!({"user": "u1"});
    delivered.status = DeliveryStatus::Delivered;
    records.push(delivered);
    store.outbox_add(records).unwrap();
    let of_u1 = |r: &OutboxRecord| r.payload["user"] == "u1";
    assert_eq!(store.outbox_remove_for("hook", &of_u1).unwrap(), 2);
    assert_eq!(ids(&store.outbox_due("hook", 100, 100).unwrap()), ["u2-a"]);
    assert_eq!(store.outbox_next_due("hook").unwrap(), Some(20));
    assert_eq!(
        store.outbox_get("u1-a").unwrap().unwrap().status,
        DeliveryStatus::Discarded
    );
    assert_eq!(
        store.outbox_get("u1-d").unwrap().unwrap().status,
        DeliveryStatus::Delivered
    );
    assert_eq!(
        store.outbox_get("u1-c").unwrap().unwrap().status,
        DeliveryStatus::Pending
    );
    let counts = store.outbox_counts("hook").unwrap();
    assert_eq!(
        (counts["pending"], counts["discarded"], counts["delivered"]),
        (1, 2, 1)
    );
    assert_eq!(store.outbox_remove_for("hook", &of_u1).unwrap(), 0);
    assert_eq!(store.outbox_remove_for("nope", &|_| true).unwrap(), 0);
}

/// `outbox_erase` removes every record of the given keys, of any output and status, with
/// its place in the due order, the counts and the group counts; other keys stay; an erased
/// id may be added again.
pub fn outbox_erase_removes_every_record_of_the_keys(store: &dyn Store) {
    let keyed = |id: &str, output: &str, key: &str, status: DeliveryStatus| OutboxRecord {
        key: Some(key.to_string()),
        status,
        group: Some("j1/1/c".into()),
        ..delivery(id, output, 10)
    };
    store
        .outbox_add(vec![
            keyed("u1-a", "hook", "ws/1", DeliveryStatus::Pending),
            keyed("u1-b", "hook", "ws/1", DeliveryStatus::Delivered),
            keyed("u1-c", "other", "ws/1", DeliveryStatus::Dead),
            keyed("u1-d", "hook", "key:u1", DeliveryStatus::Pending),
            keyed("u2-a", "hook", "ws/2", DeliveryStatus::Pending),
            delivery("none", "hook", 10),
        ])
        .unwrap();
    let erased = store
        .outbox_erase(&["ws/1".to_string(), "key:u1".to_string()])
        .unwrap();
    assert_eq!(erased, 4);
    for id in ["u1-a", "u1-b", "u1-c", "u1-d"] {
        assert_eq!(store.outbox_get(id).unwrap(), None, "{id}");
    }
    assert_eq!(
        ids(&store.outbox_due("hook", 100, 100).unwrap()),
        ["u2-a", "none"]
    );
    let listed = store
        .outbox_list(&OutboxQuery {
            limit: 100,
            ..OutboxQuery::default()
        })
        .unwrap();
    assert_eq!(ids(&listed), ["u2-a", "none"]);
    let counts = store.outbox_counts("hook").unwrap();
    assert_eq!((counts["pending"], counts["delivered"]), (2, 0));
    assert_eq!(store.outbox_counts("other").unwrap()["dead"], 0);
    let groups = store.outbox_group_counts("hook", "j1/").unwrap();
    assert_eq!(groups["j1/1/c"]["pending"], 1);
    assert_eq!(groups["j1/1/c"]["delivered"], 0);
    assert_eq!(store.outbox_erase(&["ws/1".to_string()]).unwrap(), 0);
    let again = store
        .outbox_add(vec![keyed("u1-a", "hook", "ws/1", DeliveryStatus::Pending)])
        .unwrap();
    assert_eq!(again, [true]);
    assert_eq!(store.outbox_erase(&["ws/1".to_string()]).unwrap(), 1);
}

/// `outbox_due` leaves out a record while an earlier pending record of the same output
/// and key waits (per-user order); records without a key, other keys and other outputs
/// are not held.
pub fn outbox_due_offers_only_the_first_pending_record_of_a_key(store: &dyn Store) {
    let keyed = |id: &str, output: &str, key: Option<&str>, at: Millis| OutboxRecord {
        key: key.map(str::to_string),
        ..delivery(id, output, at)
    };
    store
        .outbox_add(vec![
            keyed("u1-entered", "hook", Some("u1"), 50),
            keyed("u2-entered", "hook", Some("u2"), 1),
            keyed("u1-exited", "hook", Some("u1"), 1),
            keyed("u1-other", "file", Some("u1"), 1),
            keyed("loose", "hook", None, 1),
            keyed("u2-exited", "hook", Some("u2"), 1),
        ])
        .unwrap();
    // u1's entry is being retried (due at 50): its exit waits; u2's exit waits behind
    // u2's entry, which is due.
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 100).unwrap()),
        ["u2-entered", "loose"]
    );
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 1).unwrap()),
        ["u2-entered"]
    );
    assert_eq!(
        ids(&store.outbox_due("file", 10, 100).unwrap()),
        ["u1-other"]
    );
    // Settling the first of a key lets the next one through.
    let mut entered = store.outbox_get("u2-entered").unwrap().unwrap();
    entered.status = DeliveryStatus::Delivered;
    store.outbox_update(vec![entered]).unwrap();
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 100).unwrap()),
        ["loose", "u2-exited"]
    );
    // Dead counts as settled too; once u1's entry is due it goes first, its exit after.
    assert_eq!(
        ids(&store.outbox_due("hook", 60, 100).unwrap()),
        ["loose", "u2-exited", "u1-entered"]
    );
    let mut entered = store.outbox_get("u1-entered").unwrap().unwrap();
    entered.status = DeliveryStatus::Dead;
    store.outbox_update(vec![entered]).unwrap();
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 100).unwrap()),
        ["u1-exited", "loose", "u2-exited"]
    );
    // A discarded head lets the rest through as well.
    let n = store
        .outbox_remove_for("hook", &|r: &OutboxRecord| r.id == "u1-exited")
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        ids(&store.outbox_due("hook", 10, 100).unwrap()),
        ["loose", "u2-exited"]
    );
}

/// `outbox_settle` replaces records that are still pending and leaves the others (say,
/// discarded while the attempt was under way) as they are.
pub fn outbox_settle_leaves_records_no_longer_pending(store: &dyn Store) {
    store
        .outbox_add(vec![delivery("a", "hook", 1), delivery("b", "hook", 1)])
        .unwrap();
    store
        .outbox_remove_for("hook", &|r: &OutboxRecord| r.id == "b")
        .unwrap();
    let attempt = Attempt {
        at: 5,
        latency_ms: 3,
        status: Some(200),
        outcome: AttemptOutcome::Delivered,
        error: None,
        response: Some("ok".into()),
    };
    let settle = |id: &str| OutboxRecord {
        status: DeliveryStatus::Delivered,
        attempts: 1,
        attempt_log: vec![attempt.clone()],
        ..store.outbox_get(id).unwrap().unwrap()
    };
    assert_eq!(
        store.outbox_settle(vec![settle("a"), settle("b")]).unwrap(),
        [true, false]
    );
    let a = store.outbox_get("a").unwrap().unwrap();
    assert_eq!(a.status, DeliveryStatus::Delivered);
    assert_eq!(a.attempt_log, vec![attempt.clone()]);
    assert_eq!(
        store.outbox_get("b").unwrap().unwrap().status,
        DeliveryStatus::Discarded
    );
    // Settled once, a record is no longer pending.
    assert_eq!(store.outbox_settle(vec![settle("a")]).unwrap(), [false]);
    assert!(store.outbox_due("hook", 10, 10).unwrap().is_empty());
    let counts = store.outbox_counts("hook").unwrap();
    assert_eq!(
        (counts["delivered"], counts["discarded"], counts["pending"]),
        (1, 1, 0)
    );
    assert!(matches!(
        store.outbox_settle(vec![delivery("zz", "hook", 1)]),
        Err(StoreError::NotFound { .. })
    ));
}

/// `outbox_group_counts`: per group with the prefix, per status, kept as records change.
pub fn outbox_group_counts_per_group(store: &dyn Store) {
    let grouped = |id: &str, output: &str, group: Option<&str>| OutboxRecord {
        group: group.map(str::to_string),
        ..delivery(id, output, 1)
    };
    store
        .outbox_add(vec![
            grouped("a1", "hook", Some("ja/1/c")),
            grouped("a2", "hook", Some("ja/1/c")),
            grouped("a3", "hook", Some("ja/2/c")),
            grouped("b1", "hook", Some("jab/1/c")),
            grouped("o1", "other", Some("ja/1/c")),
            grouped("n1", "hook", None),
        ])
        .unwrap();
    let mut a1 = store.outbox_get("a1").unwrap().unwrap();
    a1.status = DeliveryStatus::Delivered;
    store.outbox_update(vec![a1]).unwrap();
    let counts = store.outbox_group_counts("hook", "ja/").unwrap();
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        ["ja/1/c", "ja/2/c"],
        "{counts:?}"
    );
    let one = &counts["ja/1/c"];
    assert_eq!(
        (
            one["pending"],
            one["delivered"],
            one["dead"],
            one["discarded"]
        ),
        (1, 1, 0, 0)
    );
    assert_eq!(counts["ja/2/c"]["pending"], 1);
    // A prefix is a prefix: `ja` reaches `jab` too.
    assert_eq!(store.outbox_group_counts("hook", "ja").unwrap().len(), 3);
    assert_eq!(store.outbox_group_counts("other", "").unwrap().len(), 1);
    assert!(store.outbox_group_counts("hook", "zz").unwrap().is_empty());
    // A pending record that failed once counts as failed, not pending.
    let mut a3 = store.outbox_get("a3").unwrap().unwrap();
    a3.attempts = 1;
    store.outbox_update(vec![a3]).unwrap();
    let two = &store.outbox_group_counts("hook", "ja/2").unwrap()["ja/2/c"];
    assert_eq!((two["pending"], two["failed"]), (0, 1));
    assert_eq!(store.outbox_counts("hook").unwrap()["pending"], 4);
    store
        .outbox_remove_for("hook", &|r: &OutboxRecord| r.id == "a2")
        .unwrap();
    let one = &store.outbox_group_counts("hook", "ja/1/").unwrap()["ja/1/c"];
    assert_eq!((one["pending"], one["discarded"]), (0, 1));
}

/// `outbox_group_errors`: the latest error per group with the prefix, kept after the
/// record that held it is delivered, and not moved back by an older one.
pub fn outbox_group_errors_keep_the_latest(store: &dyn Store) {
    let grouped = |id: &str, group: &str| OutboxRecord {
        group: Some(group.to_string()),
        ..delivery(id, "hook", 1)
    };
    store
        .outbox_add(vec![
            grouped("e1", "ja/1/c"),
            grouped("e2", "ja/1/c"),
            grouped("e3", "jb/1/c"),
        ])
        .unwrap();
    assert!(store.outbox_group_errors("hook", "").unwrap().is_empty());
    let failed = |id: &str, at: Millis, error: &str| {
        let mut r = store.outbox_get(id).unwrap().unwrap();
        r.attempts += 1;
        r.updated_at = at;
        r.last_error = Some(error.to_string());
        r
    };
    store
        .outbox_update(vec![failed("e1", 20, "HTTP 500")])
        .unwrap();
    store
        .outbox_update(vec![failed("e2", 10, "timeout")])
        .unwrap();
    store
        .outbox_update(vec![failed("e3", 5, "HTTP 404")])
        .unwrap();
    let errors = store.outbox_group_errors("hook", "ja/").unwrap();
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["ja/1/c"], "{errors:?}");
    assert_eq!(
        errors["ja/1/c"],
        GroupError {
            at: 20,
            message: "HTTP 500".into()
        }
    );
    // Delivered later: the error stays the group's last one.
    let mut e1 = store.outbox_get("e1").unwrap().unwrap();
    e1.status = DeliveryStatus::Delivered;
    e1.last_error = None;
    e1.updated_at = 30;
    store.outbox_update(vec![e1]).unwrap();
    assert_eq!(
        store.outbox_group_errors("hook", "ja/1/c").unwrap()["ja/1/c"].at,
        20
    );
    assert_eq!(store.outbox_group_errors("hook", "").unwrap().len(), 2);
    assert!(store.outbox_group_errors("other", "").unwrap().is_empty());
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

fn rejected(input: &str, code: &str, at: Millis) -> RejectedMessage {
    RejectedMessage {
        seq: 0,
        input: input.to_string(),
        received_at: at,
        code: code.to_string(),
        message: format!("batch[0]: {code}"),
        excerpt: r#"{"type":"track"}"#.to_string(),
    }
}

/// Rejected messages are numbered in order, listed newest first with a cursor, counted per
/// input, and kept per workspace.
pub fn rejected_messages_are_kept_newest_first_and_counted(store: &dyn Store) {
    workspace(store, "w");
    workspace(store, "x");
    assert!(store.rejected("w", None, 10).unwrap().is_empty());
    assert!(store.rejected_counts("w").unwrap().is_empty());
    store
        .record_rejected(
            "w",
            vec![
                rejected("web", "bad_field_type", 1),
                rejected("ios", "no_user_anon_id", 2),
            ],
        )
        .unwrap();
    store
        .record_rejected("w", vec![rejected("web", "bad_timestamp", 3)])
        .unwrap();
    store
        .record_rejected("x", vec![rejected("web", "bad_timestamp", 4)])
        .unwrap();
    let all = store.rejected("w", None, 10).unwrap();
    let seen: Vec<_> = all.iter().map(|r| (r.seq, r.code.as_str())).collect();
    assert_eq!(
        seen,
        [
            (3, "bad_timestamp"),
            (2, "no_user_anon_id"),
            (1, "bad_field_type")
        ]
    );
    assert_eq!(
        all[2],
        RejectedMessage {
            seq: 1,
            ..rejected("web", "bad_field_type", 1)
        }
    );
    let page = store.rejected("w", None, 2).unwrap();
    assert_eq!(page.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 2]);
    let next = store.rejected("w", Some(2), 2).unwrap();
    assert_eq!(next.iter().map(|r| r.seq).collect::<Vec<_>>(), [1]);
    assert!(store.rejected("w", Some(1), 2).unwrap().is_empty());
    assert_eq!(
        store
            .rejected_counts("w")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [("ios".to_string(), 1), ("web".to_string(), 2)]
    );
    let other = store.rejected("x", None, 10).unwrap();
    assert_eq!(other.len(), 1);
    assert_eq!(other[0].seq, 1);
    assert!(matches!(
        store.record_rejected("nope", vec![rejected("web", "bad_timestamp", 5)]),
        Err(StoreError::NotFound { .. })
    ));
}

/// A workspace keeps its latest rejected messages; the counts keep counting.
pub fn the_oldest_rejected_messages_make_room(store: &dyn Store) {
    workspace(store, "w");
    let many = (0..=MAX_REJECTED_KEPT)
        .map(|i| rejected("web", "bad_timestamp", i as Millis))
        .collect();
    store.record_rejected("w", many).unwrap();
    store
        .record_rejected("w", vec![rejected("web", "bad_field_type", 0)])
        .unwrap();
    let newest = store.rejected("w", None, 1).unwrap();
    assert_eq!(newest[0].seq, MAX_REJECTED_KEPT + 2);
    assert_eq!(newest[0].code, "bad_field_type");
    let oldest = store.rejected("w", Some(4), 10).unwrap();
    assert_eq!(oldest.iter().map(|r| r.seq).collect::<Vec<_>>(), [3]);
    let kept = store
        .rejected("w", None, MAX_REJECTED_KEPT as usize + 10)
        .unwrap();
    assert_eq!(kept.len() as u64, MAX_REJECTED_KEPT);
    assert_eq!(
        store.rejected_counts("w").unwrap()["web"],
        MAX_REJECTED_KEPT + 2
    );
}

/// The flag of an event whose time was adjusted to bounds is stored with it.
pub fn a_timestamp_adjusted_flag_is_stored(store: &dyn Store) {
    workspace(store, "w");
    let mut adjusted = track(Some("u"), None, 2_000, "Late");
    adjusted.timestamp_adjusted = true;
    ingest(
        store,
        "w",
        vec![track(Some("u"), None, 1_000, "On Time"), adjusted],
    );
    let events = all_events(store, "w", "u");
    let flags: Vec<_> = events
        .iter()
        .map(|e| (e.name.as_deref().unwrap(), e.timestamp_adjusted))
        .collect();
    assert_eq!(flags, [("On Time", false), ("Late", true)]);
}
