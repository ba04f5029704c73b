//! Unit tests of the comparison rules (SPEC §4 "Comparisons", decisions.md "Comparisons").

use serde_json::{Map, Value, json};

use super::*;

/// `actual op operand` with both present.
fn holds(actual: Value, op: Op, operand: Value) -> bool {
    compare(op, Some(&actual), Some(&operand))
}

/// The operators that hold for a missing or null value.
const HOLD_WHEN_MISSING: [Op; 4] = [Op::Neq, Op::NotIn, Op::NotContains, Op::NotExists];

// ---- numbers -------------------------------------------------------------------------

#[test]
fn numbers_compare_as_numbers() {
    assert!(holds(json!(5), Op::Eq, json!(5)));
    assert!(holds(json!(5), Op::Eq, json!(5.0)));
    assert!(!holds(json!(5), Op::Eq, json!(6)));
    assert!(holds(json!(5), Op::Neq, json!(6)));
    assert!(!holds(json!(5), Op::Neq, json!(5.0)));
    assert!(holds(json!(10), Op::Gt, json!(9)));
    assert!(!holds(json!(9), Op::Gt, json!(9)));
    assert!(holds(json!(9), Op::Gte, json!(9)));
    assert!(!holds(json!(8.5), Op::Gte, json!(9)));
    assert!(holds(json!(-1), Op::Lt, json!(0)));
    assert!(!holds(json!(0), Op::Lt, json!(0)));
    assert!(holds(json!(0), Op::Lte, json!(0)));
    assert!(!holds(json!(0.001), Op::Lte, json!(0)));
    // Numbers compare numerically, not as text: 10 > 9 although "10" < "9" by bytes.
    assert!(holds(json!(10), Op::Gt, json!(9.99)));
    assert!(holds(json!(1e3), Op::Eq, json!(1000)));
}

#[test]
fn numeric_strings_count_as_numbers_against_numbers() {
    assert!(holds(json!("55"), Op::Gte, json!(50)));
    assert!(holds(json!("55"), Op::Gt, json!(50)));
    assert!(!holds(json!("45"), Op::Gte, json!(50)));
    assert!(holds(json!("45"), Op::Lt, json!(50)));
    assert!(holds(json!("50"), Op::Lte, json!(50)));
    assert!(holds(json!("50"), Op::Eq, json!(50)));
    assert!(holds(json!("50.0"), Op::Eq, json!(50)));
    assert!(!holds(json!("50"), Op::Neq, json!(50)));
    // The number may be on either side.
    assert!(holds(json!(55), Op::Gte, json!("50")));
    assert!(holds(json!(55), Op::Eq, json!("55")));
    assert!(holds(json!("-2.5"), Op::Lt, json!(0)));
}

#[test]
fn non_numeric_strings_never_order_against_numbers() {
    for op in [Op::Eq, Op::Gt, Op::Gte, Op::Lt, Op::Lte, Op::Between] {
        let operand = if op == Op::Between {
            json!([0, 10])
        } else {
            json!(5)
        };
        assert!(!holds(json!("abc"), op, operand), "\"abc\" {op:?} 5");
    }
    assert!(holds(json!("abc"), Op::Neq, json!(5)));
    assert!(!holds(json!(5), Op::Gt, json!("abc")));
    // Not-a-number texts that Rust would parse are still not numbers.
    assert!(!holds(json!("NaN"), Op::Eq, json!(5)));
    assert!(!holds(json!("inf"), Op::Gt, json!(5)));
    assert!(!holds(json!(""), Op::Lt, json!(5)));
}

// ---- strings -------------------------------------------------------------------------

#[test]
fn strings_compare_case_sensitively_by_bytes() {
    assert!(holds(json!("gold"), Op::Eq, json!("gold")));
    assert!(!holds(json!("Gold"), Op::Eq, json!("gold")));
    assert!(holds(json!("Gold"), Op::Neq, json!("gold")));
    // 'B' (0x42) < 'a' (0x61): byte order, not alphabetical ignoring case.
    assert!(holds(json!("B"), Op::Lt, json!("a")));
    assert!(holds(json!("apple"), Op::Lt, json!("banana")));
    assert!(holds(json!("banana"), Op::Gt, json!("apple")));
    assert!(holds(json!("abc"), Op::Gte, json!("abc")));
    assert!(holds(json!("abc"), Op::Lte, json!("abd")));
    assert!(holds(json!("ab"), Op::Lt, json!("abc")));
    // Two numeric strings are two strings: compared by bytes.
    assert!(holds(json!("10"), Op::Lt, json!("9")));
    // Non-ASCII: UTF-8 byte order ('é' = C3 A9 > 'z' = 7A).
    assert!(holds(json!("é"), Op::Gt, json!("z")));
}

#[test]
fn contains_starts_with_ends_with_on_strings() {
    assert!(holds(json!("premium gold"), Op::Contains, json!("gold")));
    assert!(!holds(json!("premium gold"), Op::Contains, json!("Gold")));
    assert!(holds(json!("premium gold"), Op::NotContains, json!("Gold")));
    assert!(!holds(
        json!("premium gold"),
        Op::NotContains,
        json!("mium")
    ));
    assert!(holds(json!("abc"), Op::Contains, json!("")));
    assert!(holds(
        json!("/checkout/cart"),
        Op::StartsWith,
        json!("/checkout")
    ));
    assert!(!holds(
        json!("/checkout/cart"),
        Op::StartsWith,
        json!("/Checkout")
    ));
    assert!(!holds(
        json!("/checkout/cart"),
        Op::StartsWith,
        json!("cart")
    ));
    assert!(holds(
        json!("user@example.com"),
        Op::EndsWith,
        json!("@example.com")
    ));
    assert!(!holds(
        json!("user@example.com"),
        Op::EndsWith,
        json!("@EXAMPLE.com")
    ));
    assert!(!holds(
        json!("user@example.com"),
        Op::EndsWith,
        json!("user")
    ));
}

#[test]
fn starts_with_and_ends_with_need_string_operands() {
    assert!(!holds(json!("abc"), Op::StartsWith, json!(1)));
    assert!(!holds(json!("abc"), Op::EndsWith, json!(["c"])));
    assert!(!holds(json!(true), Op::StartsWith, json!("t")));
}

// ---- times ---------------------------------------------------------------------------

#[test]
fn iso_times_compare_as_instants() {
    let noon_z = json!("2026-01-05T12:00:00Z");
    let noon_paris = json!("2026-01-05T13:00:00+01:00");
    let noon_ny = json!("2026-01-05T07:00:00.000-05:00");
    // Same instant, different offsets: equal, although the texts differ.
    assert!(holds(noon_z.clone(), Op::Eq, noon_paris.clone()));
    assert!(holds(noon_paris.clone(), Op::Eq, noon_ny.clone()));
    assert!(!holds(noon_z.clone(), Op::Neq, noon_ny.clone()));
    assert!(holds(noon_z.clone(), Op::Gte, noon_paris.clone()));
    assert!(holds(noon_z.clone(), Op::Lte, noon_paris.clone()));
    assert!(!holds(noon_z.clone(), Op::Gt, noon_paris.clone()));
    // By text "2026-01-05T12:30:00+02:00" > "2026-01-05T12:00:00Z", but as an instant
    // (10:30Z) it is earlier.
    let earlier = json!("2026-01-05T12:30:00+02:00");
    assert!(holds(earlier.clone(), Op::Lt, noon_z.clone()));
    assert!(!holds(earlier.clone(), Op::Gt, noon_z.clone()));
    // Fractions of a second count.
    assert!(holds(
        json!("2026-01-05T12:00:00.001Z"),
        Op::Gt,
        noon_z.clone()
    ));
}

#[test]
fn date_only_strings_are_midnight_utc() {
    assert!(holds(
        json!("2026-01-05"),
        Op::Eq,
        json!("2026-01-05T00:00:00Z")
    ));
    assert!(holds(
        json!("2026-01-05"),
        Op::Eq,
        json!("2026-01-05T01:00:00+01:00")
    ));
    assert!(holds(
        json!("2026-01-05"),
        Op::Lt,
        json!("2026-01-05T00:00:01Z")
    ));
    assert!(holds(
        json!("2026-01-06"),
        Op::Gt,
        json!("2026-01-05T23:59:59Z")
    ));
    assert!(holds(
        json!("2026-03-10T08:00:00Z"),
        Op::Between,
        json!(["2026-03-10", "2026-03-11"])
    ));
    assert!(!holds(
        json!("2026-03-11T00:00:01Z"),
        Op::Between,
        json!(["2026-03-10", "2026-03-11"])
    ));
}

#[test]
fn a_time_against_a_non_time_string_compares_as_text() {
    // Only one side parses as a time: plain byte order.
    assert!(holds(json!("2026-01-05T12:00:00Z"), Op::Lt, json!("a")));
    assert!(!holds(
        json!("2026-01-05T12:00:00Z"),
        Op::Eq,
        json!("2026-01-05 noon")
    ));
    assert!(holds(
        json!("2026-01-05T12:00:00Z"),
        Op::StartsWith,
        json!("2026-01")
    ));
}

// ---- booleans ------------------------------------------------------------------------

#[test]
fn booleans() {
    assert!(holds(json!(true), Op::Eq, json!(true)));
    assert!(!holds(json!(true), Op::Eq, json!(false)));
    assert!(holds(json!(false), Op::Neq, json!(true)));
    assert!(holds(json!(true), Op::In, json!([true])));
    assert!(holds(json!(false), Op::NotIn, json!([true])));
    assert!(holds(json!(false), Op::Exists, Value::Null));
    assert!(!holds(json!(false), Op::NotExists, Value::Null));
    // A boolean is not the string "true" nor the number 1.
    assert!(!holds(json!(true), Op::Eq, json!("true")));
    assert!(!holds(json!(true), Op::Eq, json!(1)));
    assert!(!holds(json!(true), Op::Gt, json!(0)));
    assert!(!holds(json!(true), Op::Contains, json!("t")));
}

// ---- arrays --------------------------------------------------------------------------

#[test]
fn eq_against_an_array_value_matches_any_element() {
    let tags = json!(["vip", "beta", 42]);
    assert!(holds(tags.clone(), Op::Eq, json!("beta")));
    assert!(holds(tags.clone(), Op::Eq, json!(42)));
    assert!(holds(tags.clone(), Op::Eq, json!("42")));
    assert!(!holds(tags.clone(), Op::Eq, json!("Beta")));
    assert!(!holds(tags.clone(), Op::Neq, json!("vip")));
    assert!(holds(tags.clone(), Op::Neq, json!("gold")));
    // An array operand: whole-array equality.
    assert!(holds(json!(["a", "b"]), Op::Eq, json!(["a", "b"])));
    assert!(!holds(json!(["a", "b"]), Op::Eq, json!(["b", "a"])));
    assert!(!holds(json!([]), Op::Eq, json!("a")));
}

#[test]
fn contains_on_an_array_value_means_element() {
    let tags = json!(["vip", "beta", 42]);
    assert!(holds(tags.clone(), Op::Contains, json!("vip")));
    assert!(holds(tags.clone(), Op::Contains, json!(42)));
    assert!(holds(tags.clone(), Op::Contains, json!("42")));
    // Element, not substring of an element.
    assert!(!holds(tags.clone(), Op::Contains, json!("vi")));
    assert!(holds(tags.clone(), Op::NotContains, json!("vi")));
    assert!(!holds(tags.clone(), Op::NotContains, json!("beta")));
    assert!(holds(json!([]), Op::NotContains, json!("x")));
    // A number does not "contain" anything.
    assert!(!holds(json!(123), Op::Contains, json!("2")));
    assert!(!holds(json!(123), Op::Contains, json!(2)));
}

#[test]
fn arrays_do_not_order() {
    for op in [Op::Gt, Op::Gte, Op::Lt, Op::Lte] {
        assert!(!holds(json!([1, 2]), op, json!(0)), "{op:?}");
    }
    assert!(!holds(json!([5]), Op::Between, json!([0, 10])));
    assert!(!holds(json!(["abc"]), Op::StartsWith, json!("a")));
}

// ---- in / not_in ---------------------------------------------------------------------

#[test]
fn in_and_not_in_with_an_array_operand() {
    let plans = json!(["gold", "platinum"]);
    assert!(holds(json!("gold"), Op::In, plans.clone()));
    assert!(!holds(json!("silver"), Op::In, plans.clone()));
    assert!(!holds(json!("Gold"), Op::In, plans.clone()));
    assert!(holds(json!("silver"), Op::NotIn, plans.clone()));
    assert!(!holds(json!("platinum"), Op::NotIn, plans.clone()));
    // Numbers and numeric strings match each other.
    assert!(holds(json!("3"), Op::In, json!([1, 2, 3])));
    assert!(holds(json!(3), Op::In, json!(["3"])));
    assert!(holds(json!(3.0), Op::In, json!([3])));
    // Times match as instants.
    assert!(holds(
        json!("2026-01-05T12:00:00Z"),
        Op::In,
        json!(["2026-01-05T13:00:00+01:00"])
    ));
    // Empty list: nothing is in it.
    assert!(!holds(json!("gold"), Op::In, json!([])));
    assert!(holds(json!("gold"), Op::NotIn, json!([])));
}

#[test]
fn in_with_a_single_value_operand_works_as_a_one_element_list() {
    assert!(holds(json!("gold"), Op::In, json!("gold")));
    assert!(!holds(json!("gold"), Op::In, json!("silver")));
    assert!(holds(json!("gold"), Op::NotIn, json!("silver")));
    assert!(!holds(json!("gold"), Op::NotIn, json!("gold")));
    assert!(holds(json!(7), Op::In, json!(7)));
    assert!(holds(json!("7"), Op::In, json!(7)));
}

#[test]
fn in_with_an_array_value_matches_when_any_element_is_listed() {
    assert!(holds(json!(["a", "b"]), Op::In, json!(["b", "c"])));
    assert!(!holds(json!(["a", "b"]), Op::In, json!(["c"])));
}

// ---- exists / not_exists -------------------------------------------------------------

#[test]
fn exists_and_not_exists_ignore_the_operand() {
    for v in [json!(0), json!(""), json!(false), json!([]), json!({})] {
        assert!(compare(Op::Exists, Some(&v), None), "{v} exists");
        assert!(!compare(Op::NotExists, Some(&v), None), "{v} exists");
        assert!(compare(Op::Exists, Some(&v), Some(&json!("ignored"))));
    }
    assert!(!compare(Op::Exists, None, None));
    assert!(compare(Op::NotExists, None, None));
    assert!(!compare(Op::Exists, Some(&Value::Null), None));
    assert!(compare(Op::NotExists, Some(&Value::Null), None));
}

// ---- between -------------------------------------------------------------------------

#[test]
fn between_is_inclusive_at_both_ends() {
    let range = json!([10, 20]);
    assert!(holds(json!(10), Op::Between, range.clone()));
    assert!(holds(json!(15), Op::Between, range.clone()));
    assert!(holds(json!(20), Op::Between, range.clone()));
    assert!(!holds(json!(9.999), Op::Between, range.clone()));
    assert!(!holds(json!(20.001), Op::Between, range.clone()));
    assert!(holds(json!("20"), Op::Between, range.clone()));
    assert!(holds(json!(15), Op::Between, json!(["10", "20"])));
    // Strings by bytes.
    assert!(holds(json!("m"), Op::Between, json!(["a", "z"])));
    assert!(holds(json!("a"), Op::Between, json!(["a", "z"])));
    assert!(!holds(json!("Z"), Op::Between, json!(["a", "z"])));
    // Reversed bounds hold nothing.
    assert!(!holds(json!(15), Op::Between, json!([20, 10])));
}

#[test]
fn between_needs_exactly_two_bounds() {
    for bad in [
        json!([]),
        json!([10]),
        json!([10, 20, 30]),
        json!(15),
        json!("10..20"),
    ] {
        assert!(!holds(json!(15), Op::Between, bad.clone()), "between {bad}");
    }
    assert!(!compare(Op::Between, Some(&json!(15)), None));
}

// ---- missing and null values ---------------------------------------------------------

#[test]
fn a_missing_or_null_value_fails_every_op_but_the_negative_ones() {
    let operands = [
        Some(json!("x")),
        Some(json!(5)),
        Some(json!(["x", "y"])),
        Some(json!([1, 2])),
        Some(Value::Null),
        None,
    ];
    for (op, name) in Op::ALL {
        let expected = HOLD_WHEN_MISSING.contains(&op);
        for operand in &operands {
            assert_eq!(
                compare(op, None, operand.as_ref()),
                expected,
                "missing {name} {operand:?}"
            );
            assert_eq!(
                compare(op, Some(&Value::Null), operand.as_ref()),
                expected,
                "null {name} {operand:?}"
            );
        }
    }
}

#[test]
fn a_null_operand_equals_nothing_present() {
    assert!(!holds(json!("x"), Op::Eq, Value::Null));
    assert!(holds(json!("x"), Op::Neq, Value::Null));
    assert!(!holds(json!(0), Op::Eq, Value::Null));
    assert!(!holds(json!(0), Op::Gte, Value::Null));
}

// ---- operand missing -----------------------------------------------------------------

#[test]
fn a_missing_operand_fails_positive_ops_on_a_present_value() {
    let actual = json!("gold");
    for op in [
        Op::Eq,
        Op::Gt,
        Op::Gte,
        Op::Lt,
        Op::Lte,
        Op::Contains,
        Op::StartsWith,
        Op::EndsWith,
        Op::In,
        Op::Between,
    ] {
        assert!(!compare(op, Some(&actual), None), "{op:?} without operand");
        assert!(
            !compare(op, Some(&json!(5)), None),
            "5 {op:?} without operand"
        );
    }
    // Their negations hold; exists needs no operand.
    for op in [Op::Neq, Op::NotContains, Op::NotIn, Op::Exists] {
        assert!(compare(op, Some(&actual), None), "{op:?} without operand");
    }
    assert!(!compare(Op::NotExists, Some(&actual), None));
}

// ---- every operator at once ----------------------------------------------------------

#[test]
fn every_op_has_a_holding_and_a_failing_case() {
    let cases: [(Op, Value, Value, Value); 15] = [
        (Op::Eq, json!("a"), json!("a"), json!("b")),
        (Op::Neq, json!("a"), json!("b"), json!("a")),
        (Op::Gt, json!(2), json!(1), json!(2)),
        (Op::Gte, json!(2), json!(2), json!(3)),
        (Op::Lt, json!(1), json!(2), json!(1)),
        (Op::Lte, json!(1), json!(1), json!(0)),
        (Op::Contains, json!("abc"), json!("b"), json!("d")),
        (Op::NotContains, json!("abc"), json!("d"), json!("b")),
        (Op::StartsWith, json!("abc"), json!("ab"), json!("bc")),
        (Op::EndsWith, json!("abc"), json!("bc"), json!("ab")),
        (Op::In, json!("a"), json!(["a", "b"]), json!(["c"])),
        (Op::NotIn, json!("a"), json!(["c"]), json!(["a", "b"])),
        (Op::Exists, json!("a"), Value::Null, Value::Null),
        (Op::NotExists, Value::Null, Value::Null, Value::Null),
        (Op::Between, json!(5), json!([1, 5]), json!([6, 9])),
    ];
    let cases_ops: Vec<Op> = cases.iter().map(|c| c.0).collect();
    for (op, actual, passing, failing) in cases {
        assert!(
            holds(actual.clone(), op, passing.clone()),
            "{actual} {op:?} {passing}"
        );
        if !matches!(op, Op::Exists | Op::NotExists) {
            assert!(
                !holds(actual.clone(), op, failing.clone()),
                "{actual} {op:?} {failing}"
            );
        }
    }
    // The table above names every operator.
    for (op, name) in Op::ALL {
        assert!(cases_ops.contains(&op), "no case for {name}");
    }
}

// ---- lookup / lookup_in --------------------------------------------------------------

#[test]
fn lookup_follows_dotted_paths_through_objects() {
    let root = json!({"address": {"state": "NY", "geo": {"lat": 40.7}}, "plan": "gold"});
    assert_eq!(lookup(&root, "plan"), Some(&json!("gold")));
    assert_eq!(lookup(&root, "address.state"), Some(&json!("NY")));
    assert_eq!(lookup(&root, "address.geo.lat"), Some(&json!(40.7)));
    assert_eq!(
        lookup(&root, "address"),
        Some(&json!({"state": "NY", "geo": {"lat": 40.7}}))
    );
    assert_eq!(lookup(&root, "address.city"), None);
    assert_eq!(lookup(&root, "plan.name"), None);
    assert_eq!(lookup(&root, "nope.state"), None);
    assert_eq!(lookup(&json!("scalar"), "a"), None);
    assert_eq!(lookup(&Value::Null, "a"), None);
}

#[test]
fn lookup_indexes_arrays_by_number() {
    let root = json!({"products": [{"sku": "A1"}, {"sku": "B2", "tags": ["x", "y"]}]});
    assert_eq!(lookup(&root, "products.0.sku"), Some(&json!("A1")));
    assert_eq!(lookup(&root, "products.1.tags.1"), Some(&json!("y")));
    assert_eq!(lookup(&root, "products.2.sku"), None);
    assert_eq!(lookup(&root, "products.first.sku"), None);
    assert_eq!(lookup(&root, "products.-1.sku"), None);
    assert_eq!(lookup(&json!(["a", "b"]), "1"), Some(&json!("b")));
}

#[test]
fn lookup_prefers_a_literal_key_containing_a_dot() {
    let root = json!({"consent.marketing": true, "consent": {"marketing": false}});
    assert_eq!(lookup(&root, "consent.marketing"), Some(&json!(true)));
    let only_literal = json!({"a.b": 1});
    assert_eq!(lookup(&only_literal, "a.b"), Some(&json!(1)));
    assert_eq!(lookup(&only_literal, "a"), None);
    let only_nested = json!({"a": {"b": 2}});
    assert_eq!(lookup(&only_nested, "a.b"), Some(&json!(2)));
}

#[test]
fn lookup_in_reads_the_first_key_as_a_field() {
    let Value::Object(map) = json!({
        "address": {"state": "NY"},
        "items": [10, 20],
        "consent.sms": false,
        "plan": "gold",
    }) else {
        unreachable!()
    };
    assert_eq!(lookup_in(&map, "plan"), Some(&json!("gold")));
    assert_eq!(lookup_in(&map, "address.state"), Some(&json!("NY")));
    assert_eq!(lookup_in(&map, "items.1"), Some(&json!(20)));
    assert_eq!(lookup_in(&map, "consent.sms"), Some(&json!(false)));
    assert_eq!(lookup_in(&map, "address.city"), None);
    assert_eq!(lookup_in(&map, "missing"), None);
    assert_eq!(lookup_in(&map, "missing.x"), None);
    assert_eq!(lookup_in(&Map::new(), "a.b"), None);
}

#[test]
fn compare_on_looked_up_values() {
    let event = json!({"order": {"total": "120.50", "items": ["sku-1", "sku-2"]}});
    assert!(compare(
        Op::Gt,
        lookup(&event, "order.total"),
        Some(&json!(100))
    ));
    assert!(compare(
        Op::Contains,
        lookup(&event, "order.items"),
        Some(&json!("sku-2"))
    ));
    assert!(compare(
        Op::Eq,
        lookup(&event, "order.items.0"),
        Some(&json!("sku-1"))
    ));
    assert!(compare(Op::NotExists, lookup(&event, "order.coupon"), None));
    assert!(compare(
        Op::Neq,
        lookup(&event, "order.coupon"),
        Some(&json!("X"))
    ));
    assert!(!compare(
        Op::Eq,
        lookup(&event, "order.coupon"),
        Some(&json!("X"))
    ));
}
