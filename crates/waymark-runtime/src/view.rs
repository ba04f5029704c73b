//! JSON and CSV pieces the runtime still writes itself: deliveries, list members as CSV,
//! and instants as RFC 3339 text.

use serde_json::{Value, json};
use waymark_engine::time::Millis;

use waymark_store::OutboxRecord;

use crate::delivery::DeliveryPayload;

/// An instant as RFC 3339 text (`null` when absent).
pub fn instant(at: Option<Millis>) -> Value {
    at.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map_or(Value::Null, |t| json!(t.to_string()))
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
