//! Outputs (SPEC §8) as the admin API keeps them, and the senders built from them.

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

/// What kind of output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Signed HTTP POSTs (Standard Webhooks).
    Webhook,
    /// Segment-spec batches to a Segment-compatible endpoint.
    Segment,
    /// NDJSON appended to a local file.
    File,
    /// A membership list Waymark keeps.
    List,
}

/// An output as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputDoc {
    /// Stable id, named by connections.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The kind.
    pub kind: OutputKind,
    /// Webhook: the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook: the signing secret (`whsec_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Segment: the endpoint's base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Segment: the write key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_key: Option<String>,
    /// File: the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Disabled outputs send nothing (a 410 from the receiver disables one).
    #[serde(default)]
    pub disabled: bool,
    /// Why it was disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: Millis,
    /// Who owns it: a workspace's token reaches only its workspace's outputs.
    #[serde(default)]
    pub owner: Owner,
    /// Webhook: the secret a rotation replaced, still signed with until
    /// `previous_secret_until` so that receivers can switch without losing messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    /// Webhook: until when `previous_secret` still signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<Millis>,
    /// Its own delivery settings (concurrency, rate, retries, timeout); the deployment's
    /// defaults fill the rest.
    #[serde(default, skip_serializing_if = "DeliverySettings::is_empty")]
    pub delivery: DeliverySettings,
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
        let mut doc: OutputDoc = serde_json::from_value(body)
            .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
        if !named_owner {
            doc.owner = owner;
        } else if owner != Owner::Account && doc.owner != owner {
            return Err(RuntimeError::invalid(
                "invalid_output",
                "a workspace token makes outputs of its own workspace only",
            ));
        }
        doc.created_at = now;
        if doc.kind == OutputKind::Webhook && doc.secret.is_none() {
            doc.secret = Some(new_webhook_secret());
        }
        doc.check()?;
        Ok(doc)
    }

    /// Checks the fields its kind needs.
    pub fn check(&self) -> Result<(), RuntimeError> {
        crate::ids::check_id("output id", &self.id)?;
        self.delivery.check()?;
        let missing = |field: &str| {
            RuntimeError::invalid(
                "invalid_output",
                format!("a {:?} output needs `{field}`", self.kind).to_lowercase(),
            )
        };
        let http = HttpClient::new(&Default::default())
            .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
        match self.kind {
            OutputKind::Webhook => {
                let url = self.url.as_deref().ok_or_else(|| missing("url"))?;
                let secret = self.secret.as_deref().ok_or_else(|| missing("secret"))?;
                check_webhook_secret(secret)?;
                WebhookOutput::new(url, secret, http)
                    .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
            }
            OutputKind::Segment => {
                let endpoint = self
                    .endpoint
                    .as_deref()
                    .ok_or_else(|| missing("endpoint"))?;
                let key = self
                    .write_key
                    .as_deref()
                    .ok_or_else(|| missing("write_key"))?;
                SegmentOutput::new(endpoint, key, http)
                    .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
            }
            OutputKind::File => {
                self.path.as_deref().ok_or_else(|| missing("path"))?;
            }
            OutputKind::List => {}
        }
        Ok(())
    }

    /// The URL a webhook or Segment output sends to (checked against the SSRF guard when
    /// the output is made or edited, not only at send time).
    pub fn destination(&self) -> Option<&str> {
        match self.kind {
            OutputKind::Webhook => self.url.as_deref(),
            OutputKind::Segment => self.endpoint.as_deref(),
            OutputKind::File | OutputKind::List => None,
        }
    }

    /// The sender for this output (`None` for a list, which Waymark keeps itself).
    pub fn sender(&self, http: &HttpClient) -> Option<Sender> {
        let http = http.clone();
        match self.kind {
            OutputKind::Webhook => {
                let mut output =
                    WebhookOutput::new(self.url.as_deref()?, self.secret.as_deref()?, http).ok()?;
                if let (Some(previous), Some(until)) =
                    (self.previous_secret.as_deref(), self.previous_secret_until)
                {
                    output = output.also_signing_with(previous, until / 1000).ok()?;
                }
                Some(Sender::Webhook(output))
            }
            OutputKind::Segment => {
                SegmentOutput::new(self.endpoint.as_deref()?, self.write_key.as_deref()?, http)
                    .ok()
                    .map(Sender::Segment)
            }
            OutputKind::File => Some(Sender::File(FileOutput::new(self.path.as_deref()?))),
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
