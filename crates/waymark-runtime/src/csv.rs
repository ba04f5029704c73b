//! CSV exports (a step's audience, an audience's members, a list output's members): text
//! files rather than JSON views, so the runtime writes them itself.

use waymark_engine::time::Millis;

use crate::outputs::ListMember;

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
pub fn members_csv(members: &[ListMember]) -> String {
    let mut csv = String::from("key,user_id,anonymous_id,entered_at,journey_id,step_id\n");
    for m in members {
        let id = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
        let fields = [
            csv_field(&m.key),
            id(&m.user_id),
            id(&m.anonymous_id),
            instant(m.entered_at),
            csv_field(&m.journey_id),
            csv_field(&m.step_id),
        ];
        csv.push_str(&fields.join(","));
        csv.push('\n');
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let members = vec![ListMember {
            key: "a,b".into(),
            step_key: None,
            user_id: Some("say \"hi\"".into()),
            anonymous_id: None,
            entered_at: 0,
            journey_id: "j".into(),
            step_id: "s".into(),
        }];
        assert_eq!(
            members_csv(&members),
            "key,user_id,anonymous_id,entered_at,journey_id,step_id\n\
             \"a,b\",\"say \"\"hi\"\"\",,1970-01-01T00:00:00Z,j,s\n"
        );
    }
}
