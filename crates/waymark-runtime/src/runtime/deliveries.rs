//! Inspecting and replaying deliveries (SPEC §8): listing with filters and a cursor, one
//! delivery with its attempts, replaying one, and replaying an output's dead deliveries in
//! bulk. These read and write the outbox directly from the caller's thread: they touch
//! only records that no worker holds (listing reads; replays change dead or delivered
//! records, which workers never pick).

use waymark_engine::time::Millis;
use waymark_store::{DeliveryStatus, OutboxQuery, OutboxRecord, TokenScope};

use super::Runtime;
use crate::RuntimeError;
use crate::delivery::{DeliveryPayload, OutboxTask};

/// Most records one listing call looks at before it answers with a cursor, so that a
/// filter that matches little never scans the whole outbox in one request.
const SCAN_BUDGET: usize = 20_000;
/// Records read from the store at a time.
const PAGE: usize = 500;

/// Which deliveries of an output to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    /// Only in this status.
    pub status: Option<DeliveryStatus>,
    /// Only about this user (`userId` or `anonymousId`).
    pub user: Option<String>,
    /// Only with this `messageId` (the one receivers see).
    pub message_id: Option<String>,
    /// Only created at or after this instant.
    pub since: Option<Millis>,
    /// Only created before this instant.
    pub until: Option<Millis>,
    /// The cursor a previous page returned (0: from the start).
    pub cursor: u64,
    /// At most this many.
    pub limit: usize,
}

/// One page of deliveries.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPage {
    /// The deliveries, oldest first.
    pub deliveries: Vec<DeliveryAnswer>,
    /// Where the next page starts; `None` when there is no more.
    pub next_cursor: Option<u64>,
}

/// A delivery: its outbox record and the delivery it holds, when its task is one this
/// build reads (a record it cannot read is still listed, as stored).
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryAnswer {
    /// The record, with every attempt.
    pub record: OutboxRecord,
    /// The delivery its task holds.
    pub payload: Option<DeliveryPayload>,
}

impl DeliveryAnswer {
    fn of(record: OutboxRecord) -> Self {
        Self {
            payload: payload(&record),
            record,
        }
    }
}

impl DeliveryFilter {
    fn matches(&self, record: &OutboxRecord, payload: Option<&DeliveryPayload>) -> bool {
        if self.since.is_some_and(|t| record.created_at < t)
            || self.until.is_some_and(|t| record.created_at >= t)
        {
            return false;
        }
        if self.user.is_none() && self.message_id.is_none() {
            return true;
        }
        let Some(p) = payload else {
            return false;
        };
        let user_ok = self
            .user
            .as_ref()
            .is_none_or(|u| p.user_id.as_ref() == Some(u) || p.anonymous_id.as_ref() == Some(u));
        let id_ok = self
            .message_id
            .as_ref()
            .is_none_or(|m| &p.delivery().message_id() == m);
        user_ok && id_ok
    }
}

/// The record's delivery, when its task is one this build reads (a record it cannot read
/// is still listed, as stored, without the fields drawn from its delivery).
fn payload(record: &OutboxRecord) -> Option<DeliveryPayload> {
    match OutboxTask::decode(&record.payload).ok()? {
        OutboxTask::DeliveryV1(payload) => Some(payload),
    }
}

impl Runtime {
    /// An output's deliveries by `seq`, filtered, one page at a time (the output must be
    /// visible to `scope`).
    pub fn deliveries(
        &self,
        scope: &TokenScope,
        output: &str,
        filter: &DeliveryFilter,
    ) -> Result<DeliveryPage, RuntimeError> {
        self.output_doc(scope, output)?;
        let mut found = Vec::new();
        let mut cursor = filter.cursor;
        let mut scanned = 0;
        loop {
            let page = self.inner.store.outbox_list(&OutboxQuery {
                output: Some(output.to_string()),
                status: filter.status,
                after: cursor,
                limit: PAGE,
            })?;
            let exhausted = page.len() < PAGE;
            for record in page {
                scanned += 1;
                cursor = record.seq;
                let answer = DeliveryAnswer::of(record);
                if filter.matches(&answer.record, answer.payload.as_ref()) {
                    found.push(answer);
                    if found.len() >= filter.limit {
                        return Ok(DeliveryPage {
                            deliveries: found,
                            next_cursor: Some(cursor),
                        });
                    }
                }
            }
            if exhausted {
                return Ok(DeliveryPage {
                    deliveries: found,
                    next_cursor: None,
                });
            }
            if scanned >= SCAN_BUDGET {
                return Ok(DeliveryPage {
                    deliveries: found,
                    next_cursor: Some(cursor),
                });
            }
        }
    }

    /// A delivery, when its output is visible to `scope` (else it is reported missing).
    fn record(&self, scope: &TokenScope, id: &str) -> Result<OutboxRecord, RuntimeError> {
        let record = self
            .inner
            .store
            .outbox_get(id)?
            .ok_or_else(|| RuntimeError::not_found("delivery", id))?;
        self.output_doc(scope, &record.output)
            .map_err(|_| RuntimeError::not_found("delivery", id))?;
        Ok(record)
    }

    /// One delivery with its attempts.
    pub fn delivery(&self, scope: &TokenScope, id: &str) -> Result<DeliveryAnswer, RuntimeError> {
        Ok(DeliveryAnswer::of(self.record(scope, id)?))
    }

    /// Sends a dead (or delivered) delivery again, at once.
    pub fn replay(
        &self,
        scope: &TokenScope,
        delivery: &str,
    ) -> Result<DeliveryAnswer, RuntimeError> {
        let mut record = self.record(scope, delivery)?;
        if record.status == DeliveryStatus::Pending {
            return Err(RuntimeError::conflict(
                "already_pending",
                "the delivery is already waiting to be sent",
            ));
        }
        self.requeue(&mut record);
        self.inner.store.outbox_update(vec![record.clone()])?;
        self.inner.shared.wake(&record.output);
        Ok(DeliveryAnswer::of(record))
    }

    /// Sends again every dead delivery of `output` that died at or after `since` (all of
    /// them without it); how many.
    pub fn replay_dead(
        &self,
        scope: &TokenScope,
        output: &str,
        since: Option<Millis>,
    ) -> Result<usize, RuntimeError> {
        self.output_doc(scope, output)?;
        let mut cursor = 0;
        let mut replayed = 0;
        loop {
            let page = self.inner.store.outbox_list(&OutboxQuery {
                output: Some(output.to_string()),
                status: Some(DeliveryStatus::Dead),
                after: cursor,
                limit: PAGE,
            })?;
            let exhausted = page.len() < PAGE;
            let mut batch = Vec::new();
            for mut record in page {
                cursor = record.seq;
                if since.is_none_or(|t| record.updated_at >= t) {
                    self.requeue(&mut record);
                    batch.push(record);
                }
            }
            replayed += batch.len();
            if !batch.is_empty() {
                self.inner.store.outbox_update(batch)?;
                self.inner.shared.wake(output);
            }
            if exhausted {
                return Ok(replayed);
            }
        }
    }

    /// Makes a record pending and due now, with its attempts counted afresh (its log kept).
    fn requeue(&self, record: &mut OutboxRecord) {
        let now = self.inner.clock.now();
        record.status = DeliveryStatus::Pending;
        record.attempts = 0;
        record.next_attempt_at = now;
        record.updated_at = now;
    }
}
