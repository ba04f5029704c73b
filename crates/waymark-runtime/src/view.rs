//! The JSON the API answers for journeys and outputs.

use serde_json::{Value, json};
use waymark_engine::time::Millis;

use waymark_store::OutboxRecord;

use crate::delivery::DeliveryPayload;
use crate::journeys::{JourneyDoc, rules};
use crate::outputs::{OutputDoc, OutputKind};
use crate::shared::{OutputState, Progress};

/// An instant as RFC 3339 text (`null` when absent).
pub fn instant(at: Option<Millis>) -> Value {
    at.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or(Value::Null, |t| json!(t.to_string()))
}

/// A journey with its versions, keys, audience statuses and backfill progress.
pub fn journey(doc: &JourneyDoc, progress: Option<Progress>) -> Value {
    let latest = doc.latest();
    let status = match doc.status() {
        crate::journeys::VersionStatus::Draft => "draft",
        crate::journeys::VersionStatus::Published => "published",
        crate::journeys::VersionStatus::Stopped => "stopped",
    };
    let versions: Vec<Value> = doc
        .versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version,
                "status": v.status,
                "published_at": instant(v.published_at),
                "closed_at": instant(v.closed_at),
                "stopped_at": instant(v.stopped_at),
                "historical": v.historical,
            })
        })
        .collect();
    json!({
        "id": doc.id,
        "name": latest.definition.get("name"),
        "status": status,
        "version": latest.version,
        "latest_status": latest.status,
        "draft_version": doc.draft_version(),
        "owner": doc.owner,
        "versions": versions,
        "definition": latest.definition,
        "keys": doc.keys,
        "audiences": rules::audience_statuses(&latest.definition),
        "credits": rules::active_audiences(&latest.definition),
        "backfill": progress.map(|p| json!({
            "state": if p.processed >= p.total { "done" } else { "running" },
            "processed": p.processed,
            "total": p.total,
        })),
        "created_at": instant(Some(doc.created_at)),
    })
}

/// A short line for journey lists.
pub fn journey_summary(doc: &JourneyDoc) -> Value {
    let full = journey(doc, None);
    json!({
        "id": full["id"],
        "name": full["name"],
        "status": full["status"],
        "version": full["version"],
        "draft_version": full["draft_version"],
        "owner": full["owner"],
        "credits": full["credits"],
    })
}

/// An output with delivery counts and its worker's state (paused, in flight, latest
/// error). Its secrets are never shown here: the webhook signing secret and the Segment
/// write key are answered once, when made or rotated (SPEC §1), so whoever reads outputs
/// later cannot impersonate Waymark to the receiver.
pub fn output(doc: &OutputDoc, counts: Value, state: &OutputState) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut v {
        for secret in ["secret", "write_key", "previous_secret"] {
            if fields.remove(secret).is_some() {
                fields.insert(format!("{secret}_set"), Value::Bool(true));
            }
        }
        let previous_until = match &doc.kind {
            OutputKind::Webhook(w) => w.previous.as_ref().map(|p| p.until),
            _ => None,
        };
        fields.insert("previous_secret_until".into(), instant(previous_until));
        fields.insert("created_at".into(), instant(Some(doc.created_at)));
    }
    v["deliveries"] = counts;
    v["state"] = json!({
        "paused": state.paused_until.is_some(),
        "paused_until": instant(state.paused_until),
        "consecutive_failures": state.consecutive_failures,
        "in_flight": state.in_flight,
        "last_error": state.last_error,
        "last_error_at": instant(state.last_error_at),
    });
    v
}

/// A delivery: its outbox record (with every attempt), the `messageId` receivers see, and
/// whom it is about. The payload is shown as the delivery it holds, without the stored
/// task's format tag (the API's shape does not follow the outbox's stored format).
pub fn delivery(record: &OutboxRecord, payload: Option<&DeliveryPayload>) -> Value {
    let mut v = serde_json::to_value(record).unwrap_or(Value::Null);
    if let Some(p) = payload {
        v["payload"] = serde_json::to_value(p).unwrap_or(Value::Null);
        v["message_id"] = json!(p.delivery().message_id());
        v["user_id"] = json!(p.user_id);
        v["anonymous_id"] = json!(p.anonymous_id);
    }
    v["cursor"] = json!(record.seq);
    v
}

/// An output as answered when it is made or its secret rotated: the view plus the secret,
/// shown this once.
pub fn output_with_secret(doc: &OutputDoc, counts: Value, state: &OutputState) -> Value {
    let mut v = output(doc, counts, state);
    if let Some((field, secret)) = doc.credential() {
        v[field] = Value::String(secret.to_string());
    }
    v
}

/// A CSV field, quoted when it needs to be.
pub fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

/// List members as CSV: `key,user_id,anonymous_id,entered_at,journey_id,step_id`.
pub fn members_csv(members: &[Value]) -> String {
    let mut csv = String::from("key,user_id,anonymous_id,entered_at,journey_id,step_id\n");
    for m in members {
        let field = |k: &str| match &m[k] {
            Value::String(s) => csv_field(s),
            Value::Number(n) => instant(n.as_i64())
                .as_str()
                .map_or_else(|| n.to_string(), str::to_string),
            _ => String::new(),
        };
        let fields = [
            "key",
            "user_id",
            "anonymous_id",
            "entered_at",
            "journey_id",
            "step_id",
        ];
        csv.push_str(&fields.map(field).join(","));
        csv.push('\n');
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let members = vec![
            json!({"key": "a,b", "user_id": "say \"hi\"", "entered_at": 0,
                                  "journey_id": "j", "step_id": "s"}),
        ];
        assert_eq!(
            members_csv(&members),
            "key,user_id,anonymous_id,entered_at,journey_id,step_id\n\
             \"a,b\",\"say \"\"hi\"\"\",,1970-01-01T00:00:00Z,j,s\n"
        );
    }
}
