//! An output's JSON form: the flat object the admin API takes and answers, configuration
//! files declare, and the `outputs` collection stores. Its `kind` says which of the other
//! fields it holds; turning it into an [`OutputDoc`] refuses a field of another kind and a
//! missing field of its own, so the typed document never holds either.

use serde::{Deserialize, Serialize};
use waymark_engine::time::Millis;

use super::{FileSettings, OutputDoc, OutputKind, RotatedSecret, SegmentSettings, WebhookSettings};
use crate::delivery::DeliverySettings;
use crate::owner::Owner;

/// The kind's name, as `kind` writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KindName {
    /// `webhook`.
    Webhook,
    /// `segment`.
    Segment,
    /// `file`.
    File,
    /// `list`.
    List,
}

impl KindName {
    fn as_str(self) -> &'static str {
        match self {
            KindName::Webhook => "webhook",
            KindName::Segment => "segment",
            KindName::File => "file",
            KindName::List => "list",
        }
    }
}

/// An output as JSON has it: every kind's fields, each optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputBody {
    /// Stable id, named by connections.
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The kind.
    pub kind: KindName,
    /// Webhook: the URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Webhook: the signing secret (`whsec_…`); a request without one gets a new one.
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
    /// Disabled outputs send nothing.
    #[serde(default)]
    pub disabled: bool,
    /// Why it was disabled (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// When it was created (set by the server).
    #[serde(default)]
    pub created_at: Millis,
    /// Who owns it.
    #[serde(default)]
    pub owner: Owner,
    /// Webhook: the secret a rotation replaced (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret: Option<String>,
    /// Webhook: until when `previous_secret` still signs (set by the server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<Millis>,
    /// Its own delivery settings.
    #[serde(default, skip_serializing_if = "DeliverySettings::is_empty")]
    pub delivery: DeliverySettings,
}

/// Why a body is not an output of its kind (the message names the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BodyError(String);

impl TryFrom<OutputBody> for OutputDoc {
    type Error = BodyError;

    fn try_from(b: OutputBody) -> Result<Self, BodyError> {
        let kind_name = b.kind.as_str();
        let missing = |field: &str| BodyError(format!("a {kind_name} output needs `{field}`"));
        let foreign = [
            ("url", b.url.is_some(), KindName::Webhook),
            ("secret", b.secret.is_some(), KindName::Webhook),
            (
                "previous_secret",
                b.previous_secret.is_some(),
                KindName::Webhook,
            ),
            (
                "previous_secret_until",
                b.previous_secret_until.is_some(),
                KindName::Webhook,
            ),
            ("endpoint", b.endpoint.is_some(), KindName::Segment),
            ("write_key", b.write_key.is_some(), KindName::Segment),
            ("path", b.path.is_some(), KindName::File),
        ];
        if let Some((field, ..)) = foreign
            .iter()
            .find(|(_, set, owner)| *set && *owner != b.kind)
        {
            return Err(BodyError(format!("a {kind_name} output has no `{field}`")));
        }
        let kind = match b.kind {
            KindName::Webhook => OutputKind::Webhook(WebhookSettings {
                url: b.url.ok_or_else(|| missing("url"))?,
                secret: b.secret.ok_or_else(|| missing("secret"))?,
                previous: match (b.previous_secret, b.previous_secret_until) {
                    (Some(secret), Some(until)) => Some(RotatedSecret { secret, until }),
                    (None, None) => None,
                    _ => {
                        return Err(BodyError(
                            "`previous_secret` and `previous_secret_until` go together".into(),
                        ));
                    }
                },
            }),
            KindName::Segment => OutputKind::Segment(SegmentSettings {
                endpoint: b.endpoint.ok_or_else(|| missing("endpoint"))?,
                write_key: b.write_key.ok_or_else(|| missing("write_key"))?,
            }),
            KindName::File => OutputKind::File(FileSettings {
                path: b.path.ok_or_else(|| missing("path"))?,
            }),
            KindName::List => OutputKind::List,
        };
        Ok(OutputDoc {
            id: b.id,
            name: b.name,
            kind,
            disabled: b.disabled,
            disabled_reason: b.disabled_reason,
            created_at: b.created_at,
            owner: b.owner,
            delivery: b.delivery,
        })
    }
}

impl From<OutputDoc> for OutputBody {
    fn from(doc: OutputDoc) -> Self {
        let mut body = OutputBody {
            id: doc.id,
            name: doc.name,
            kind: KindName::List,
            url: None,
            secret: None,
            endpoint: None,
            write_key: None,
            path: None,
            disabled: doc.disabled,
            disabled_reason: doc.disabled_reason,
            created_at: doc.created_at,
            owner: doc.owner,
            previous_secret: None,
            previous_secret_until: None,
            delivery: doc.delivery,
        };
        match doc.kind {
            OutputKind::Webhook(w) => {
                body.kind = KindName::Webhook;
                body.url = Some(w.url);
                body.secret = Some(w.secret);
                if let Some(previous) = w.previous {
                    body.previous_secret = Some(previous.secret);
                    body.previous_secret_until = Some(previous.until);
                }
            }
            OutputKind::Segment(s) => {
                body.kind = KindName::Segment;
                body.endpoint = Some(s.endpoint);
                body.write_key = Some(s.write_key);
            }
            OutputKind::File(f) => {
                body.kind = KindName::File;
                body.path = Some(f.path);
            }
            OutputKind::List => {}
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn doc(body: Value) -> Result<OutputDoc, String> {
        serde_json::from_value(body).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_round_trips_as_the_same_json() {
        for body in [
            json!({"id": "h", "name": "Hook", "kind": "webhook", "url": "https://x.test/h",
                   "secret": "whsec_abc", "previous_secret": "whsec_old",
                   "previous_secret_until": 5, "disabled": false, "created_at": 1,
                   "owner": {"workspace": "ws"}, "delivery": {"concurrency": 2}}),
            json!({"id": "s", "name": null, "kind": "segment", "endpoint": "https://api.test",
                   "write_key": "k", "disabled": true, "disabled_reason": "gone",
                   "created_at": 2, "owner": "account"}),
            json!({"id": "f", "name": null, "kind": "file", "path": "/tmp/f.ndjson",
                   "disabled": false, "created_at": 3, "owner": "account"}),
            json!({"id": "l", "name": null, "kind": "list", "disabled": false,
                   "created_at": 4, "owner": "account"}),
        ] {
            let typed = doc(body.clone()).unwrap();
            assert_eq!(serde_json::to_value(&typed).unwrap(), body);
        }
        let hook = doc(json!({"id": "h", "kind": "webhook", "url": "u", "secret": "s"})).unwrap();
        assert!(
            matches!(hook.kind, OutputKind::Webhook(WebhookSettings { ref url, .. }) if url == "u")
        );
        assert_eq!(
            doc(json!({"id": "l", "kind": "list"})).unwrap().kind,
            OutputKind::List
        );
    }

    #[test]
    fn a_field_of_another_kind_or_a_missing_one_is_refused_by_name() {
        let cases = [
            (
                json!({"id": "h", "kind": "webhook", "secret": "s"}),
                "a webhook output needs `url`",
            ),
            (
                json!({"id": "s", "kind": "segment", "endpoint": "e"}),
                "a segment output needs `write_key`",
            ),
            (
                json!({"id": "f", "kind": "file"}),
                "a file output needs `path`",
            ),
            (
                json!({"id": "h", "kind": "webhook", "url": "u", "secret": "s", "path": "p"}),
                "a webhook output has no `path`",
            ),
            (
                json!({"id": "l", "kind": "list", "write_key": "k"}),
                "a list output has no `write_key`",
            ),
            (
                json!({"id": "h", "kind": "webhook", "url": "u", "secret": "s",
                       "previous_secret": "o"}),
                "`previous_secret` and `previous_secret_until` go together",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(doc(body.clone()).unwrap_err(), message, "{body}");
        }
        // Null is absent, as before.
        assert!(doc(json!({"id": "l", "kind": "list", "path": null})).is_ok());
        assert!(doc(json!({"id": "l", "kind": "list", "colour": "red"})).is_err());
    }
}
