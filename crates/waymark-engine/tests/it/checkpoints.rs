//! Checkpoints (issue 9): an engine written to bytes and read back goes on exactly as the
//! engine that wrote it (property 20: same transitions, same final state, also for a
//! journey published after the restore); definitions read back equal (property 21); and
//! bytes that are not a checkpoint of this version are refused with an error, never a panic
//! (property 22).

use proptest::prelude::*;
use waymark_engine::model::{Audience, ComputedAttribute, Journey};
use waymark_engine::time::Millis;
use waymark_engine::{Activation, CHECKPOINT_VERSION, CheckpointError, Engine, Event, Transition};

use crate::attributes::definitions;
use crate::audiences::{audiences, specs};
use crate::generators::{T0, events, journey};
use crate::properties::config;

/// Journeys published into the engine, each with its publication and `historical`.
type Mix = Vec<(Journey, Millis, bool)>;

fn mix() -> impl Strategy<Value = Mix> {
    let one = (journey(), 0..=5 * 24 * 3_600_000i64, any::<bool>());
    prop::collection::vec(one, 1..=3).prop_map(|list| {
        list.into_iter()
            .enumerate()
            .map(|(i, (mut j, offset, historical))| {
                // Two journeys share an id: the second is a newer version of the first.
                j.id = format!("j{}", i.min(1));
                (j, T0 + offset, historical)
            })
            .collect()
    })
}

/// An engine with the audiences and attributes, and the journeys added at their
/// publications.
fn start(mix: &Mix, audiences: &[Audience], attributes: &[ComputedAttribute]) -> Engine {
    let mut engine = Engine::with_definitions(&[], audiences, attributes).unwrap();
    for (journey, at, historical) in mix {
        let activation = Activation {
            at: *at,
            historical: *historical,
        };
        engine.add_journey(journey, activation).unwrap();
    }
    engine
}

fn feed(engine: &mut Engine, events: &[(String, Event)], out: &mut Vec<Transition>) {
    for (key, event) in events {
        engine.advance_to(event.at, out);
        engine.apply_received(key, event, event.at, out);
    }
}

/// Publishes `late` at the clock (without `historical`, as the runtime does when a version
/// is published after a restart), then runs the rest and moves to `until`.
fn finish(
    engine: &mut Engine,
    late: &Journey,
    rest: &[(String, Event)],
    until: Millis,
    out: &mut Vec<Transition>,
) {
    let at = engine.clock();
    let activation = Activation {
        at,
        historical: false,
    };
    engine.add_journey(late, activation).unwrap();
    engine.start_due(out);
    feed(engine, rest, out);
    engine.advance_to(until, out);
}

proptest! {
    #![proptest_config(config(256))]

    /// Property 20.
    #[test]
    fn a_restored_engine_goes_on_as_the_one_that_wrote_it(
        mix in mix(),
        late in journey(),
        specs in specs(),
        attributes in definitions(),
        (stream, until) in events(),
        split in any::<prop::sample::Index>(),
    ) {
        let audiences = audiences(&specs);
        let stream: Vec<_> = stream.into_iter().filter(|(_, e)| e.at <= until).collect();
        let k = split.index(stream.len() + 1);
        let (before, after) = stream.split_at(k);

        let mut whole = start(&mix, &audiences, &attributes);
        let mut want = Vec::new();
        feed(&mut whole, before, &mut want);
        let bytes = whole.checkpoint().unwrap();
        let written = want.len();
        finish(&mut whole, &late, after, until, &mut want);

        let mut restored = Engine::from_checkpoint(&bytes).unwrap();
        prop_assert_eq!(&restored.checkpoint().unwrap(), &bytes);
        let mut got = Vec::new();
        finish(&mut restored, &late, after, until, &mut got);
        prop_assert_eq!(&want[written..], &got[..]);
        prop_assert!(restored.checkpoint().unwrap() == whole.checkpoint().unwrap());
    }

    /// Property 21.
    #[test]
    fn definitions_read_back_equal(j in journey(), specs in specs()) {
        let text = serde_json::to_string(&j).unwrap();
        prop_assert_eq!(serde_json::from_str::<Journey>(&text).unwrap(), j);
        for a in audiences(&specs) {
            let text = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<Audience>(&text).unwrap(), a);
        }
    }

    /// Property 22.
    #[test]
    fn damaged_checkpoints_are_refused(
        mix in mix(),
        (stream, _) in events(),
        at in any::<prop::sample::Index>(),
        flip in 1..=255u8,
        garbage in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut engine = start(&mix, &[], &[]);
        feed(&mut engine, &stream, &mut Vec::new());
        let bytes = engine.checkpoint().unwrap();

        let cut = at.index(bytes.len());
        prop_assert!(Engine::from_checkpoint(&bytes[..cut]).is_err());

        let mut flipped = bytes.clone();
        flipped[cut] ^= flip;
        prop_assert!(Engine::from_checkpoint(&flipped).is_err());

        let mut other = bytes.clone();
        other[4] = CHECKPOINT_VERSION.wrapping_add(flip);
        prop_assert_eq!(
            Engine::from_checkpoint(&other).err(),
            Some(CheckpointError::Version { found: other[4] })
        );

        // A body of random bytes behind a valid header and checksum decodes to an error
        // (or, by chance, to an engine whose indices agree), without panicking.
        let mut forged = bytes[..5].to_vec();
        forged.extend_from_slice(&crc32fast::hash(&garbage).to_le_bytes());
        forged.extend_from_slice(&garbage);
        let _ = Engine::from_checkpoint(&forged);
    }
}
