//! Delivery figures (SPEC §11): a journey's statistics count only its own deliveries, per
//! connection and per output, even when another journey shares the output; a list output
//! shows what it holds as delivered.

use serde_json::{Value, json};

use crate::support::*;

fn entry(id: &str, connections: Vec<Value>) -> Value {
    journey(id, json!({"event": "Signed Up"}), connections, vec![])
}

#[test]
fn stats_count_only_the_journeys_own_deliveries() {
    let h = Harness::memory();
    h.file_output("out");
    h.list_output("members");
    h.publish(
        entry(
            "a",
            vec![
                connection("ca", "out", true, "event"),
                connection("la", "members", true, "list"),
            ],
        ),
        false,
    );
    h.publish(
        entry("b", vec![connection("cb", "out", true, "event")]),
        false,
    );
    h.set_time(T0 + SECOND);
    h.track("u1", "Signed Up");
    h.track("u2", "Signed Up");
    h.wait_delivered("out", 4);
    h.wait_for("two members", || h.members("members"), |m| m.len() == 2);

    let (own, _) = h.connection_deliveries("a", "ca");
    assert_eq!(
        (own.get("delivered"), own.get("pending")),
        (Some(&2), Some(&0)),
        "{own:?}"
    );
    let by_output = h.journey_stats("a").deliveries.by_output();
    assert_eq!(by_output["out"]["delivered"], 2, "{by_output:?}");
    let (list, _) = h.connection_deliveries("a", "la");
    assert_eq!(list["delivered"], 2, "{list:?}");
    assert_eq!(by_output["members"]["delivered"], 2, "{by_output:?}");
    let (b, _) = h.connection_deliveries("b", "cb");
    assert_eq!(b["delivered"], 2, "{b:?}");
    // The output itself counts everyone's.
    let out = h.runtime.output(&ACCOUNT, "out").unwrap().deliveries;
    assert_eq!(out["delivered"], 4, "{out:?}");
    let list = h.runtime.output(&ACCOUNT, "members").unwrap().deliveries;
    assert_eq!(list["delivered"], 2, "{list:?}");
}
