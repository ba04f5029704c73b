//! Outputs (SPEC §8) as the admin API keeps them, and the senders built from them.

mod answer;
mod body;
mod list;

pub use answer::OutputAnswer;
pub use body::{BodyError, KindName, OutputBody};
pub use list::ListMember;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use waymark_deliver::file::FileOutput;
use waymark_deliver::http::HttpClient;
use waymark_deliver::segment::SegmentOutput;
use waymark_deliver::webhook::WebhookOutput;
use waymark_deliver::{Delivery, Outcome, Output};
use waymark_engine::time::Millis;

use crate::RuntimeError;
use crate::delivery::DeliverySettings;
use crate::owner::Owner;

/// The collection outputs are stored in.
pub const COLLECTION: &str = "outputs";

/// An output as stored and shown: what every kind has, and its kind with that kind's own
/// settings. Its JSON is the flat [`OutputBody`] (the API's and the stored shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "OutputBody", into = "OutputBody")]
pub struct OutputDoc {
    /// Stable id, named by connections.
    pub id: String,
    /// Display name.
    pub name: Option<String>,
    /// The kind, with its settings.
    pub kind: OutputKind,
    /// Disabled outputs send nothing (a 410 from the receiver disables one).
    pub disabled: bool,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was created.
    pub created_at: Millis,
    /// Who owns it: a workspace's token reaches only its workspace's outputs.
    pub owner: Owner,
    /// Its own delivery settings (concurrency, rate, retries, timeout); the deployment's
    /// defaults fill the rest.
    pub delivery: DeliverySettings,
}

/// What kind of output, with what that kind needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputKind {
    /// Signed HTTP POSTs (Standard Webhooks).
    Webhook(WebhookSettings),
    /// Segment-spec batches to a Segment-compatible endpoint.
    Segment(SegmentSettings),
    /// NDJSON appended to a local file.
    File(FileSettings),
    /// A membership list Waymark keeps.
    List,
}

/// Where a webhook posts and how it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The URL.
    pub url: String,
    /// The signing secret (`whsec_…`).
    pub secret: String,
    /// The secret a rotation replaced, still signing beside the new one until its time, so
    /// that receivers can switch without losing messages.
    pub previous: Option<RotatedSecret>,
}

/// A rotated-out webhook secret and until when it still signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatedSecret {
    /// The old secret.
    pub secret: String,
    /// Until when it signs (milliseconds since the epoch).
    pub until: Millis,
}

/// Where a Segment-compatible output sends and with which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentSettings {
    /// The endpoint's base URL.
    pub endpoint: String,
    /// The write key.
    pub write_key: String,
}

/// Where a file output appends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The path.
    pub path: String,
}

/// Fields the server sets, which a request body may not (`created_at` is overwritten
/// instead, so that an output read back from a configuration file can be made again).
const SERVER_FIELDS: &[&str] = &[
    "disabled_reason",
    "previous_secret",
    "previous_secret_until",
];

/// The shortest and longest webhook signing key, in bytes (Standard Webhooks: 24–64).
pub const WEBHOOK_SECRET_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

impl OutputDoc {
    /// Parses and checks an output body made by `owner`; a webhook without a secret gets
    /// a new one. A body may name another owner only when `owner` can see it (the account
    /// may make an output for a workspace).
    pub fn from_body(body: Value, owner: Owner, now: Millis) -> Result<Self, RuntimeError> {
        refuse_server_fields(&body)?;
        let named_owner = body.get("owner").is_some();
        let invalid =
            |e: &dyn std::fmt::Display| RuntimeError::invalid("invalid_output", e.to_string());
        let mut body: OutputBody = serde_json::from_value(body).map_err(|e| invalid(&e))?;
        if body.kind == KindName::Webhook && body.secret.is_none() {
            body.secret = Some(new_webhook_secret());
        }
        let mut doc = OutputDoc::try_from(body).map_err(|e| invalid(&e))?;
        if !named_owner {
            doc.owner = owner;
        } else if owner != Owner::Account && doc.owner != owner {
            return Err(RuntimeError::invalid(
                "invalid_output",
                "a workspace token makes outputs of its own workspace only",
            ));
        }
        doc.created_at = now;
        doc.check()?;
        Ok(doc)
    }

    /// Checks its id, delivery settings and its kind's destination and secret.
    pub fn check(&self) -> Result<(), RuntimeError> {
        crate::ids::check_id("output id", &self.id)?;
        self.delivery.check()?;
        let http = HttpClient::new(&Default::default())
            .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
        match &self.kind {
            OutputKind::Webhook(w) => {
                check_webhook_secret(&w.secret)?;
                WebhookOutput::new(&w.url, &w.secret, http)
                    .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
            }
            OutputKind::Segment(s) => {
                SegmentOutput::new(&s.endpoint, &s.write_key, http)
                    .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
            }
            OutputKind::File(_) | OutputKind::List => {}
        }
        Ok(())
    }

    /// The URL a webhook or Segment output sends to (checked against the SSRF guard when
    /// the output is made or edited, not only at send time).
    pub fn destination(&self) -> Option<&str> {
        match &self.kind {
            OutputKind::Webhook(w) => Some(&w.url),
            OutputKind::Segment(s) => Some(&s.endpoint),
            OutputKind::File(_) | OutputKind::List => None,
        }
    }

    /// The secret that authenticates Waymark to the receiver (a webhook's signing secret, a
    /// Segment write key), shown only when it is made or rotated.
    pub fn credential(&self) -> Option<(&'static str, &str)> {
        match &self.kind {
            OutputKind::Webhook(w) => Some(("secret", &w.secret)),
            OutputKind::Segment(s) => Some(("write_key", &s.write_key)),
            OutputKind::File(_) | OutputKind::List => None,
        }
    }

    /// The sender for this output (`None` for a list, which Waymark keeps itself).
    pub fn sender(&self, http: &HttpClient) -> Option<Sender> {
        let http = http.clone();
        match &self.kind {
            OutputKind::Webhook(w) => {
                let mut output = WebhookOutput::new(&w.url, &w.secret, http).ok()?;
                if let Some(previous) = &w.previous {
                    output = output
                        .also_signing_with(&previous.secret, previous.until / 1000)
                        .ok()?;
                }
                Some(Sender::Webhook(output))
            }
            OutputKind::Segment(s) => SegmentOutput::new(&s.endpoint, &s.write_key, http)
                .ok()
                .map(Sender::Segment),
            OutputKind::File(f) => Some(Sender::File(FileOutput::new(&f.path))),
            OutputKind::List => None,
        }
    }
}

/// Refuses the fields only the server sets.
fn refuse_server_fields(body: &Value) -> Result<(), RuntimeError> {
    match SERVER_FIELDS.iter().find(|f| body.get(**f).is_some()) {
        Some(field) => Err(RuntimeError::invalid(
            "invalid_output",
            format!("`{field}` is set by the server"),
        )),
        None => Ok(()),
    }
}

/// Refuses a webhook secret whose key is outside 24–64 bytes: shorter keys are guessable,
/// and receivers' libraries refuse longer ones.
fn check_webhook_secret(secret: &str) -> Result<(), RuntimeError> {
    let parsed = waymark_deliver::webhook::Secret::parse(secret).map_err(|_| {
        RuntimeError::invalid(
            "invalid_secret",
            "a webhook secret is `whsec_` followed by the base64 of its key",
        )
    })?;
    if WEBHOOK_SECRET_BYTES.contains(&parsed.key_len()) {
        Ok(())
    } else {
        Err(RuntimeError::invalid(
            "invalid_secret",
            format!(
                "a webhook secret's key must be {} to {} bytes; this one has {}",
                WEBHOOK_SECRET_BYTES.start(),
                WEBHOOK_SECRET_BYTES.end(),
                parsed.key_len()
            ),
        ))
    }
}

/// A `whsec_` secret with 24 random bytes.
pub(crate) fn new_webhook_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 24];
    // Without an entropy source, fall back to the time: still unique, less secret.
    if getrandom::fill(&mut bytes).is_err() {
        let t = crate::clock::Clock::now(&crate::clock::SystemClock);
        bytes[..8].copy_from_slice(&t.to_be_bytes());
    }
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// One of the output kinds that send somewhere.
#[derive(Debug, Clone)]
pub enum Sender {
    /// A webhook.
    Webhook(WebhookOutput),
    /// A Segment-compatible endpoint.
    Segment(SegmentOutput),
    /// An NDJSON file.
    File(FileOutput),
}

impl Sender {
    /// Sends deliveries in order, stopping at the first that is not accepted.
    pub async fn send(&self, deliveries: &[Delivery]) -> Outcome {
        match self {
            Sender::Webhook(o) => o.send(deliveries).await,
            Sender::Segment(o) => o.send(deliveries).await,
            Sender::File(o) => o.send(deliveries).await,
        }
    }

    /// Most deliveries one send carries.
    pub fn batch_size(&self) -> usize {
        match self {
            Sender::Webhook(_) => 1,
            Sender::Segment(_) => 100,
            Sender::File(_) => 1000,
        }
    }

    /// Most sends at once, whatever the settings: a file takes one writer at a time, so
    /// that each send's lines are synced together.
    pub fn max_concurrency(&self) -> usize {
        match self {
            Sender::Webhook(_) | Sender::Segment(_) => usize::MAX,
            Sender::File(_) => 1,
        }
    }
}
