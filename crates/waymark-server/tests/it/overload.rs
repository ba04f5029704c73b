//! A store that is busy or failing: ingestion answers 429 (`overloaded`) or 503
//! (`storage_unavailable`) with `Retry-After`, and acknowledges nothing; a retry once the
//! store is back stores the batch once.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::{Value, json};
use waymark_engine::Message;
use waymark_engine::time::Millis;
use waymark_store::{
    AdminToken, ArrivedEvent, Commit, DocumentWrite, EventPosition, GroupCounts, GroupErrors,
    IngestSummary, Input, MemoryStore, OutboxQuery, OutboxRecord, Profile, ProfileId,
    RejectedMessage, Store, StoreError, StoredEvent, Workspace,
};

use crate::support::*;

/// What the store does wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Fault {
    #[default]
    None,
    /// `ingest` answers `Busy`.
    Busy,
    /// `ingest` answers `Backend`.
    IngestFails,
    /// Every read answers `Backend` too.
    AllFail,
}

/// A `MemoryStore` with faults switched on and off by the test.
#[derive(Debug, Default)]
struct FaultyStore {
    inner: MemoryStore,
    fault: Mutex<Fault>,
}

impl FaultyStore {
    fn set(&self, fault: Fault) {
        *self.fault.lock().unwrap() = fault;
    }

    fn fault(&self) -> Fault {
        *self.fault.lock().unwrap()
    }

    fn read(&self) -> Result<(), StoreError> {
        match self.fault() {
            Fault::AllFail => Err(StoreError::Backend("disk on fire".into())),
            _ => Ok(()),
        }
    }
}

impl Store for FaultyStore {
    fn create_workspace(&self, workspace: Workspace) -> Result<Workspace, StoreError> {
        self.read()?;
        self.inner.create_workspace(workspace)
    }
    fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.read()?;
        self.inner.workspaces()
    }
    fn workspace(&self, id: &str) -> Result<Option<Workspace>, StoreError> {
        self.read()?;
        self.inner.workspace(id)
    }
    fn create_input(&self, input: Input) -> Result<Input, StoreError> {
        self.read()?;
        self.inner.create_input(input)
    }
    fn inputs(&self, workspace: &str) -> Result<Vec<Input>, StoreError> {
        self.read()?;
        self.inner.inputs(workspace)
    }
    fn input_by_write_key(&self, write_key: &str) -> Result<Option<Input>, StoreError> {
        self.read()?;
        self.inner.input_by_write_key(write_key)
    }
    fn put_token(&self, token: AdminToken) -> Result<(), StoreError> {
        self.read()?;
        self.inner.put_token(token)
    }
    fn token(&self, secret_sha256: &str) -> Result<Option<AdminToken>, StoreError> {
        self.read()?;
        self.inner.token(secret_sha256)
    }
    fn has_tokens(&self) -> Result<bool, StoreError> {
        self.read()?;
        self.inner.has_tokens()
    }
    fn ingest(
        &self,
        workspace: &str,
        input: &str,
        messages: Vec<Message>,
    ) -> Result<IngestSummary, StoreError> {
        match self.fault() {
            Fault::None => self.inner.ingest(workspace, input, messages),
            Fault::Busy => Err(StoreError::Busy),
            Fault::IngestFails | Fault::AllFail => Err(StoreError::Backend(
                "the journal could not be synced".into(),
            )),
        }
    }
    fn profile(&self, workspace: &str, key: &str) -> Result<Option<Profile>, StoreError> {
        self.read()?;
        self.inner.profile(workspace, key)
    }
    fn events(
        &self,
        workspace: &str,
        key: &str,
        limit: usize,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        self.read()?;
        self.inner.events(workspace, key, limit)
    }
    fn delete_profile(
        &self,
        workspace: &str,
        key: &str,
        suppress: bool,
    ) -> Result<bool, StoreError> {
        self.read()?;
        self.inner.delete_profile(workspace, key, suppress)
    }
    fn unsuppress(&self, workspace: &str, identifier: &str) -> Result<bool, StoreError> {
        self.read()?;
        self.inner.unsuppress(workspace, identifier)
    }
    fn suppressed(&self, workspace: &str) -> Result<Vec<String>, StoreError> {
        self.read()?;
        self.inner.suppressed(workspace)
    }
    fn erase_deleted(&self) -> Result<(), StoreError> {
        self.read()?;
        self.inner.erase_deleted()
    }
    fn for_each_profile(
        &self,
        workspace: &str,
        visit: &mut dyn FnMut(Profile, Vec<StoredEvent>),
    ) -> Result<(), StoreError> {
        // Snapshots always see the real contents.
        self.inner.for_each_profile(workspace, visit)
    }
    // Everything below is not under test here: the inner store's behaviour.
    fn profile_by_id(&self, workspace: &str, id: ProfileId) -> Result<Option<Profile>, StoreError> {
        self.inner.profile_by_id(workspace, id)
    }
    fn for_each_event_named(
        &self,
        workspace: &str,
        names: &[String],
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        self.inner.for_each_event_named(workspace, names, visit)
    }
    fn for_each_event_arrived_after(
        &self,
        workspace: &str,
        after: u64,
        visit: &mut dyn FnMut(ArrivedEvent),
    ) -> Result<(), StoreError> {
        self.inner
            .for_each_event_arrived_after(workspace, after, visit)
    }
    fn subscribe(&self) -> std::sync::mpsc::Receiver<Commit> {
        self.inner.subscribe()
    }
    fn write_documents(&self, writes: Vec<DocumentWrite>) -> Result<(), StoreError> {
        self.inner.write_documents(writes)
    }
    fn document(&self, collection: &str, id: &str) -> Result<Option<Value>, StoreError> {
        self.inner.document(collection, id)
    }
    fn documents(&self, collection: &str) -> Result<Vec<(String, Value)>, StoreError> {
        self.inner.documents(collection)
    }
    fn outbox_add(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.inner.outbox_add(records)
    }
    fn outbox_due(
        &self,
        output: &str,
        now: Millis,
        limit: usize,
    ) -> Result<Vec<OutboxRecord>, StoreError> {
        self.inner.outbox_due(output, now, limit)
    }
    fn outbox_next_due(&self, output: &str) -> Result<Option<Millis>, StoreError> {
        self.inner.outbox_next_due(output)
    }
    fn outbox_update(&self, records: Vec<OutboxRecord>) -> Result<(), StoreError> {
        self.inner.outbox_update(records)
    }
    fn outbox_get(&self, id: &str) -> Result<Option<OutboxRecord>, StoreError> {
        self.inner.outbox_get(id)
    }
    fn outbox_settle(&self, records: Vec<OutboxRecord>) -> Result<Vec<bool>, StoreError> {
        self.inner.outbox_settle(records)
    }
    fn outbox_list(&self, query: &OutboxQuery) -> Result<Vec<OutboxRecord>, StoreError> {
        self.inner.outbox_list(query)
    }
    fn outbox_counts(&self, output: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        self.inner.outbox_counts(output)
    }
    fn outbox_group_counts(&self, output: &str, prefix: &str) -> Result<GroupCounts, StoreError> {
        self.inner.outbox_group_counts(output, prefix)
    }
    fn outbox_group_errors(&self, output: &str, prefix: &str) -> Result<GroupErrors, StoreError> {
        self.inner.outbox_group_errors(output, prefix)
    }
    fn outbox_remove_for(
        &self,
        output: &str,
        pred: &dyn Fn(&OutboxRecord) -> bool,
    ) -> Result<usize, StoreError> {
        self.inner.outbox_remove_for(output, pred)
    }
    fn events_page(
        &self,
        workspace: &str,
        key: &str,
        before: Option<EventPosition>,
        limit: usize,
    ) -> Result<Option<Vec<(EventPosition, StoredEvent)>>, StoreError> {
        self.inner.events_page(workspace, key, before, limit)
    }
    fn profiles_page(
        &self,
        workspace: &str,
        after: Option<ProfileId>,
        limit: usize,
        keep: &dyn Fn(&Profile) -> bool,
    ) -> Result<Vec<Profile>, StoreError> {
        self.inner.profiles_page(workspace, after, limit, keep)
    }
    fn outbox_erase(&self, keys: &[String]) -> Result<usize, StoreError> {
        self.inner.outbox_erase(keys)
    }
    fn put_checkpoint(
        &self,
        partition: &str,
        checkpoint: &waymark_store::Checkpoint,
    ) -> Result<(), StoreError> {
        self.read()?;
        self.inner.put_checkpoint(partition, checkpoint)
    }
    fn checkpoint(&self, partition: &str) -> Result<Option<waymark_store::Checkpoint>, StoreError> {
        self.read()?;
        self.inner.checkpoint(partition)
    }
    fn record_rejected(
        &self,
        workspace: &str,
        rejected: Vec<RejectedMessage>,
    ) -> Result<(), StoreError> {
        self.read()?;
        self.inner.record_rejected(workspace, rejected)
    }
    fn rejected(
        &self,
        workspace: &str,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<RejectedMessage>, StoreError> {
        self.read()?;
        self.inner.rejected(workspace, before, limit)
    }
    fn rejected_counts(&self, workspace: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        self.read()?;
        self.inner.rejected_counts(workspace)
    }
}

fn app() -> (App, Arc<FaultyStore>) {
    let store = Arc::new(FaultyStore::default());
    let app = App::with_store(Arc::clone(&store) as Arc<dyn Store>);
    (app, store)
}

/// Events stored, read past the faults.
fn events_in(store: &FaultyStore) -> usize {
    let mut n = 0;
    for ws in [SHOP, OTHER] {
        store
            .inner
            .for_each_profile(ws, &mut |_, e| n += e.len())
            .unwrap();
    }
    n
}

#[tokio::test]
async fn a_busy_store_gives_429_with_retry_after() {
    let (app, store) = app();
    let batch = json!({"batch": [identify("u1", json!({"plan": "pro"})), track("u1", "A")]});
    store.set(Fault::Busy);
    let resp = app
        .rejects(
            post("/v1/batch").basic(WEB_KEY, "").json(&batch),
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
        )
        .await;
    assert_eq!(resp.retry_after(), 1);
    let resp = app
        .rejects(
            post("/v1/track").basic(WEB_KEY, "").json(&track("u1", "B")),
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
        )
        .await;
    resp.retry_after();
    let resp = app
        .rejects(
            post("/v2/events")
                .basic(MP_KEY, MP_SECRET)
                .json(&fixture("mparticle_events.json")),
            StatusCode::TOO_MANY_REQUESTS,
            "overloaded",
        )
        .await;
    resp.retry_after();
    assert_eq!(events_in(&store), 0);
    // Reads still work while writes are refused.
    app.assert_no_profile(SHOP, "u1").await;
    // Once the store has room, the client's retry is stored, once.
    store.set(Fault::None);
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&batch))
        .await
        .assert_success();
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&batch))
        .await
        .assert_success();
    assert_eq!(app.profile(SHOP, "u1").await["event_count"], 2);
}

#[tokio::test]
async fn a_failing_store_gives_503_with_retry_after_and_acknowledges_nothing() {
    let (app, store) = app();
    app.batch_ok(WEB_KEY, json!([track("u0", "Before")])).await;
    let batch = json!({"batch": [track("u1", "A"), track("u1", "B")]});
    store.set(Fault::IngestFails);
    let resp = app
        .rejects(
            post("/v1/batch").basic(WEB_KEY, "").json(&batch),
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
        )
        .await;
    assert_eq!(resp.retry_after(), 1);
    // The backend's error text is not shown to the client.
    assert!(!resp.message().contains("journal"), "{}", resp.text());
    app.rejects(
        post("/v2/bulkevents")
            .basic(MP_KEY, MP_SECRET)
            .json(&fixture("mparticle_bulk.json")),
        StatusCode::SERVICE_UNAVAILABLE,
        "storage_unavailable",
    )
    .await
    .retry_after();
    assert_eq!(events_in(&store), 1);
    store.set(Fault::None);
    app.send(post("/v1/batch").basic(WEB_KEY, "").json(&batch))
        .await
        .assert_success();
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A", "B"]);
}

#[tokio::test]
async fn failing_reads_give_503_too() {
    let (app, store) = app();
    app.batch_ok(WEB_KEY, json!([track("u1", "A")])).await;
    store.set(Fault::AllFail);
    // Write-key lookup, on both ingestion APIs.
    for req in [
        post("/v1/batch")
            .basic(WEB_KEY, "")
            .json(&json!({"batch": [track("u1", "B")]})),
        post("/v1/batch").json(&json!({"writeKey": WEB_KEY, "batch": [track("u1", "B")]})),
        post("/v2/events")
            .basic(MP_KEY, MP_SECRET)
            .json(&fixture("mparticle_events.json")),
    ] {
        let resp = app.send(req).await;
        resp.assert_error(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable");
        resp.retry_after();
    }
    // Admin token lookup and reads.
    for req in [
        get("/api/workspaces").bearer(ACCOUNT_TOKEN),
        get(&format!("/api/workspaces/{SHOP}/profiles/u1")).bearer(ACCOUNT_TOKEN),
    ] {
        let resp = app.send(req).await;
        resp.assert_error(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable");
        resp.retry_after();
    }
    assert_eq!(events_in(&store), 1);
    store.set(Fault::None);
    assert_eq!(names(&app.events(SHOP, "u1").await), ["A"]);
}

#[tokio::test]
async fn client_errors_have_no_retry_after() {
    let app = App::new();
    let resp = app
        .send(
            post("/v1/batch")
                .basic("wk_nope", "")
                .json(&json!({"batch": []})),
        )
        .await;
    resp.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(resp.headers.get("retry-after").is_none());
    let resp = app
        .send(
            post("/v1/batch")
                .basic(WEB_KEY, "")
                .json(&json!({"batch": []})),
        )
        .await;
    resp.assert_error(StatusCode::BAD_REQUEST, "invalid_batch");
    assert!(resp.headers.get("retry-after").is_none());
}
