//! The engine thread's state: running versions, who is who, outputs, and what is waiting to
//! be written to the outbox. Only the engine thread touches it.

mod attribute_ops;
mod audience_ops;
mod backfill;
mod checkpoints;
mod delivery_stats;
mod estimate_ops;
mod forget;
mod history;
mod identities;
mod journey_ops;
mod order;
mod output_ops;
mod partitions;
mod profile_state;
mod stats_ops;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::json;
use waymark_deliver::{Delivery, User};
use waymark_engine::model::ConnectionMode;
use waymark_engine::time::Millis;
use waymark_engine::{Change, Transition, TransitionKind};
use waymark_store::{
    Commit, CommittedBatch, DeliveryStatus, DocumentWrite, OutboxRecord, ProfileId, Store,
};

use crate::RuntimeError;
use crate::clock::Clock;
use crate::config::RuntimeConfig;
use crate::delivery::worker::Workers;
use crate::delivery::{DeliveryPayload, OutboxTask};
use crate::journeys::{JourneyDoc, VersionDoc, doc};
use crate::outputs::{self, ListMember, OutputDoc, OutputKind};
use crate::runner::{LiveEvent, Runner};
use crate::shared::Shared;
use identities::Identities;
use partitions::Partition;

pub use audience_ops::{AudienceFigures, AudienceMember};
pub(crate) use backfill::Post;
pub(crate) use history::{input_ids, load_history};
pub use profile_state::{ProfileAudience, ProfileJourney, ProfileState, ProfileStep};

/// The collection prefix of list outputs' members (`list/<output id>`).
pub const LIST_PREFIX: &str = "list/";

/// The engine thread's state.
pub(crate) struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: RuntimeConfig,
    pub(crate) shared: Arc<Shared>,
    pub(crate) runners: Vec<Runner>,
    /// Each workspace's engine, running every version that counts its events.
    pub(crate) partitions: BTreeMap<String, Partition>,
    /// Who each key of each workspace is: identifiers, the profile it names, and back.
    ids: Identities,
    /// While a merged-away profile's user leaves its journeys: the profile it was, so that
    /// its exits keep their place behind its entries on every output (per-user order).
    leaving: Option<(String, (String, ProfileId))>,
    /// Profiles deleted through the runtime whose deletion commit has not arrived yet.
    deleted: HashSet<(String, ProfileId)>,
    pub(crate) outputs: BTreeMap<String, OutputDoc>,
    /// The delivery workers: the engine thread (re)starts an output's worker after each
    /// write of its document, so a worker always runs with what the document says.
    pub(crate) workers: Arc<Workers>,
    outbox: Vec<OutboxRecord>,
    lists: Vec<DocumentWrite>,
    /// Runs a call on this thread later (background backfills hand their reads back so).
    post: Post,
    /// Workspaces whose engine holds a version while its history is filled in the
    /// background or while it starts in slices, with how many such publications are under
    /// way.
    pub(crate) filling: HashMap<String, usize>,
    /// Publications whose version starts in slices (`backfill::Releasing`).
    releases: Vec<backfill::Releasing>,
    /// The estimator's samples (`estimate_ops`).
    samples: estimate_ops::Samples,
}

impl Core {
    /// Loads outputs and journeys, and rebuilds every published version from the log.
    pub(crate) fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: RuntimeConfig,
        shared: Arc<Shared>,
        workers: Arc<Workers>,
        post: Post,
    ) -> Result<Self, RuntimeError> {
        let outputs: BTreeMap<String, OutputDoc> = store
            .documents(outputs::COLLECTION)?
            .into_iter()
            .filter_map(|(id, v)| match serde_json::from_value::<OutputDoc>(v) {
                Ok(o) => Some((o.id.clone(), o)),
                Err(e) => {
                    tracing::error!(output = %id, error = %e, "corrupt output left out");
                    None
                }
            })
            .collect();
        let mut core = Self {
            store,
            clock,
            config,
            shared,
            runners: Vec::new(),
            partitions: BTreeMap::new(),
            ids: Identities::default(),
            leaving: None,
            deleted: HashSet::new(),
            outputs,
            workers,
            outbox: Vec::new(),
            lists: Vec::new(),
            post,
            filling: HashMap::new(),
            releases: Vec::new(),
            samples: Default::default(),
        };
        let mut journeys = core.journey_docs()?;
        // Audiences run as one-step journeys (see `crate::audiences`).
        for audience in core.audience_docs()? {
            journeys.push(audience.as_journey()?.0);
        }
        let inputs = core.input_ids()?;
        let mut versions: Vec<(&JourneyDoc, &VersionDoc)> = journeys
            .iter()
            .flat_map(|j| j.published().map(move |v| (j, v)))
            .collect();
        // Oldest first, so that a version joins the engines after the ones it succeeds.
        versions.sort_by_key(|(j, v)| (v.published_at, j.id.clone(), v.version));
        for (journey, version) in versions {
            core.runners.push(Runner::new(journey, version, &inputs)?);
        }
        core.start_partitions()?;
        core.flush()?;
        for doc in core.outputs.values() {
            core.workers.restart(doc);
        }
        Ok(core)
    }

    /// Every readable stored journey. A corrupt one is logged as an error, every time it is
    /// met, and left out, so that the others keep running; the API answers it as
    /// `corrupt_journey`.
    pub(crate) fn journey_docs(&self) -> Result<Vec<JourneyDoc>, RuntimeError> {
        Ok(self
            .store
            .documents(doc::COLLECTION)?
            .into_iter()
            .filter_map(|(id, v)| match JourneyDoc::from_stored(&id, v) {
                Ok(doc) => Some(doc),
                Err(e) => {
                    tracing::error!(journey = %id, error = %e, "corrupt journey left out");
                    None
                }
            })
            .collect())
    }

    /// Every `workspace/input` that exists.
    pub(crate) fn input_ids(&self) -> Result<Vec<String>, RuntimeError> {
        history::input_ids(self.store.as_ref())
    }

    /// A commit from the store's feed.
    pub(crate) fn on_commit(&mut self, commit: Commit) {
        match commit {
            Commit::Ingested(batch) => self.on_batch(batch),
            Commit::ProfileDeleted {
                workspace,
                profile,
                user_id,
                anonymous_id,
            } => self.on_profile_deleted(&workspace, profile, user_id.or(anonymous_id)),
        }
    }

    fn on_batch(&mut self, batch: CommittedBatch) {
        let ws = batch.workspace.clone();
        self.shared
            .metrics
            .ingested
            .add(&[&ws, &batch.input], batch.applied.len() as u64);
        let now = self.clock.now();
        for applied in &batch.applied {
            let Some(message) = batch.messages.get(applied.index) else {
                continue;
            };
            let Some(key) = applied.key().map(str::to_string) else {
                continue;
            };
            if self.is_deleted(&ws, applied.profile) {
                continue;
            }
            let user = User {
                user_id: applied.user_id.clone(),
                anonymous_id: applied.anonymous_id.clone(),
            };
            self.ids.set_user(&ws, &key, &user);
            for merged in &applied.merged {
                if let Some(old) = self.ids.take_key(&ws, *merged)
                    && old != key
                {
                    // Its record ids stay identifier-based (a rebuild after the merge
                    // replays no exit for it); its order key stays the profile's.
                    self.leaving = self
                        .ids
                        .forget_slot(&ws, &old)
                        .map(|profile| (old.clone(), (ws.clone(), profile)));
                    self.remove_user(&ws, &old, false);
                    self.leaving = None;
                }
            }
            if let Some(old) = self.ids.key_of(&ws, applied.profile).map(str::to_string)
                && old != key
            {
                self.ids.forget_slot(&ws, &old);
                self.rename_user(&ws, &old, &key);
            }
            self.ids.set_key(&ws, applied.profile, &key);
            self.ids.set_slot(&ws, &key, applied.profile);
            let mut event = message.event.clone();
            event.input = Some(format!("{ws}/{}", batch.input));
            self.sample_arrival(&ws, applied, &event, message.received_at);
            let live = LiveEvent {
                workspace: ws.clone(),
                seq: applied.seq,
                received_at: message.received_at,
                key,
                event,
            };
            self.shared
                .metrics
                .engine_lag_ms
                .store(now - message.received_at, Ordering::Relaxed);
            if let Err(e) = self.apply_event(&live) {
                tracing::error!(error = %e, workspace = %ws, "an event could not be applied");
            }
        }
    }

    fn rename_user(&mut self, workspace: &str, old: &str, new: &str) {
        let Some(p) = self.partitions.get_mut(workspace) else {
            return;
        };
        if !p.engine.rename(old, new) {
            let mut out = Vec::new();
            p.engine.remove(old, &mut out);
            self.handle(workspace, &out, false);
        }
    }

    /// The user leaves every running journey; `deleted` sends nothing but list removals.
    fn remove_user(&mut self, workspace: &str, key: &str, deleted: bool) {
        let Some(p) = self.partitions.get_mut(workspace) else {
            return;
        };
        let mut out = Vec::new();
        p.engine.remove(key, &mut out);
        self.handle(workspace, &out, deleted);
    }

    /// Fires the timers due by now (less the grace).
    pub(crate) fn tick(&mut self) {
        let until = self.clock.now() - self.config.timer_grace_ms;
        self.advance_all(until);
        self.shared
            .metrics
            .runners
            .store(self.runners.len() as u64, Ordering::Relaxed);
    }

    /// When the engine thread must next wake for a timer.
    pub(crate) fn next_wake(&self) -> Option<Millis> {
        self.partitions
            .values()
            .filter_map(|p| p.engine.next_timer())
            .min()
            .map(|t| t + self.config.timer_grace_ms)
    }

    /// Counts transitions and turns deliveries into outbox records and list changes.
    pub(crate) fn handle(&mut self, workspace: &str, transitions: &[Transition], deleted: bool) {
        if transitions.is_empty() {
            return;
        }
        let now = self.clock.now();
        for t in transitions {
            let Some(runner) = self
                .runners
                .iter()
                .position(|r| r.indices.get(workspace) == Some(&t.journey))
            else {
                continue;
            };
            self.runners[runner].count(workspace, std::slice::from_ref(t));
            let TransitionKind::Delivery {
                step,
                connection,
                action,
            } = t.kind
            else {
                continue;
            };
            let r = &self.runners[runner];
            let Some(conn) = r
                .connections
                .get(usize::from(step))
                .and_then(|c| c.get(usize::from(connection)))
            else {
                continue;
            };
            if !conn.active || t.at < conn.active_since || t.at < r.published_at {
                continue;
            }
            let Some(output) = self.outputs.get(&conn.output) else {
                continue;
            };
            let Some(engine) = self.partitions.get(workspace).map(|p| &p.engine) else {
                continue;
            };
            let key = engine.user_key(t.user).to_string();
            let user = self.ids.user(workspace, &key).unwrap_or(User {
                user_id: Some(key.clone()),
                anonymous_id: None,
            });
            let step_id = r.step_ids[usize::from(step)].clone();
            let delivery = Delivery {
                journey_id: r.journey_id.clone(),
                journey_version: r.version,
                step_key: r.keys.get(&step_id).cloned().unwrap_or_default(),
                step_id,
                connection_id: conn.id.clone(),
                mode: conn.mode,
                action,
                user,
                entry_number: t.entry,
                at: t.at,
                personalisation: Default::default(),
            };
            if output.kind == OutputKind::List {
                self.lists.push(list_write(&output.id, &key, &delivery));
            } else if !deleted && conn.mode != ConnectionMode::List {
                let slot = (self.ids.slot(workspace, &key)).map(|p| (workspace.to_string(), p));
                let (id, order) = match &slot {
                    Some(slot) => (record_id(slot, &delivery), order::of_profile(slot)),
                    None => match &self.leaving {
                        Some((left, slot)) if *left == key && slot.0 == workspace => {
                            (delivery.message_id(), order::of_profile(slot))
                        }
                        _ => (delivery.message_id(), order::of_user(workspace, &key)),
                    },
                };
                let task =
                    OutboxTask::from(DeliveryPayload::of(&delivery, slot, conn.traits.clone()));
                self.outbox.push(OutboxRecord {
                    id,
                    output: output.id.clone(),
                    seq: 0,
                    payload: task.encode(),
                    status: DeliveryStatus::Pending,
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                    key: Some(order),
                    attempt_log: Vec::new(),
                    group: Some(delivery_group(&delivery)),
                });
            }
        }
    }

    /// Writes what is queued (outbox records, list changes) durably and wakes the workers.
    pub(crate) fn flush(&mut self) -> Result<(), RuntimeError> {
        if !self.lists.is_empty() {
            self.store
                .write_documents(std::mem::take(&mut self.lists))?;
        }
        if self.outbox.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.outbox);
        let outputs: Vec<String> = records.iter().map(|r| r.output.clone()).collect();
        let added = self.store.outbox_add(records)?;
        let mut woken = Vec::new();
        for (output, added) in outputs.iter().zip(added) {
            if added {
                self.shared.metrics.enqueued.add(&[output], 1);
                if !woken.contains(output) {
                    woken.push(output.clone());
                }
            }
        }
        for output in woken {
            self.shared.wake(&output);
        }
        Ok(())
    }

    /// Discards what a connection that is no longer active still has queued (SPEC §8:
    /// deactivating stops deliveries, including those queued).
    pub(crate) fn discard_queued(
        &self,
        journey_id: &str,
        version: u32,
        outputs: &[String],
        connections: &[(String, String)],
    ) -> Result<(), RuntimeError> {
        if connections.is_empty() {
            return Ok(());
        }
        let pred = |r: &OutboxRecord| {
            OutboxTask::decode(&r.payload).is_ok_and(|task| {
                let p = task.delivery();
                p.journey_id == journey_id
                    && p.journey_version == version
                    && connections
                        .iter()
                        .any(|(s, c)| *s == p.step_id && *c == p.connection_id)
            })
        };
        for output in outputs {
            self.store.outbox_remove_for(output, &pred)?;
        }
        Ok(())
    }

    /// Sends a step's current members to a newly active connection as entered.
    pub(crate) fn announce_members(&mut self, runner: usize, step_id: &str, connection_id: &str) {
        let r = &self.runners[runner];
        let Some(step) = r.step_ids.iter().position(|s| s == step_id) else {
            return;
        };
        let Some(connection) = r.connections[step]
            .iter()
            .position(|c| c.id == connection_id)
        else {
            return;
        };
        let at = self.clock.now();
        let mut by_workspace = Vec::new();
        for (ws, &journey) in &r.indices {
            let Some(p) = self.partitions.get(ws) else {
                continue;
            };
            let transitions: Vec<Transition> = p
                .engine
                .step_members(journey, step as u16)
                .into_iter()
                .map(|m| Transition {
                    at,
                    user: m.user,
                    journey,
                    entry: m.entry_number,
                    kind: TransitionKind::Delivery {
                        step: step as u16,
                        connection: connection as u16,
                        action: Change::Entered,
                    },
                })
                .collect();
            by_workspace.push((ws.clone(), transitions));
        }
        for (ws, transitions) in by_workspace {
            self.handle(&ws, &transitions, false);
        }
    }
}

/// The outbox id of a delivery to a known profile: like its `messageId`, but naming the
/// profile by its slot rather than by its identifiers, which an identify or a merge changes
/// after the fact. A rebuild replays history under the profile's current identifiers, so
/// ids derived from them would not match the records made live, and deliveries already made
/// would be queued again.
fn record_id(slot: &(String, ProfileId), d: &Delivery) -> String {
    waymark_deliver::delivery::hashed_id(&[
        b"waymark-outbox-v1",
        d.journey_id.as_bytes(),
        &d.journey_version.to_be_bytes(),
        d.step_id.as_bytes(),
        d.connection_id.as_bytes(),
        slot.0.as_bytes(),
        &slot.1.to_be_bytes(),
        &d.entry_number.to_be_bytes(),
        d.action.as_str().as_bytes(),
    ])
}

/// What a delivery counts toward in its journey's statistics: `<journey>/<version>/<connection>`
/// (journey ids hold no `/`; connection ids are unique within a journey).
pub(crate) fn delivery_group(d: &Delivery) -> String {
    format!("{}/{}/{}", d.journey_id, d.journey_version, d.connection_id)
}

/// A list output's member change. A list keeps one membership per step key (SPEC §8): the
/// document id is `<step key>/<user key>` (step keys hold no `/`), so leaving one step
/// never removes the membership another step still holds.
fn list_write(output: &str, key: &str, d: &Delivery) -> DocumentWrite {
    DocumentWrite {
        collection: format!("{LIST_PREFIX}{output}"),
        id: format!("{}/{key}", d.step_key),
        body: (d.action == Change::Entered).then(|| {
            json!(ListMember {
                key: key.to_string(),
                step_key: Some(d.step_key.clone()),
                user_id: d.user.user_id.clone(),
                anonymous_id: d.user.anonymous_id.clone(),
                entered_at: d.at,
                journey_id: d.journey_id.clone(),
                step_id: d.step_id.clone(),
            })
        }),
    }
}
