use serde_json::{Value, json};
use waymark_engine::{Event, Identity, Message, MessageKind};

use super::*;

fn message(kind: MessageKind, at: Millis, traits: Value, context: Value) -> Message {
    Message {
        timestamp_adjusted: false,
        message_id: None,
        kind,
        identity: Identity {
            user_id: Some("u".into()),
            ..Identity::default()
        },
        event: Event {
            at,
            name: None,
            properties: Value::Null,
            context,
            traits: match traits {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            input: None,
        },
        received_at: at,
    }
}

fn identify(at: Millis, traits: Value) -> Message {
    message(MessageKind::Identify, at, traits, json!({}))
}

fn applied(messages: &[Message]) -> Profile {
    let mut profile = new_profile(1, "ws");
    for m in messages {
        apply_message(&mut profile, m);
    }
    profile
}

#[test]
fn traits_merge_by_key_and_the_latest_event_time_wins() {
    let p = applied(&[
        identify(100, json!({"plan": "pro", "age": 30})),
        identify(50, json!({"plan": "free", "city": "Oslo"})),
    ]);
    assert_eq!(p.traits["plan"], "pro");
    assert_eq!(p.traits["age"], 30);
    assert_eq!(p.traits["city"], "Oslo");
    assert_eq!(p.trait_times["plan"].written, 100);
    assert_eq!(p.trait_times["city"].written, 50);
    assert_eq!((p.first_seen, p.last_seen, p.event_count), (50, 100, 2));
}

#[test]
fn since_moves_only_when_the_value_changes() {
    let p = applied(&[
        identify(10, json!({"plan": "pro"})),
        identify(20, json!({"plan": "pro"})),
    ]);
    assert_eq!(
        p.trait_times["plan"],
        TraitTimes {
            since: 10,
            written: 20
        }
    );
    let p = applied(&[
        identify(10, json!({"plan": "pro"})),
        identify(20, json!({"plan": "free"})),
    ]);
    assert_eq!(
        p.trait_times["plan"],
        TraitTimes {
            since: 20,
            written: 20
        }
    );
}

#[test]
fn null_removes_a_trait_and_keeps_its_times() {
    let p = applied(&[
        identify(10, json!({"plan": "pro"})),
        identify(20, json!({"plan": null})),
        identify(15, json!({"plan": "free"})),
    ]);
    assert!(!p.traits.contains_key("plan"));
    assert_eq!(
        p.trait_times["plan"],
        TraitTimes {
            since: 20,
            written: 20
        }
    );
    let p = applied(&[identify(5, json!({"gone": null}))]);
    assert!(!p.traits.contains_key("gone"));
    assert_eq!(p.trait_times["gone"].written, 5);
}

#[test]
fn an_equal_event_time_applies_in_arrival_order() {
    let p = applied(&[identify(10, json!({"a": 1})), identify(10, json!({"a": 2}))]);
    assert_eq!(p.traits["a"], 2);
}

#[test]
fn consent_comes_three_ways_latest_event_time_wins() {
    let p = applied(&[
        message(
            MessageKind::Track,
            10,
            json!({}),
            json!({"consent": {"categoryPreferences": {"ads": true, "email": false, "bad": "yes"}}}),
        ),
        identify(20, json!({"consent": {"email": true}})),
        identify(30, json!({"consent.sms": true, "consent.ads": false})),
        identify(25, json!({"consent.ads": true})),
    ]);
    assert_eq!(p.consent.get("ads"), Some(&false));
    assert_eq!(p.consent.get("email"), Some(&true));
    assert_eq!(p.consent.get("sms"), Some(&true));
    assert_eq!(p.consent.get("bad"), None);
    assert_eq!(p.consent_written["ads"], 30);
}

#[test]
fn email_trait_and_other_identities_become_identities() {
    let mut m = identify(10, json!({"email": "a@b.c"}));
    m.identity.others = vec![("customer_id".into(), "c-1".into())];
    let p = applied(&[m, identify(20, json!({"email": null}))]);
    assert_eq!(
        p.identities.get("customer_id").map(String::as_str),
        Some("c-1")
    );
    assert_eq!(p.identities.get("email"), None);
    let p = applied(&[identify(10, json!({"email": "a@b.c"}))]);
    assert_eq!(p.identities["email"], "a@b.c");
}

#[test]
fn merging_unions_identifiers_and_keeps_the_latest_writes() {
    let mut a = applied(&[identify(
        10,
        json!({"plan": "pro", "x": 1, "consent.ads": true}),
    )]);
    a.user_id = Some("u".into());
    a.anonymous_ids = vec!["a1".into()];
    a.identities.insert("email".into(), "a@x".into());
    a.merged_from = vec![7];
    let mut b = applied(&[
        identify(5, json!({"plan": "free", "y": 2})),
        identify(
            20,
            json!({"x": 1, "consent.ads": false, "consent.sms": true}),
        ),
    ]);
    b.id = 2;
    b.anonymous_ids = vec!["a2".into(), "a1".into()];
    b.identities.insert("email".into(), "b@x".into());
    b.identities.insert("mpid".into(), "9".into());
    b.merged_from = vec![8];
    merge_profiles(&mut a, b);
    assert_eq!(a.user_id.as_deref(), Some("u"));
    assert_eq!(a.anonymous_ids, vec!["a1".to_string(), "a2".to_string()]);
    assert_eq!(a.identities["email"], "a@x");
    assert_eq!(a.identities["mpid"], "9");
    assert_eq!(a.traits["plan"], "pro");
    assert_eq!(a.traits["y"], 2);
    assert_eq!(
        a.trait_times["x"],
        TraitTimes {
            since: 10,
            written: 20
        }
    );
    assert!(!a.consent["ads"]);
    assert!(a.consent["sms"]);
    assert_eq!((a.first_seen, a.last_seen, a.event_count), (5, 20, 3));
    assert_eq!(a.merged_from, vec![7, 2, 8]);
}

#[test]
fn merging_a_later_removal_removes() {
    let mut a = applied(&[identify(10, json!({"plan": "pro"}))]);
    let b = applied(&[identify(20, json!({"plan": null}))]);
    merge_profiles(&mut a, b);
    assert!(!a.traits.contains_key("plan"));
    assert_eq!(a.trait_times["plan"].written, 20);
}

fn user(u: &str) -> Ident {
    Ident::User(u.into())
}
fn anon(a: &str) -> Ident {
    Ident::Anonymous(a.into())
}
fn cand(ident: Ident, found: Option<(ProfileId, Option<&str>)>) -> Candidate {
    Candidate {
        ident,
        found: found.map(|(id, u)| (id, u.map(str::to_string))),
    }
}

#[test]
fn nothing_known_makes_a_new_profile_with_every_identifier() {
    let r = resolve(&[cand(user("u"), None), cand(anon("a"), None)]);
    assert_eq!(r.target, None);
    assert_eq!(r.user_id.as_deref(), Some("u"));
    assert_eq!(r.anonymous_ids, vec!["a".to_string()]);
    assert!(r.merges.is_empty());
}

#[test]
fn one_known_profile_takes_the_missing_identifier() {
    let r = resolve(&[cand(user("u"), None), cand(anon("a"), Some((3, None)))]);
    assert_eq!((r.target, r.user_id.as_deref()), (Some(3), Some("u")));
    let r = resolve(&[cand(user("u"), Some((2, Some("u")))), cand(anon("a"), None)]);
    assert_eq!(r.target, Some(2));
    assert_eq!(r.anonymous_ids, vec!["a".to_string()]);
}

#[test]
fn a_second_user_id_gets_its_own_profile() {
    let r = resolve(&[cand(user("v"), None), cand(anon("a"), Some((3, Some("u"))))]);
    assert_eq!(r.target, None);
    assert_eq!(r.user_id.as_deref(), Some("v"));
    assert!(
        r.anonymous_ids.is_empty(),
        "the anonymous id stays where it is"
    );
    let r = resolve(&[
        cand(user("v"), Some((4, Some("v")))),
        cand(anon("a"), Some((3, Some("u")))),
    ]);
    assert_eq!(r.target, Some(4));
    assert!(r.merges.is_empty());
}

#[test]
fn the_anonymous_profile_joins_the_user_profile() {
    let r = resolve(&[
        cand(user("u"), Some((5, Some("u")))),
        cand(anon("a"), Some((2, None))),
    ]);
    assert_eq!(r.target, Some(5));
    assert_eq!(r.merges, vec![(5, 2)]);
}

#[test]
fn two_anonymous_profiles_merge_into_the_older() {
    let r = resolve(&[
        cand(Ident::Previous("p".into()), Some((7, None))),
        cand(anon("a"), Some((4, None))),
    ]);
    assert_eq!(r.target, Some(4));
    assert_eq!(r.merges, vec![(4, 7)]);
}

#[test]
fn an_anonymous_target_joins_a_user_profile_found_later() {
    let r = resolve(&[
        cand(Ident::Previous("p".into()), Some((1, None))),
        cand(anon("a"), Some((6, Some("u")))),
    ]);
    assert_eq!(r.target, Some(6));
    assert_eq!(r.merges, vec![(6, 1)]);
}

#[test]
fn alias_with_a_pending_user_merges_both_anonymous_profiles() {
    let r = resolve(&[
        cand(user("u"), None),
        cand(Ident::Previous("p".into()), Some((3, None))),
        cand(anon("a"), Some((2, None))),
    ]);
    assert_eq!(r.target, Some(3));
    assert_eq!(r.merges, vec![(3, 2)]);
    assert_eq!(r.user_id.as_deref(), Some("u"));
}

#[test]
fn an_identifier_of_an_absorbed_profile_is_not_merged_twice() {
    let r = resolve(&[
        cand(user("u"), Some((1, Some("u")))),
        cand(Ident::Previous("p".into()), Some((2, None))),
        cand(anon("a"), Some((2, None))),
    ]);
    assert_eq!(r.merges, vec![(1, 2)]);
    assert!(r.anonymous_ids.is_empty());
}

#[test]
fn identifiers_follow_the_call_type() {
    let mut m = identify(1, json!({}));
    m.identity = Identity {
        user_id: Some("u".into()),
        anonymous_id: Some("p".into()),
        previous_id: Some("p".into()),
        others: vec![],
    };
    assert_eq!(identifiers(&m), vec![user("u"), anon("p")]);
    m.kind = MessageKind::Alias;
    assert_eq!(
        identifiers(&m),
        vec![user("u"), Ident::Previous("p".into())]
    );
    m.identity.previous_id = Some("u".into());
    m.identity.anonymous_id = Some(String::new());
    assert_eq!(identifiers(&m), vec![user("u")]);
}
