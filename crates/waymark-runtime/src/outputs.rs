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
}

impl OutputDoc {
    /// Parses and checks an output body; a webhook without a secret gets a new one.
    pub fn from_body(body: Value, now: Millis) -> Result<Self, RuntimeError> {
        let mut doc: OutputDoc = serde_json::from_value(body)
            .map_err(|e| RuntimeError::invalid("invalid_output", e.to_string()))?;
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

    /// The sender for this output (`None` for a list, which Waymark keeps itself).
    pub fn sender(&self, http: &HttpClient) -> Option<Sender> {
        let http = http.clone();
        match self.kind {
            OutputKind::Webhook => {
                WebhookOutput::new(self.url.as_deref()?, self.secret.as_deref()?, http)
                    .ok()
                    .map(Sender::Webhook)
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

/// A `whsec_` secret with 24 random bytes.
fn new_webhook_secret() -> String {
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
}
