use proptest::prelude::*;
use waymark_engine::time::parse_instant;

use super::{fast_instant, fields as read_fields};
use crate::segment::fields::Fields;
use crate::segment::{Clock, parse_history_line, parse_history_line_serde};

/// Whether the fast reading reads the line.
fn fields(line: &str) -> bool {
    read_fields(line, &mut Fields::default())
}

/// Both readings of a line, errors as text.
fn both(line: &str) -> (Result<String, String>, Result<String, String>) {
    let show = |r: Result<waymark_engine::Message, crate::segment::LineError>| {
        r.map(|m| format!("{m:?}")).map_err(|e| e.to_string())
    };
    (
        show(parse_history_line(line, Clock::AsGiven)),
        show(parse_history_line_serde(line, Clock::AsGiven)),
    )
}

#[test]
fn common_lines_are_read_fast_and_the_same() {
    for line in [
        r#"{"type":"identify","userId":"u18032","traits":{"plan":"pro","state":"VA","tier":"bronze"},"timestamp":"2025-11-03T02:05:07Z"}"#,
        r#"{"type":"track","userId":"u62118","event":"Product Viewed","properties":{"product_id":"p2"},"timestamp":"2025-11-03T02:53:49Z"}"#,
        r#" { "type" : "track" , "anonymousId" : "a1", "userId": null, "event":"Order Completed",
            "properties": {"total": 12.5, "n": -3, "big": 18446744073709551615, "neg0": -0,
            "list": [1, "x", true, false, null, {"deep": [[]]}], "e": 1e-7},
            "context": {"timezone": "Europe/Paris", "traits": {"email": "a@b.c"}},
            "timestamp": "2025-11-03T02:53:49.123456Z", "input": "web", "extra": {"k": [1]} } "#,
        r#"{"type":"page","userId":7,"name":"Home","category":"Docs","timestamp":"2026-01-05T12:00:00Z","messageId":"m1"}"#,
        r#"{"type":"group","userId":"u","groupId":"g","traits":{"name":"Acme"},"timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"alias","userId":"u","previousId":"p","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"track","userId":"ü1","event":"Ünïcode ✓","properties":{"a":{"a":1,"a":2}},"timestamp":"2026-01-05T12:00:00Z"}"#,
    ] {
        assert!(fields(line), "{line}");
        let (fast, serde) = both(line);
        assert_eq!(fast, serde, "{line}");
        assert!(fast.is_ok(), "{line}: {fast:?}");
    }
}

#[test]
fn anything_unusual_is_left_to_the_full_parse() {
    for line in [
        r#"{"type":"track","userId":"u\"1","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"track","user\u0049d":"u1","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"track","userId":"u1","userId":"u2","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"track","userId":null,"userId":"u2","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":42,"userId":"u1","event":"E","timestamp":"2026-01-05T12:00:00Z"}"#,
        r#"{"type":"track","userId":"u1","event":"E","timestamp":1700000000}"#,
        r#"["track","u1"]"#,
        r#"{"type":"track"} x"#,
        r#"{"type":"track",}"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        "{\"a\":\"tab	inside\"}",
        r#"{"a":tru}"#,
        "",
    ] {
        assert!(!fields(line), "{line}");
        let (fast, serde) = both(line);
        assert_eq!(fast, serde, "{line}");
    }
    let deep = format!(
        r#"{{"type":"track","userId":"u","event":"E","timestamp":"2026-01-05T12:00:00Z","properties":{}1{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert!(!fields(&deep));
    let (fast, serde) = both(&deep);
    assert_eq!(fast, serde);
}

#[test]
fn instants_read_directly_equal_the_general_parse() {
    let mut checked = 0;
    for year in [1970, 1971, 1999, 2000, 2024, 2025, 2026, 2100, 2400, 9999] {
        for month in 1..=12 {
            for day in [1, 15, 28, 29, 30, 31] {
                for (time, fraction) in [
                    ("00:00:00", ""),
                    ("23:59:59", ".999999999"),
                    ("12:34:56", ".5"),
                    ("01:02:03", ".0123"),
                ] {
                    let text = format!("{year:04}-{month:02}-{day:02}T{time}{fraction}Z");
                    let general = parse_instant(&text);
                    match fast_instant(text.as_bytes()) {
                        Some(ms) => {
                            assert_eq!(Some(ms), general, "{text}");
                            checked += 1;
                        }
                        None => assert_eq!(super::instant(&text), general, "{text}"),
                    }
                }
            }
        }
    }
    assert!(checked > 2000);
    for other in [
        "2026-01-05T12:00:00+02:00",
        "2026-01-05 12:00:00Z",
        "2026-01-05t12:00:00z",
        "2026-01-05T24:00:00Z",
        "2026-01-05T12:00:60Z",
        "1969-12-31T23:59:59.5Z",
        "2026-01-05T12:00:00.Z",
        "2026-01-05T12:00:00.1234567890Z",
        "2026-01-05T12:00:00.12aZ",
        "2026-1-05T12:00:00Z",
        "2026-01-05",
    ] {
        assert_eq!(fast_instant(other.as_bytes()), None, "{other}");
        assert_eq!(super::instant(other), parse_instant(other), "{other}");
    }
}

/// Keys a message reads, their spellings with escapes, and others.
const KEYS: &[&str] = &[
    "type",
    "userId",
    "anonymousId",
    "previousId",
    "groupId",
    "messageId",
    "event",
    "name",
    "category",
    "properties",
    "traits",
    "context",
    "integrations",
    "timestamp",
    "originalTimestamp",
    "sentAt",
    "input",
    "email",
    "timezone",
    "total",
    "user\\u0049d",
    "ev\\u0065nt",
    "other",
    "é✓",
];

/// JSON text for one value, with odd spellings: escapes, unicode, numbers as strings and in
/// every form, nesting, whitespace.
fn arb_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| serde_json::json!(f).to_string()),
        prop::sample::select(
            &[
                "-0",
                "0",
                "1e400",
                "-1e-400",
                "1.5E+3",
                "0.1",
                "123456789012345678901",
                "-9223372036854775808",
                "18446744073709551616",
                "\"42\"",
                "\"-1.5\"",
                "01",
                "1.",
                "-",
                "\"\"",
                "\"u1\"",
                "\"track\"",
                "\"identify\"",
                "\"page\"",
                "\"group\"",
                "\"alias\"",
                "\"screen\"",
                "\"2026-01-05T12:00:00Z\"",
                "\"2026-01-05T12:00:00.5Z\"",
                "\"2026-02-30T12:00:00Z\"",
                "\"2026-01-05T12:00:00+01:00\"",
                "\"2026-01-05\"",
                "\"Europe/Paris\"",
                "\"a\\\"b\"",
                "\"\\u00e9\\n\"",
                "\"\\ud83d\\ude00\"",
                "\"é✓\"",
                "\"\u{7f}\"",
                "\"tab\there\"",
            ][..]
        )
        .prop_map(str::to_string),
        ".{0,8}".prop_map(|s| serde_json::Value::String(s).to_string()),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4)
                .prop_map(|items| format!("[{}]", items.join(","))),
            prop::collection::vec((prop::sample::select(KEYS), inner, ws()), 0..5).prop_map(
                |members| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}{w}"))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }
            ),
        ]
    })
}

fn ws() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["", "", "", " ", "\t", " \r\n "][..])
}

/// A message line: mostly the fields of a valid message, some missing, repeated, replaced
/// or oddly written.
fn arb_line() -> impl Strategy<Value = String> {
    let base = prop::sample::subsequence(
        vec![
            ("type", "\"track\""),
            ("type", "\"identify\""),
            ("userId", "\"u1\""),
            ("anonymousId", "\"a1\""),
            ("event", "\"Order Completed\""),
            ("timestamp", "\"2026-01-05T12:00:00Z\""),
            ("properties", "{\"total\":50,\"currency\":\"USD\"}"),
            ("traits", "{\"plan\":\"free\",\"state\":\"CA\"}"),
            (
                "context",
                "{\"traits\":{\"email\":\"e@x\"},\"timezone\":\"Europe/Paris\"}",
            ),
        ],
        0..=9,
    );
    (
        base,
        prop::collection::vec((prop::sample::select(KEYS), arb_value()), 0..4),
        ws(),
        any::<bool>(),
    )
        .prop_map(|(base, extra, w, extra_first)| {
            let mut members: Vec<String> = base
                .into_iter()
                .map(|(k, v)| format!("{w}\"{k}\"{w}:{w}{v}"))
                .collect();
            let extra = extra.into_iter().map(|(k, v)| format!("\"{k}\":{v}{w}"));
            if extra_first {
                let mut all: Vec<String> = extra.collect();
                all.append(&mut members);
                members = all;
            } else {
                members.extend(extra);
            }
            format!("{w}{{{}}}{w}", members.join(","))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The fast reading and serde's agree on every line: the same message or the same error.
    #[test]
    fn fast_and_full_readings_agree(line in arb_line()) {
        let (fast, serde) = both(&line);
        prop_assert_eq!(fast, serde, "{}", line);
    }

    /// The same for a valid line with one byte cut out or one inserted.
    #[test]
    fn fast_and_full_readings_agree_on_damaged_lines(
        line in arb_line(),
        at in any::<prop::sample::Index>(),
        byte in prop::sample::select(&[b'"', b'\\', b',', b'{', b'}', b'[', b':', b'1', b'-', b'.', b'e', b' ', b'n'][..]),
        cut in any::<bool>(),
    ) {
        let mut bytes = line.into_bytes();
        let i = at.index(bytes.len() + 1);
        if cut && i < bytes.len() {
            bytes.remove(i);
        } else {
            bytes.insert(i, byte);
        }
        if let Ok(line) = String::from_utf8(bytes) {
            let (fast, serde) = both(&line);
            prop_assert_eq!(fast, serde, "{}", line);
        }
    }
}
