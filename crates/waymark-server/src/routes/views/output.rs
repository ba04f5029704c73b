//! Outputs, their deliveries and list members.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use waymark_engine::model::ConnectionMode;
use waymark_engine::time::{Millis, format_instant};
use waymark_runtime::DeliveryAnswer;
use waymark_runtime::outputs::{OutputAnswer, OutputKind as Kind};
use waymark_runtime::shared::OutputState;
use waymark_store::{AttemptOutcome, ProfileId};

use super::common::{DeliveryCounts, Owner, present};

/// `GET /api/outputs`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct OutputList {
    pub(crate) outputs: Vec<OutputView>,
}

/// The kinds of output (SPEC §7).
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum OutputKind {
    Webhook,
    Segment,
    File,
    List,
}

/// An output with delivery counts and its worker's state. Secrets never show here, only
/// whether they are set (`secret_set`, `write_key_set`, `previous_secret_set`).
// A field the answer leaves out when it is unset keeps its documented `default` (null):
// `#[schemars(!skip_serializing_if)]` stops schemars from dropping it.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct OutputView {
    #[serde(flatten)]
    fields: OutputFields,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    secret_set: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    write_key_set: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    previous_secret_set: Option<bool>,
}

impl From<OutputAnswer> for OutputView {
    fn from(answer: OutputAnswer) -> Self {
        let OutputAnswer {
            doc,
            deliveries,
            state,
        } = answer;
        let (mut url, mut endpoint, mut path, mut previous_until) = (None, None, None, None);
        let (mut secret_set, mut write_key_set, mut previous_secret_set) = (None, None, None);
        let kind = match doc.kind {
            Kind::Webhook(w) => {
                url = Some(w.url);
                secret_set = Some(true);
                previous_secret_set = w.previous.is_some().then_some(true);
                previous_until = w.previous.map(|p| p.until);
                OutputKind::Webhook
            }
            Kind::Segment(s) => {
                endpoint = Some(s.endpoint);
                write_key_set = Some(true);
                OutputKind::Segment
            }
            Kind::File(f) => {
                path = Some(f.path);
                OutputKind::File
            }
            Kind::List => OutputKind::List,
        };
        let fields = OutputFields {
            id: doc.id,
            name: doc.name,
            kind,
            url,
            endpoint,
            path,
            disabled: doc.disabled,
            disabled_reason: doc.disabled_reason,
            owner: (&doc.owner).into(),
            delivery: (!doc.delivery.is_empty()).then_some(doc.delivery),
            previous_secret_until: previous_until.map(format_instant),
            created_at: format_instant(doc.created_at),
            deliveries,
            state: state.into(),
        };
        Self {
            fields,
            secret_set,
            write_key_set,
            previous_secret_set,
        }
    }
}

/// An output as answered when made or rotated: its secret or write key shows this once.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct OutputWithSecret {
    #[serde(flatten)]
    view: OutputView,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    secret: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    write_key: Option<String>,
}

impl From<OutputAnswer> for OutputWithSecret {
    fn from(answer: OutputAnswer) -> Self {
        let (mut secret, mut write_key) = (None, None);
        match &answer.doc.kind {
            Kind::Webhook(w) => secret = Some(w.secret.clone()),
            Kind::Segment(s) => write_key = Some(s.write_key.clone()),
            Kind::File(_) | Kind::List => {}
        }
        Self {
            view: answer.into(),
            secret,
            write_key,
        }
    }
}

/// What every output answer has.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct OutputFields {
    id: String,
    name: Option<String>,
    kind: OutputKind,
    /// Webhook receiver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    url: Option<String>,
    /// Segment-compatible endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    endpoint: Option<String>,
    /// File output's path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    path: Option<String>,
    disabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    disabled_reason: Option<String>,
    owner: Owner,
    /// Delivery settings the output overrides; absent when it overrides none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DeliverySettings")]
    delivery: Option<waymark_runtime::delivery::DeliverySettings>,
    previous_secret_until: Option<String>,
    created_at: String,
    deliveries: DeliveryCounts,
    state: WorkerState,
}

/// What an output sets for its deliveries (the runtime's `DeliverySettings`); every field
/// falls back to the deployment's default.
#[derive(JsonSchema)]
#[serde(deny_unknown_fields)]
#[expect(dead_code, reason = "only its JSON Schema is used")]
pub(crate) struct DeliverySettings {
    /// Requests in flight at once, across users.
    concurrency: Option<u32>,
    /// Most requests per second (fractions allowed).
    rate_per_second: Option<f64>,
    /// The wait after each failed attempt, first to last (`30s`, `5m`, `1h`); the last
    /// repeats.
    retry_waits: Option<Vec<String>>,
    /// Attempts in all before a delivery is parked as dead.
    max_attempts: Option<u32>,
    /// Whole-request timeout, in milliseconds.
    timeout_ms: Option<u64>,
    /// Failed attempts in a row that pause the whole output.
    pause_after_failures: Option<u32>,
}

/// The output's delivery worker now.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct WorkerState {
    paused: bool,
    paused_until: Option<String>,
    consecutive_failures: u32,
    in_flight: u64,
    last_error: Option<String>,
    last_error_at: Option<String>,
}

impl From<OutputState> for WorkerState {
    fn from(s: OutputState) -> Self {
        Self {
            paused: s.paused_until.is_some(),
            paused_until: s.paused_until.map(format_instant),
            consecutive_failures: s.consecutive_failures,
            in_flight: s.in_flight as u64,
            last_error: s.last_error,
            last_error_at: s.last_error_at.map(format_instant),
        }
    }
}

/// `GET /api/outputs/{id}/deliveries`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct DeliveriesPage {
    pub(crate) deliveries: Vec<DeliveryView>,
    /// Pass as `cursor` for the next page; `null` at the end.
    pub(crate) next_cursor: Option<u64>,
}

/// Where a delivery stands.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum DeliveryStatus {
    Pending,
    Delivered,
    Dead,
    Discarded,
}

impl From<waymark_store::DeliveryStatus> for DeliveryStatus {
    fn from(status: waymark_store::DeliveryStatus) -> Self {
        use waymark_store::DeliveryStatus as Status;
        match status {
            Status::Pending => Self::Pending,
            Status::Delivered => Self::Delivered,
            Status::Dead => Self::Dead,
            Status::Discarded => Self::Discarded,
        }
    }
}

/// A delivery: its outbox record with every attempt (times in epoch milliseconds), the
/// `messageId` receivers see, and whom it is about.
// The fields drawn from the delivery are absent when its task is one this build cannot
// read (the outer `None`); `user_id` and `anonymous_id` are null when it has no such id.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct DeliveryView {
    id: String,
    output: String,
    seq: u64,
    /// Pass as `cursor` to page on after this one.
    cursor: u64,
    #[schemars(with = "DeliveryPayload")]
    payload: Payload,
    status: DeliveryStatus,
    attempts: u32,
    next_attempt_at: Millis,
    last_error: Option<String>,
    created_at: Millis,
    updated_at: Millis,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attempt_log: Vec<Attempt>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", !skip_serializing_if)]
    user_id: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>", !skip_serializing_if)]
    anonymous_id: Option<Option<String>>,
}

/// A delivery's payload: the delivery it holds, or the stored task as is when this build
/// cannot read it.
#[derive(Serialize)]
#[serde(untagged)]
enum Payload {
    Delivery(Box<DeliveryPayload>),
    Stored(Value),
}

impl From<DeliveryAnswer> for DeliveryView {
    fn from(answer: DeliveryAnswer) -> Self {
        let DeliveryAnswer { record: r, payload } = answer;
        let about = payload.as_ref().map(|p| {
            (
                p.delivery().message_id(),
                p.user_id.clone(),
                p.anonymous_id.clone(),
            )
        });
        let (message_id, user_id, anonymous_id) = match about {
            Some((m, u, a)) => (Some(m), Some(u), Some(a)),
            None => (None, None, None),
        };
        Self {
            id: r.id,
            output: r.output,
            seq: r.seq,
            cursor: r.seq,
            payload: payload.map_or(Payload::Stored(r.payload), |p| {
                Payload::Delivery(Box::new(p.into()))
            }),
            status: r.status.into(),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            updated_at: r.updated_at,
            key: r.key,
            attempt_log: r.attempt_log.into_iter().map(Attempt::from).collect(),
            group: r.group,
            message_id,
            user_id,
            anonymous_id,
        }
    }
}

/// What a delivery says: a step's (or audience's) membership change.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct DeliveryPayload {
    journey_id: String,
    journey_version: u32,
    step_id: String,
    step_key: String,
    connection_id: String,
    /// `event`, `identify` or `list`.
    #[schemars(with = "String")]
    mode: ConnectionMode,
    /// `entered` or `exited`.
    action: String,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    entry_number: u32,
    at: Millis,
    /// The profile's workspace and id, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<Value>>", !skip_serializing_if)]
    profile: Option<(String, ProfileId)>,
    /// Trait paths the connection names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    traits: Option<Vec<String>>,
}

impl From<waymark_runtime::delivery::DeliveryPayload> for DeliveryPayload {
    fn from(p: waymark_runtime::delivery::DeliveryPayload) -> Self {
        Self {
            journey_id: p.journey_id,
            journey_version: p.journey_version,
            step_id: p.step_id,
            step_key: p.step_key,
            connection_id: p.connection_id,
            mode: p.mode,
            action: p.action.as_str().to_string(),
            user_id: p.user_id,
            anonymous_id: p.anonymous_id,
            entry_number: p.entry_number,
            at: p.at,
            profile: p.profile,
            traits: (!p.traits.is_empty()).then_some(p.traits),
        }
    }
}

/// One attempt to send a delivery.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
struct Attempt {
    at: Millis,
    latency_ms: u64,
    /// The receiver's HTTP status, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    status: Option<u16>,
    /// `delivered`, `retry`, `dead` or `disabled`.
    #[schemars(with = "String")]
    outcome: AttemptOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    error: Option<String>,
    /// The start of the response body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(!skip_serializing_if)]
    response: Option<String>,
}

impl From<waymark_store::Attempt> for Attempt {
    fn from(a: waymark_store::Attempt) -> Self {
        Self {
            at: a.at,
            latency_ms: a.latency_ms,
            status: a.status,
            outcome: a.outcome,
            error: a.error,
            response: a.response,
        }
    }
}

/// `GET /api/outputs/{id}/members`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct OutputMembers {
    pub(crate) members: Vec<ListMember>,
}

/// A profile a list output holds.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct ListMember {
    key: String,
    // Absent from memberships stored before lists kept one per step key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    step_key: Option<String>,
    user_id: Option<String>,
    anonymous_id: Option<String>,
    /// Epoch milliseconds.
    entered_at: Millis,
    journey_id: String,
    step_id: String,
}

impl From<waymark_runtime::outputs::ListMember> for ListMember {
    fn from(m: waymark_runtime::outputs::ListMember) -> Self {
        Self {
            key: m.key,
            step_key: m.step_key,
            user_id: m.user_id,
            anonymous_id: m.anonymous_id,
            entered_at: m.entered_at,
            journey_id: m.journey_id,
            step_id: m.step_id,
        }
    }
}

/// `POST /api/outputs/{id}/deliveries/replay`.
#[derive(Serialize, JsonSchema)]
#[schemars(transform = present)]
pub(crate) struct Replayed {
    /// How many dead deliveries were queued again.
    pub(crate) replayed: usize,
}
