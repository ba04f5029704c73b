//! Delivery figures (SPEC §11): a journey's statistics count only its own deliveries, per
//! connection and per output, even when another journey shares the output; a list output
//! shows what it holds as delivered.

use serde_json::{Value, json};

use crate::support::*;

fn entry(id: &str, connections: Vec<Value>) -> Value {
    journey(id, json!({"event": "Signed Up"}), connections, vec![])
}

fn connection_deliveries(stats: &Value, connection: &str) -> Value {
    version_stats(stats, 1)["steps"][0]["connections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == connection)
        .unwrap()["deliveries"]
        .clone()
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

    let stats = h.stats("a");
    let own = connection_deliveries(&stats, "ca");
    assert_eq!(
        (own["delivered"].as_u64(), own["pending"].as_u64()),
        (Some(2), Some(0)),
        "{stats:#}"
    );
    assert_eq!(
        stats["deliveries_by_output"]["out"]["delivered"], 2,
        "{stats:#}"
    );
    assert_eq!(
        connection_deliveries(&stats, "la")["delivered"],
        2,
        "{stats:#}"
    );
    assert_eq!(
        stats["deliveries_by_output"]["members"]["delivered"], 2,
        "{stats:#}"
    );
    let b = h.stats("b");
    assert_eq!(connection_deliveries(&b, "cb")["delivered"], 2, "{b:#}");
    // The output itself counts everyone's.
    let out = h.runtime.output(&ACCOUNT, "out").unwrap().deliveries;
    assert_eq!(out["delivered"], 4, "{out:?}");
    let list = h.runtime.output(&ACCOUNT, "members").unwrap().deliveries;
    assert_eq!(list["delivered"], 2, "{list:?}");
}
