//! What a message carries (SPEC §8): the user's email when known and the traits the
//! connection names, so that downstream tools can personalise.

use serde_json::json;

use crate::support::*;

#[test]
fn messages_carry_the_email_and_the_named_traits() {
    let h = Harness::memory();
    let path = h.file_output("out");
    let mut track_conn = connection("c", "out", true, "event");
    track_conn["traits"] = json!(["plan", "address.city", "missing"]);
    let mut identify_conn = connection("i", "out", true, "identify");
    identify_conn["traits"] = json!(["plan"]);
    h.publish(
        journey(
            "j",
            json!({"event": "Signed Up"}),
            vec![track_conn, identify_conn],
            vec![],
        ),
        false,
    );
    h.set_time(T0 + SECOND);
    h.ingest(vec![identify(
        Who::user("u1"),
        json!({"email": "ada@example.com", "plan": "pro", "address": {"city": "Paris"}}),
        T0 + SECOND,
    )]);
    h.track("u1", "Signed Up");
    // Someone the store knows nothing personal about gets the bare message.
    h.track("u2", "Signed Up");
    let lines = h.wait_lines(&path, 4);
    let of = |user: &str, kind: &str| {
        lines
            .iter()
            .find(|l| l["userId"] == user && l["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} for {user}: {lines:?}"))
            .clone()
    };
    let track = of("u1", "track");
    assert_eq!(
        track["context"]["traits"],
        json!({"email": "ada@example.com", "plan": "pro", "address.city": "Paris"}),
        "{track}"
    );
    let ident = of("u1", "identify");
    assert_eq!(ident["traits"]["email"], "ada@example.com", "{ident}");
    assert_eq!(ident["traits"]["plan"], "pro", "{ident}");
    assert!(ident["traits"].get("address.city").is_none(), "{ident}");
    assert!(of("u2", "track")["context"].get("traits").is_none());
    // The outbox keeps ids, not the personal data.
    let stored = h.outbox("out");
    assert!(
        stored
            .iter()
            .all(|r| !r.payload.to_string().contains("ada@example.com")),
        "{stored:?}"
    );
}
