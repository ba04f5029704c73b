//! CSV exports (a step's audience, an audience's members, a list output's members): text
//! files rather than JSON views, so the runtime writes them itself.

use serde_json::Value;
use waymark_engine::time::Millis;

/// An instant as RFC 3339 text (empty when it is out of range).
pub fn instant(at: Millis) -> String {
    jiff::Timestamp::from_millisecond(at).map_or_else(|_| String::new(), |t| t.to_string())
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
            Value::Number(n) => n
                .as_i64()
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map_or_else(|| n.to_string(), |t| t.to_string()),
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
    use serde_json::json;

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
