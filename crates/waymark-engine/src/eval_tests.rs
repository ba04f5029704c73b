//! Unit tests of criteria evaluation (SPEC §4) over real per-user state: criteria compiled
//! from JSON against a catalog, events applied to a profile, evaluated with a `Scope`.

use serde_json::{Map, Value, json};
use smallvec::smallvec;

use super::*;
use crate::catalog::Catalog;
use crate::compile::compile_all;
use crate::event::Event;
use crate::model::{Journey, Op};
use crate::time::parse_instant;

const SEC: Millis = 1_000;
const MIN: Millis = 60 * SEC;
const HOUR: Millis = 60 * MIN;
const DAY: Millis = 24 * HOUR;

/// 2026-01-05T12:00:00Z, the start of every test's story.
fn t0() -> Millis {
    time("2026-01-05T12:00:00Z")
}

fn time(text: &str) -> Millis {
    parse_instant(text).unwrap()
}

fn journey(id: &str, criteria: Option<Value>, inputs: &[&str], steps: Value) -> Journey {
    let mut entry = json!({"id": "entry", "name": "Entry", "steps": steps});
    if let Some(c) = criteria {
        entry["criteria"] = c;
    }
    serde_json::from_value(json!({
        "id": id,
        "name": id,
        "inputs": inputs,
        "entry": entry,
    }))
    .unwrap()
}

/// A catalog, one profile, and the memberships `member_of` reads.
#[derive(Default)]
struct World {
    catalog: Catalog,
    profile: Profile,
    members: Memberships,
}

impl World {
    fn new() -> Self {
        Self::default()
    }

    /// Compiles criteria as the entry criteria of a one-journey model.
    fn crit(&mut self, criteria: Value) -> Crit {
        self.crit_with(criteria, &[], Vec::new())
    }

    /// Compiles criteria as the entry criteria of journey `j` (index 0), selecting `inputs`,
    /// next to `others` (indices 1…).
    fn crit_with(&mut self, criteria: Value, inputs: &[&str], others: Vec<Journey>) -> Crit {
        let mut all = vec![journey("j", Some(criteria), inputs, json!([]))];
        all.extend(others);
        let mut compiled = compile_all(&all, &[], &[], &mut self.catalog).unwrap();
        compiled.journeys.swap_remove(0).entry_criteria.unwrap()
    }

    /// Applies an event; returns its sequence number.
    fn apply(&mut self, event: Event) -> u32 {
        self.profile.apply(&event, &mut self.catalog, event.at);
        self.profile.seq
    }

    fn track(&mut self, name: &str, at: Millis) -> u32 {
        self.apply(track(name, at))
    }

    fn identify(&mut self, at: Millis, traits: Value) -> u32 {
        self.apply(identify(at, traits))
    }

    /// A scope at `now`, outside any journey.
    fn at(&self, now: Millis) -> Scope<'_> {
        Scope {
            now,
            profile: &self.profile,
            attributes: &self.catalog.attributes,
            entry_seq: None,
            step_seq: None,
            members: &self.members,
        }
    }

    /// A scope at `now` for a user who entered with event `entry_seq` and reached the
    /// current step with event `step_seq`.
    fn inside(&self, now: Millis, entry_seq: Option<u32>, step_seq: Option<u32>) -> Scope<'_> {
        Scope {
            entry_seq,
            step_seq,
            ..self.at(now)
        }
    }

    fn holds(&self, c: &Crit, now: Millis) -> bool {
        self.at(now).holds(c)
    }

    fn next(&self, c: &Crit, now: Millis) -> Option<Millis> {
        self.at(now).next_change(c)
    }
}

fn track(name: &str, at: Millis) -> Event {
    Event {
        at,
        name: Some(name.to_string()),
        properties: json!({}),
        context: json!({}),
        ..Event::default()
    }
}

fn with_props(name: &str, at: Millis, properties: Value) -> Event {
    Event {
        properties,
        ..track(name, at)
    }
}

fn with_context(name: &str, at: Millis, context: Value) -> Event {
    Event {
        context,
        ..track(name, at)
    }
}

fn from_input(name: &str, at: Millis, input: &str) -> Event {
    Event {
        input: Some(input.to_string()),
        ..track(name, at)
    }
}

fn identify(at: Millis, traits: Value) -> Event {
    let Value::Object(traits) = traits else {
        panic!("traits must be an object")
    };
    Event {
        at,
        name: None,
        properties: Value::Null,
        context: json!({}),
        traits,
        input: None,
    }
}

fn count_crit(event: &str, op: &str, value: u32) -> Value {
    json!({"event": event, "count": {"op": op, "value": value}})
}

// ---- all / any / not / everyone ------------------------------------------------------

#[test]
fn everyone_and_empty_lists() {
    let mut w = World::new();
    let everyone = w.crit(json!({"everyone": true}));
    let empty_all = w.crit(json!({"all": []}));
    let empty_any = w.crit(json!({"any": []}));
    let nobody = w.crit(json!({"not": {"everyone": true}}));
    assert!(w.holds(&everyone, t0()));
    assert!(w.holds(&empty_all, t0()));
    assert!(!w.holds(&empty_any, t0()));
    assert!(!w.holds(&nobody, t0()));
    for c in [&everyone, &empty_all, &empty_any, &nobody] {
        assert_eq!(w.next(c, t0()), None);
    }
}

#[test]
fn all_any_and_not_combine_their_parts() {
    let mut w = World::new();
    let gold = json!({"trait": "plan", "op": "eq", "value": "gold"});
    let bought = json!({"event": "Order Completed"});
    let both = w.crit(json!({"all": [gold, bought]}));
    let either = w.crit(json!({"any": [gold, bought]}));
    let neither = w.crit(json!({"not": {"any": [gold, bought]}}));
    let gold_not_bought = w.crit(json!({"all": [gold, {"not": bought}]}));
    let now = t0() + HOUR;

    assert!(!w.holds(&both, now));
    assert!(!w.holds(&either, now));
    assert!(w.holds(&neither, now));
    assert!(!w.holds(&gold_not_bought, now));

    w.identify(t0(), json!({"plan": "gold"}));
    assert!(!w.holds(&both, now));
    assert!(w.holds(&either, now));
    assert!(!w.holds(&neither, now));
    assert!(w.holds(&gold_not_bought, now));

    w.track("Order Completed", t0());
    assert!(w.holds(&both, now));
    assert!(w.holds(&either, now));
    assert!(!w.holds(&neither, now));
    assert!(!w.holds(&gold_not_bought, now));
}

#[test]
fn next_change_of_a_combination_is_its_earliest_part() {
    let mut w = World::new();
    let a = json!({"event": "A", "within": "1h"});
    let b = json!({"event": "B", "within": "2h"});
    let gold_for = json!({"trait": "plan", "op": "eq", "value": "gold", "for": "30m"});
    let all = w.crit(json!({"all": [a, b]}));
    let any = w.crit(json!({"any": [b, a]}));
    let not = w.crit(json!({"not": {"all": [b, a]}}));
    let with_trait = w.crit(json!({"any": [a, gold_for]}));
    let now = t0();
    assert_eq!(w.next(&all, now), None);
    w.track("A", now);
    w.track("B", now);
    w.identify(now, json!({"plan": "gold"}));
    assert_eq!(w.next(&all, now), Some(now + HOUR));
    assert_eq!(w.next(&any, now), Some(now + HOUR));
    assert_eq!(w.next(&not, now), Some(now + HOUR));
    assert_eq!(w.next(&with_trait, now), Some(now + 30 * MIN));
    // After A left the window, B's window is next.
    assert_eq!(w.next(&all, now + HOUR), Some(now + 2 * HOUR));
    assert!(!w.holds(&all, now + HOUR));
    assert!(w.holds(&any, now + HOUR));
}

// ---- event: counts -------------------------------------------------------------------

#[test]
fn event_default_count_is_at_least_one() {
    let mut w = World::new();
    let c = w.crit(json!({"event": "Order Completed"}));
    assert!(!w.holds(&c, t0()));
    w.track("Cart Viewed", t0());
    w.identify(t0(), json!({"plan": "gold"}));
    w.track("order completed", t0());
    assert!(
        !w.holds(&c, t0()),
        "other names and case variants do not count"
    );
    w.track("Order Completed", t0());
    assert!(w.holds(&c, t0()));
    // Without `within` an event counts forever.
    assert!(w.holds(&c, t0() + 5000 * DAY));
    assert_eq!(w.next(&c, t0()), None);
}

#[test]
fn every_count_operator() {
    let mut w = World::new();
    let ops = [">=", ">", "=", "<", "<="];
    let crits: Vec<Crit> = ops
        .iter()
        .map(|op| w.crit(count_crit("Login", op, 2)))
        .collect();
    for n in 0..=4u32 {
        if n > 0 {
            w.track("Login", t0() + i64::from(n) * MIN);
        }
        let now = t0() + 10 * MIN;
        let expected = [n >= 2, n > 2, n == 2, n < 2, n <= 2];
        for ((op, c), want) in ops.iter().zip(&crits).zip(expected) {
            assert_eq!(w.holds(c, now), want, "{n} logins, count {op} 2");
        }
    }
}

#[test]
fn count_zero_and_count_operators_with_zero() {
    let mut w = World::new();
    let eq0 = w.crit(count_crit("Login", "=", 0));
    let lte0 = w.crit(count_crit("Login", "<=", 0));
    let lt1 = w.crit(count_crit("Login", "<", 1));
    let gt0 = w.crit(count_crit("Login", ">", 0));
    let gte0 = w.crit(count_crit("Login", ">=", 0));
    for c in [&eq0, &lte0, &lt1, &gte0] {
        assert!(w.holds(c, t0()));
    }
    assert!(!w.holds(&gt0, t0()));
    w.track("Login", t0());
    for c in [&eq0, &lte0, &lt1] {
        assert!(!w.holds(c, t0()));
    }
    assert!(w.holds(&gt0, t0()));
    assert!(w.holds(&gte0, t0()));
}

// ---- event: within -------------------------------------------------------------------

#[test]
fn within_slides_past_an_event() {
    let mut w = World::new();
    let c = w.crit(json!({"event": "Order Completed", "within": "1h"}));
    let t = t0();
    w.track("Order Completed", t);
    assert!(w.holds(&c, t));
    assert_eq!(w.next(&c, t), Some(t + HOUR));
    assert!(w.holds(&c, t + HOUR - 1));
    assert_eq!(w.next(&c, t + HOUR - 1), Some(t + HOUR));
    // `now − within < t`: at exactly t + within the event has left.
    assert!(!w.holds(&c, t + HOUR));
    assert_eq!(w.next(&c, t + HOUR), None);
    assert!(!w.holds(&c, t + 2 * HOUR));
}

#[test]
fn next_change_is_when_the_oldest_counted_event_leaves() {
    let mut w = World::new();
    // Capacity 4: every event below is kept.
    let c = w.crit(json!({"event": "Login", "within": "1h", "count": {"op": ">=", "value": 3}}));
    let t = t0();
    w.track("Login", t);
    w.track("Login", t + 10 * MIN);
    w.track("Login", t + 20 * MIN);
    let now = t + 20 * MIN;
    assert!(w.holds(&c, now));
    assert_eq!(w.next(&c, now), Some(t + HOUR));
    assert!(w.holds(&c, t + HOUR - 1));
    assert!(!w.holds(&c, t + HOUR));
    // The next one to leave is the one at t + 10m.
    assert_eq!(w.next(&c, t + HOUR), Some(t + 10 * MIN + HOUR));
    assert_eq!(w.next(&c, t + 10 * MIN + HOUR), Some(t + 20 * MIN + HOUR));
    assert_eq!(w.next(&c, t + 20 * MIN + HOUR), None);
}

#[test]
fn count_zero_within_a_window() {
    let mut w = World::new();
    let c = w.crit(json!({
        "event": "Order Completed",
        "count": {"op": "=", "value": 0},
        "within": "1d",
    }));
    let t = t0();
    // A user who never ordered.
    assert!(w.holds(&c, t));
    assert_eq!(w.next(&c, t), None);
    w.track("Page Viewed", t);
    assert!(w.holds(&c, t));
    // It stops holding at the moment an order is seen...
    w.track("Order Completed", t);
    assert!(!w.holds(&c, t));
    assert_eq!(w.next(&c, t), Some(t + DAY));
    assert!(!w.holds(&c, t + DAY - 1));
    // ...and holds again once the window has passed it.
    assert!(w.holds(&c, t + DAY));
    assert_eq!(w.next(&c, t + DAY), None);
}

#[test]
fn counter_capacity_keeps_only_the_latest_events_yet_counts_compare_correctly() {
    let mut w = World::new();
    let c = w.crit(json!({"event": "Login", "within": "1h", "count": {"op": ">", "value": 2}}));
    let lte2 = w.crit(json!({"event": "Login", "within": "1h", "count": {"op": "<=", "value": 2}}));
    let Crit::Event { counter, .. } = &c else {
        panic!("an event criterion compiles to Crit::Event")
    };
    let counter = *counter;
    assert_eq!(w.catalog.counters[counter as usize].capacity, 3);
    let t = t0();
    for i in 0..5 {
        w.track("Login", t + i * 10 * MIN);
    }
    let hits: Vec<Millis> = w.profile.hits(counter).iter().map(|h| h.at).collect();
    assert_eq!(
        hits,
        [t + 20 * MIN, t + 30 * MIN, t + 40 * MIN],
        "only the 3 latest"
    );
    let last = t + 40 * MIN;
    assert!(w.holds(&c, last));
    assert!(!w.holds(&lte2, last));
    // Five in the window at t+40m; three still at t+1h20m−1ms (t+20m, t+30m, t+40m).
    assert!(w.holds(&c, t + 80 * MIN - 1));
    assert!(!w.holds(&c, t + 80 * MIN));
    assert!(w.holds(&lte2, t + 80 * MIN));
    assert_eq!(w.next(&c, last), Some(t + 80 * MIN));
}

#[test]
fn a_shared_counter_keeps_enough_for_its_largest_count() {
    let mut w = World::new();
    let at_least_1 = w.crit(json!({"event": "Login", "within": "1h"}));
    let exactly_4 =
        w.crit(json!({"event": "Login", "within": "1h", "count": {"op": "=", "value": 4}}));
    let (Crit::Event { counter: a, .. }, Crit::Event { counter: b, .. }) =
        (&at_least_1, &exactly_4)
    else {
        panic!("event criteria")
    };
    assert_eq!(a, b, "same event, filters and inputs: one counter");
    assert_eq!(w.catalog.counters[*a as usize].capacity, 5);
    let t = t0();
    for i in 0..6 {
        w.track("Login", t + i * MIN);
    }
    assert!(w.holds(&at_least_1, t + 5 * MIN));
    assert!(!w.holds(&exactly_4, t + 5 * MIN), "6 logins is not 4");
    // At t+1h+1m the logins at t and t+1m have left: 4 remain.
    assert!(w.holds(&exactly_4, t + HOUR + MIN));
    assert!(!w.holds(&exactly_4, t + HOUR + 2 * MIN));
}

#[test]
fn late_events_do_not_evict_newer_ones_from_a_counter() {
    let mut w = World::new();
    // Capacity 3.
    let c = w.crit(json!({"event": "Login", "within": "1h", "count": {"op": ">=", "value": 2}}));
    let t = t0();
    w.track("Login", t);
    w.track("Login", t + 10 * MIN);
    // Two logins stamped two hours earlier reach the profile afterwards.
    w.track("Login", t - 2 * HOUR);
    w.track("Login", t - 2 * HOUR);
    // Logins at t and t+10m are both in the last hour.
    assert!(w.holds(&c, t + 15 * MIN));
}

// ---- event: between ------------------------------------------------------------------

#[test]
fn between_counts_events_inside_a_fixed_interval_both_ends_included() {
    let mut w = World::new();
    let between = json!({"from": "2026-01-05T00:00:00Z", "to": "2026-01-06T00:00:00Z"});
    let exactly = |n: u32| json!({"event": "Order Completed", "between": between, "count": {"op": "=", "value": n}});
    let two = w.crit(exactly(2));
    let three = w.crit(exactly(3));
    let from = time("2026-01-05T00:00:00Z");
    let to = time("2026-01-06T00:00:00Z");
    w.track("Order Completed", from - 1);
    w.track("Order Completed", from);
    w.track("Order Completed", to);
    w.track("Order Completed", to + 1);
    let now = to + DAY;
    assert!(w.holds(&two, now));
    assert!(!w.holds(&three, now));
    // A fixed interval does not slide.
    assert_eq!(w.next(&two, now), None);
    assert!(w.holds(&two, now + 1000 * DAY));
}

// ---- event: since --------------------------------------------------------------------

#[test]
fn since_entry_counts_only_events_after_the_one_that_caused_entry() {
    let mut w = World::new();
    let once = w.crit(json!({"event": "Login", "since": "entry"}));
    let twice =
        w.crit(json!({"event": "Login", "since": "entry", "count": {"op": "=", "value": 2}}));
    let all_history = w.crit(count_crit("Login", "=", 4));
    let t = t0();
    w.track("Login", t);
    let entry_seq = w.track("Login", t + MIN); // causes entry
    assert!(
        !w.inside(t + MIN, Some(entry_seq), None).holds(&once),
        "the entry event does not count"
    );
    w.identify(t + 2 * MIN, json!({"plan": "gold"}));
    assert!(!w.inside(t + 2 * MIN, Some(entry_seq), None).holds(&once));
    w.track("Login", t + 3 * MIN);
    assert!(w.inside(t + 3 * MIN, Some(entry_seq), None).holds(&once));
    assert!(!w.inside(t + 3 * MIN, Some(entry_seq), None).holds(&twice));
    w.track("Login", t + 4 * MIN);
    assert!(w.inside(t + 4 * MIN, Some(entry_seq), None).holds(&twice));
    // The history floor applies only to `since`; outside the journey all history counts.
    assert!(
        w.inside(t + 4 * MIN, Some(entry_seq), None)
            .holds(&all_history)
    );
    assert!(w.holds(&all_history, t + 4 * MIN));
    assert!(!w.at(t + 4 * MIN).holds(&twice), "4 in all history");
}

#[test]
fn since_step_counts_after_the_step_was_reached_and_falls_back_to_entry() {
    let mut w = World::new();
    let exactly =
        |n: u32| json!({"event": "Click", "since": "step", "count": {"op": "=", "value": n}});
    let [zero, one, three, five] = [0, 1, 3, 5].map(|n| w.crit(exactly(n)));
    let t = t0();
    w.track("Click", t);
    let entry_seq = w.track("Click", t + MIN); // causes entry
    w.track("Click", t + 2 * MIN);
    let step_seq = w.track("Click", t + 3 * MIN); // reaches the step
    w.track("Click", t + 4 * MIN);
    let now = t + 5 * MIN;
    let scope = |entry, step| w.inside(now, entry, step);
    // Only the click after the one that reached the step.
    assert!(scope(Some(entry_seq), Some(step_seq)).holds(&one));
    assert!(!scope(Some(entry_seq), Some(step_seq)).holds(&zero));
    // No step reached: counts since entry (3 clicks after the entry click).
    assert!(scope(Some(entry_seq), None).holds(&three));
    // Neither: all history.
    assert!(scope(None, None).holds(&five));
    assert!(!scope(None, None).holds(&three));
}

#[test]
fn since_combines_with_within() {
    let mut w = World::new();
    let c = w.crit(json!({"event": "Click", "since": "entry", "within": "1h"}));
    let t = t0();
    let entry_seq = w.track("Click", t);
    w.track("Click", t + 30 * MIN);
    assert!(w.inside(t + 30 * MIN, Some(entry_seq), None).holds(&c));
    // Only the event after entry decides when the value changes.
    assert_eq!(
        w.inside(t + 30 * MIN, Some(entry_seq), None)
            .next_change(&c),
        Some(t + 90 * MIN)
    );
    assert!(w.inside(t + 90 * MIN - 1, Some(entry_seq), None).holds(&c));
    assert!(!w.inside(t + 90 * MIN, Some(entry_seq), None).holds(&c));
}

// ---- event: filters ------------------------------------------------------------------

#[test]
fn filters_on_properties() {
    let mut w = World::new();
    let big = w.crit(json!({
        "event": "Order Completed",
        "where": [
            {"property": "total", "op": "gte", "value": 100},
            {"property": "currency", "op": "eq", "value": "USD"},
        ],
    }));
    let first_sku = w.crit(json!({
        "event": "Order Completed",
        "where": [{"property": "products.0.sku", "op": "starts_with", "value": "SHOE-"}],
    }));
    let no_coupon = w.crit(json!({
        "event": "Order Completed",
        "where": [{"property": "coupon", "op": "not_exists"}],
    }));
    let coupon_not_x = w.crit(json!({
        "event": "Order Completed",
        "where": [{"property": "coupon", "op": "neq", "value": "X"}],
    }));
    let t = t0();
    w.apply(with_props(
        "Order Completed",
        t,
        json!({"total": 99.99, "currency": "USD", "coupon": "X"}),
    ));
    w.apply(with_props(
        "Order Completed",
        t,
        json!({"total": "250", "currency": "usd", "coupon": "X"}),
    ));
    assert!(!w.holds(&big, t), "99.99 < 100; \"usd\" ≠ \"USD\"");
    assert!(!w.holds(&no_coupon, t));
    assert!(!w.holds(&coupon_not_x, t));
    w.apply(with_props(
        "Order Completed",
        t,
        json!({"total": "250", "currency": "USD", "products": [{"sku": "SHOE-1"}]}),
    ));
    assert!(w.holds(&big, t), "a numeric string counts as a number");
    assert!(w.holds(&first_sku, t));
    assert!(w.holds(&no_coupon, t));
    assert!(w.holds(&coupon_not_x, t), "a missing property passes neq");
}

#[test]
fn filters_on_context_paths() {
    let mut w = World::new();
    let checkout = w.crit(json!({
        "event": "Page Viewed",
        "where": [
            {"property": "context.page.path", "op": "starts_with", "value": "/checkout"},
            {"property": "context.locale", "op": "in", "value": ["en-US", "en-GB"]},
        ],
    }));
    let prop_named_context = w.crit(json!({
        "event": "Page Viewed",
        "where": [{"property": "path", "op": "eq", "value": "/checkout"}],
    }));
    let t = t0();
    w.apply(Event {
        properties: json!({"page": {"path": "/checkout/cart"}, "locale": "en-US"}),
        ..track("Page Viewed", t)
    });
    assert!(
        !w.holds(&checkout, t),
        "context.* reads the context, not the properties"
    );
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"page": {"path": "/checkout/cart"}, "locale": "fr-FR"}),
    ));
    assert!(!w.holds(&checkout, t));
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"page": {"path": "/checkout/cart"}, "locale": "en-GB", "path": "/checkout"}),
    ));
    assert!(w.holds(&checkout, t));
    // Paths without `context.` read the properties only.
    assert!(!w.holds(&prop_named_context, t));
}

#[test]
fn journey_inputs_restrict_which_events_count() {
    let mut w = World::new();
    let c = w.crit_with(json!({"event": "Login"}), &["web"], Vec::new());
    let t = t0();
    w.track("Login", t);
    w.apply(from_input("Login", t, "ios"));
    assert!(
        !w.holds(&c, t),
        "events from other or unknown inputs do not count"
    );
    w.apply(from_input("Login", t, "web"));
    assert!(w.holds(&c, t));
}

// ---- trait ---------------------------------------------------------------------------

#[test]
fn trait_comparisons_with_dotted_paths() {
    let mut w = World::new();
    let ny = w.crit(json!({"trait": "address.state", "op": "eq", "value": "NY"}));
    let age = w.crit(json!({"trait": "age", "op": "gte", "value": 21}));
    let tags = w.crit(json!({"trait": "tags", "op": "contains", "value": "vip"}));
    let os = w.crit(json!({"trait": "devices.0.os", "op": "in", "value": ["ios", "android"]}));
    let has_email = w.crit(json!({"trait": "email", "op": "exists"}));
    let no_email = w.crit(json!({"trait": "email", "op": "not_exists"}));
    let domain = w.crit(json!({"trait": "email", "op": "ends_with", "value": "@example.com"}));
    let t = t0();
    for c in [&ny, &age, &tags, &os, &has_email, &domain] {
        assert!(!w.holds(c, t));
    }
    assert!(w.holds(&no_email, t));
    w.identify(
        t,
        json!({
            "address": {"state": "NY", "city": "New York"},
            "age": "30",
            "tags": ["beta", "vip"],
            "devices": [{"os": "ios"}, {"os": "web"}],
            "email": "a@example.com",
        }),
    );
    for c in [&ny, &age, &tags, &os, &has_email, &domain] {
        assert!(w.holds(c, t));
    }
    assert!(!w.holds(&no_email, t));
    assert_eq!(w.next(&ny, t), None, "no `for`: no time dependency");
}

#[test]
fn trait_for_holds_only_after_the_value_was_kept_that_long() {
    let mut w = World::new();
    let c = w.crit(json!({"trait": "plan", "op": "eq", "value": "gold", "for": "1d"}));
    let t = t0();
    assert!(!w.holds(&c, t));
    assert_eq!(w.next(&c, t), None);
    w.identify(t, json!({"plan": "gold"}));
    assert!(!w.holds(&c, t));
    assert_eq!(w.next(&c, t), Some(t + DAY));
    assert!(!w.holds(&c, t + DAY - 1));
    assert!(w.holds(&c, t + DAY));
    assert_eq!(
        w.next(&c, t + DAY),
        None,
        "matured: nothing more to wait for"
    );
    assert!(w.holds(&c, t + 30 * DAY));
}

#[test]
fn trait_for_is_not_restarted_by_the_same_value_sent_again() {
    let mut w = World::new();
    let c = w.crit(json!({"trait": "plan", "op": "eq", "value": "gold", "for": "1d"}));
    let t = t0();
    w.identify(t, json!({"plan": "gold"}));
    w.identify(t + 12 * HOUR, json!({"plan": "gold", "name": "Ann"}));
    assert_eq!(w.next(&c, t + 12 * HOUR), Some(t + DAY));
    assert!(w.holds(&c, t + DAY));
}

#[test]
fn trait_for_is_restarted_by_a_new_value() {
    let mut w = World::new();
    let gold = w.crit(json!({"trait": "plan", "op": "eq", "value": "gold", "for": "1d"}));
    let paid =
        w.crit(json!({"trait": "plan", "op": "in", "value": ["gold", "platinum"], "for": "1d"}));
    let t = t0();
    w.identify(t, json!({"plan": "gold"}));
    w.identify(t + 12 * HOUR, json!({"plan": "silver"}));
    assert!(!w.holds(&gold, t + DAY));
    assert_eq!(
        w.next(&gold, t + 12 * HOUR),
        None,
        "not matching: nothing to wait for"
    );
    w.identify(t + 13 * HOUR, json!({"plan": "gold"}));
    assert_eq!(w.next(&gold, t + 13 * HOUR), Some(t + 13 * HOUR + DAY));
    assert!(!w.holds(&gold, t + 13 * HOUR + DAY - 1));
    assert!(w.holds(&gold, t + 13 * HOUR + DAY));
    // Another value that also satisfies the comparison restarts it too (decisions.md).
    w.identify(t + 2 * DAY, json!({"plan": "platinum"}));
    assert!(!w.holds(&paid, t + 2 * DAY + HOUR));
    assert_eq!(w.next(&paid, t + 2 * DAY), Some(t + 3 * DAY));
    assert!(w.holds(&paid, t + 3 * DAY));
}

#[test]
fn trait_for_reaches_into_objects_by_path() {
    let mut w = World::new();
    let c = w.crit(json!({"trait": "address.state", "op": "eq", "value": "NY", "for": "1h"}));
    let t = t0();
    w.identify(t, json!({"address": {"state": "NY", "city": "A"}}));
    // The object changes, the path's value does not.
    w.identify(
        t + 30 * MIN,
        json!({"address": {"state": "NY", "city": "B"}}),
    );
    assert_eq!(w.next(&c, t + 30 * MIN), Some(t + HOUR));
    assert!(w.holds(&c, t + HOUR));
}

#[test]
fn a_trait_set_to_null_is_removed() {
    let mut w = World::new();
    let eq = w.crit(json!({"trait": "plan", "op": "eq", "value": "gold"}));
    let neq = w.crit(json!({"trait": "plan", "op": "neq", "value": "gold"}));
    let exists = w.crit(json!({"trait": "plan", "op": "exists"}));
    let not_exists = w.crit(json!({"trait": "plan", "op": "not_exists"}));
    let t = t0();
    w.identify(t, json!({"plan": "gold"}));
    assert!(w.holds(&eq, t) && w.holds(&exists, t));
    assert!(!w.holds(&neq, t) && !w.holds(&not_exists, t));
    w.identify(t + MIN, json!({"plan": null}));
    assert!(!w.holds(&eq, t + MIN) && !w.holds(&exists, t + MIN));
    assert!(w.holds(&neq, t + MIN) && w.holds(&not_exists, t + MIN));
}

#[test]
fn trait_for_with_a_negative_op_matures_after_the_trait_was_removed() {
    let mut w = World::new();
    let c = w.crit(json!({"trait": "trial_ends", "op": "not_exists", "for": "1d"}));
    let t = t0();
    w.identify(t, json!({"trial_ends": "2026-02-01"}));
    w.identify(t + HOUR, json!({"trial_ends": null}));
    // Missing continuously from t+1h: the comparison has held for 1 day at t+1h+1d.
    assert!(!w.holds(&c, t + HOUR + DAY - 1));
    assert!(w.holds(&c, t + HOUR + DAY));
}

// ---- attribute -----------------------------------------------------------------------

#[test]
fn attributes_are_always_missing() {
    let mut w = World::new();
    w.identify(t0(), json!({"ltv": 500}));
    w.track("Order Completed", t0());
    for (op, name) in Op::ALL {
        let value = match op {
            Op::In | Op::NotIn | Op::Between => json!([0, 1000]),
            Op::Exists | Op::NotExists => Value::Null,
            _ => json!(500),
        };
        let mut criteria = json!({"attribute": "ltv", "op": name});
        if !value.is_null() {
            criteria["value"] = value;
        }
        let c = w.crit(criteria);
        let expected = matches!(op, Op::Neq | Op::NotIn | Op::NotContains | Op::NotExists);
        assert_eq!(w.holds(&c, t0()), expected, "attribute {name}");
        assert_eq!(w.next(&c, t0()), None);
    }
}

// ---- member_of -----------------------------------------------------------------------

#[test]
fn member_of_reads_the_memberships() {
    let mut w = World::new();
    let other = || {
        journey(
            "other",
            None,
            &[],
            json!([
                {"id": "a", "name": "A", "type": "milestone",
                 "steps": [{"id": "a1", "name": "A1", "type": "send"}]},
                {"id": "b", "name": "B", "type": "milestone"},
            ]),
        )
    };
    let mut crit = |c: Value| w.crit_with(c, &[], vec![other()]);
    let in_a1 = crit(json!({"member_of": {"journey": "other", "step": "a1"}, "is": true}));
    let in_b = crit(json!({"member_of": {"journey": "other", "step": "b"}, "is": true}));
    let not_in_b = crit(json!({"member_of": {"journey": "other", "step": "b"}, "is": false}));
    let in_other = crit(json!({"member_of": {"audience": "other"}, "is": true}));
    let in_other_default = crit(json!({"member_of": {"audience": "other"}}));
    let not_in_other = crit(json!({"member_of": {"audience": "other"}, "is": false}));
    let unknown_journey = crit(json!({"member_of": {"audience": "nope"}, "is": true}));
    let not_unknown_journey = crit(json!({"member_of": {"audience": "nope"}, "is": false}));
    let unknown_step = crit(json!({"member_of": {"journey": "other", "step": "zz"}, "is": true}));
    let not_unknown_step =
        crit(json!({"member_of": {"journey": "other", "step": "zz"}, "is": false}));
    let in_self = crit(json!({"member_of": {"audience": "j"}, "is": true}));

    let t = t0();
    // Not a member of anything.
    assert!(!w.holds(&in_a1, t) && !w.holds(&in_b, t) && !w.holds(&in_other, t));
    assert!(w.holds(&not_in_b, t) && w.holds(&not_in_other, t));
    assert!(!w.holds(&unknown_journey, t) && w.holds(&not_unknown_journey, t));
    assert!(!w.holds(&unknown_step, t) && w.holds(&not_unknown_step, t));

    // In journey `other` (index 1) at step a1 (pre-order: entry 0, a 1, a1 2, b 3).
    w.members = Memberships {
        steps: smallvec![(1, 0), (1, 1), (1, 2)],
        journeys: smallvec![1],
        audiences: smallvec![],
    };
    assert!(w.holds(&in_a1, t));
    assert!(!w.holds(&in_b, t) && w.holds(&not_in_b, t));
    assert!(w.holds(&in_other, t) && w.holds(&in_other_default, t));
    assert!(!w.holds(&not_in_other, t));
    assert!(!w.holds(&in_self, t));
    assert!(!w.holds(&unknown_journey, t) && !w.holds(&unknown_step, t));

    // At b, in journey `j` (index 0) too.
    w.members = Memberships {
        steps: smallvec![(1, 3)],
        journeys: smallvec![0, 1],
        audiences: smallvec![],
    };
    assert!(!w.holds(&in_a1, t));
    assert!(w.holds(&in_b, t) && !w.holds(&not_in_b, t));
    assert!(w.holds(&in_self, t));
    assert_eq!(w.next(&in_b, t), None);
}

// ---- consent -------------------------------------------------------------------------

#[test]
fn consent_from_context_category_preferences() {
    let mut w = World::new();
    let granted = |w: &mut World, p: &str, g: bool| w.crit(json!({"consent": p, "granted": g}));
    let marketing = granted(&mut w, "marketing", true);
    let marketing_no = granted(&mut w, "marketing", false);
    let analytics = granted(&mut w, "analytics", true);
    let analytics_no = granted(&mut w, "analytics", false);
    let ads = granted(&mut w, "advertising", true);
    let ads_no = granted(&mut w, "advertising", false);
    let t = t0();
    // Nothing known: not granted.
    assert!(!w.holds(&marketing, t) && w.holds(&marketing_no, t));
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"consent": {"categoryPreferences": {"marketing": true, "analytics": false}}}),
    ));
    assert!(w.holds(&marketing, t) && !w.holds(&marketing_no, t));
    assert!(!w.holds(&analytics, t) && w.holds(&analytics_no, t));
    // Never mentioned: unknown counts as not granted.
    assert!(!w.holds(&ads, t) && w.holds(&ads_no, t));
    // A later message changes only the purposes it names.
    w.apply(with_context(
        "Page Viewed",
        t + MIN,
        json!({"consent": {"categoryPreferences": {"marketing": false}}}),
    ));
    assert!(!w.holds(&marketing, t + MIN) && w.holds(&marketing_no, t + MIN));
    assert!(w.holds(&analytics_no, t + MIN));
    // Non-boolean values are ignored.
    w.apply(with_context(
        "Page Viewed",
        t + 2 * MIN,
        json!({"consent": {"categoryPreferences": {"marketing": "yes", "advertising": 1}}}),
    ));
    assert!(w.holds(&marketing_no, t + 2 * MIN) && w.holds(&ads_no, t + 2 * MIN));
    assert_eq!(w.next(&marketing, t), None);
}

#[test]
fn consent_from_traits() {
    let mut w = World::new();
    let sms = w.crit(json!({"consent": "sms", "granted": true}));
    let email = w.crit(json!({"consent": "email", "granted": true}));
    let email_no = w.crit(json!({"consent": "email", "granted": false}));
    let push = w.crit(json!({"consent": "push", "granted": false}));
    let t = t0();
    w.identify(t, json!({"consent": {"sms": true, "email": false}}));
    assert!(w.holds(&sms, t));
    assert!(!w.holds(&email, t) && w.holds(&email_no, t));
    assert!(w.holds(&push, t));
    w.identify(t + MIN, json!({"consent.email": true}));
    assert!(w.holds(&email, t + MIN) && !w.holds(&email_no, t + MIN));
    assert!(w.holds(&sms, t + MIN), "other purposes are kept");
    w.identify(t + 2 * MIN, json!({"consent.sms": false}));
    assert!(!w.holds(&sms, t + 2 * MIN));
    // And the context can change what traits set.
    w.apply(with_context(
        "Page Viewed",
        t + 3 * MIN,
        json!({"consent": {"categoryPreferences": {"sms": true}}}),
    ));
    assert!(w.holds(&sms, t + 3 * MIN));
}

// ---- input ---------------------------------------------------------------------------

#[test]
fn input_criteria_need_an_event_from_one_of_the_inputs() {
    let mut w = World::new();
    let mobile = w.crit(json!({"input": ["ios", "android"]}));
    let web = w.crit(json!({"input": ["web"]}));
    let none = w.crit(json!({"input": []}));
    let t = t0();
    assert!(!w.holds(&mobile, t) && !w.holds(&web, t));
    w.track("App Opened", t);
    assert!(!w.holds(&mobile, t), "an event with no input");
    w.apply(Event {
        input: Some("ios".into()),
        ..identify(t, json!({}))
    });
    assert!(w.holds(&mobile, t));
    assert!(!w.holds(&web, t));
    assert!(!w.holds(&none, t));
    w.apply(from_input("Page Viewed", t, "web"));
    assert!(w.holds(&mobile, t) && w.holds(&web, t));
    assert_eq!(w.next(&mobile, t), None);
}

// ---- time zone -----------------------------------------------------------------------

fn zone_name(w: &World, zone: Option<u16>) -> Option<&str> {
    zone.and_then(|z| w.catalog.zones[usize::from(z)].iana_name())
}

#[test]
fn time_zone_from_trait_and_from_context() {
    let mut w = World::new();
    let t = t0();
    assert_eq!(w.profile.zone_from_trait, None);
    assert_eq!(w.profile.zone_from_context, None);
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"timezone": "Europe/Paris"}),
    ));
    assert_eq!(
        zone_name(&w, w.profile.zone_from_context),
        Some("Europe/Paris")
    );
    assert_eq!(w.profile.zone_from_trait, None);
    // The latest context wins; unknown names are ignored.
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"timezone": "Asia/Tokyo"}),
    ));
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"timezone": "Mars/Olympus"}),
    ));
    w.apply(with_context("Page Viewed", t, json!({"locale": "en"})));
    assert_eq!(
        zone_name(&w, w.profile.zone_from_context),
        Some("Asia/Tokyo")
    );
    // The trait is kept apart (and is preferred by the state machine).
    w.identify(t, json!({"timezone": "America/New_York"}));
    assert_eq!(
        zone_name(&w, w.profile.zone_from_trait),
        Some("America/New_York")
    );
    assert_eq!(
        zone_name(&w, w.profile.zone_from_context),
        Some("Asia/Tokyo")
    );
    w.identify(t, json!({"timezone": "Not/AZone"}));
    assert_eq!(
        zone_name(&w, w.profile.zone_from_trait),
        Some("America/New_York")
    );
    w.apply(Event {
        traits: {
            let mut m = Map::new();
            m.insert("timezone".into(), json!("Europe/Paris"));
            m
        },
        ..with_context("Page Viewed", t, json!({"timezone": "UTC"}))
    });
    assert_eq!(
        zone_name(&w, w.profile.zone_from_trait),
        Some("Europe/Paris")
    );
    assert_eq!(zone_name(&w, w.profile.zone_from_context), Some("UTC"));
    // Zones are interned once.
    assert_eq!(w.catalog.zones.len(), 4);
}

#[test]
fn removing_the_timezone_trait_falls_back_to_the_context() {
    let mut w = World::new();
    let t = t0();
    w.apply(with_context(
        "Page Viewed",
        t,
        json!({"timezone": "Europe/Paris"}),
    ));
    w.identify(t, json!({"timezone": "America/New_York"}));
    w.identify(t + MIN, json!({"timezone": null}));
    assert_eq!(w.profile.zone_from_trait, None);
    assert_eq!(
        zone_name(&w, w.profile.zone_from_context),
        Some("Europe/Paris")
    );
}
