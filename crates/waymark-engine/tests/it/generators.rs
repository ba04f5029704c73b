//! Random but valid journeys (built from the model types directly) and random event streams.
//!
//! The step tree is generated "raw" first (any kind anywhere, any branching) and then fixed
//! up into a valid journey: that keeps shrinking effective (proptest removes whole subtrees
//! and simplifies kinds) while every generated journey passes `validate_journey`.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use waymark_engine::Event;
use waymark_engine::model::{
    Between, Branching, Connection, ConnectionMode, ControlGroup, Count, CountOp, Criteria,
    EntryOn, EntryStep, EventCondition, Filter, FrequencyCap, Goal, Journey, Op, QuietFallback,
    QuietHours, Reentry, Settings, Since, Step, StepKind, TraitCondition, Until, Wait,
};
use waymark_engine::time::{ClockTime, Day, Duration, Millis};

/// 2026-01-05T00:00:00Z, where every event stream starts.
pub const T0: Millis = 1_767_571_200_000;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// The most steps below the entry.
const MAX_STEPS: usize = 12;
/// The deepest a step may sit below the entry (the entry's children are at depth 1).
const MAX_DEPTH: usize = 4;

/// The time zones journeys and users pick from.
pub const ZONES: [&str; 3] = ["UTC", "America/New_York", "Europe/Berlin"];

/// One generated test case: a journey, a stream of `(profile key, event)` in time order and
/// the `--until` instant.
#[derive(Clone)]
pub struct Scenario {
    pub journey: Journey,
    pub events: Vec<(String, Event)>,
    pub until: Millis,
}

// ----- small building blocks -----

fn minutes(n: i64) -> Duration {
    Duration::from_millis(n * MINUTE)
}

/// Durations from one minute to two days, favouring round values so that timers and events
/// fall on the same instants.
fn duration_up_to_2d() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => select(vec![1, 5, 30, 60, 120, 360, 720, 1440, 2880]).prop_map(minutes),
        1 => (1..=2880i64).prop_map(minutes),
    ]
}

/// Windows (`within`, `for`, timeouts) from half an hour to a few days.
pub fn window() -> impl Strategy<Value = Duration> {
    prop_oneof![
        3 => select(vec![30, 60, 360, 1440, 2880, 4320]).prop_map(minutes),
        1 => (1..=4320i64).prop_map(minutes),
    ]
}

fn clock_time() -> impl Strategy<Value = ClockTime> {
    prop_oneof![
        3 => (0..24i8).prop_map(|hour| ClockTime { hour, minute: 0 }),
        1 => (0..24i8, 0..60i8).prop_map(|(hour, minute)| ClockTime { hour, minute }),
    ]
}

fn day() -> impl Strategy<Value = Day> {
    select(vec!["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
        .prop_map(|d| Day::parse(d).unwrap())
}

/// An instant within the ten days of the event streams (whole hours).
fn instant_in_range() -> impl Strategy<Value = Millis> {
    (0..=240i64).prop_map(|h| T0 + h * HOUR)
}

// ----- criteria -----

fn count() -> impl Strategy<Value = Count> {
    let op = select(vec![
        CountOp::Gte,
        CountOp::Gt,
        CountOp::Eq,
        CountOp::Lt,
        CountOp::Lte,
    ]);
    prop_oneof![
        3 => Just(Count::default()),
        2 => (op, 0..=3u32).prop_map(|(op, value)| match op {
            // `< 0` never holds: compare with 1–3 instead.
            CountOp::Lt => Count { op, value: value.max(1) },
            _ => Count { op, value },
        }),
    ]
}

/// A filter on the numeric property `n` of track events.
pub fn filter() -> impl Strategy<Value = Filter> {
    let n = || 0..=5i64;
    prop_oneof![
        (
            select(vec![Op::Eq, Op::Neq, Op::Gt, Op::Gte, Op::Lt, Op::Lte]),
            n()
        )
            .prop_map(|(op, v)| (op, Some(json!(v)))),
        (n(), n()).prop_map(|(a, b)| (Op::Between, Some(json!([a.min(b), a.max(b)])))),
        (n(), n()).prop_map(|(a, b)| (Op::In, Some(json!([a, b])))),
        select(vec![Op::Exists, Op::NotExists]).prop_map(|op| (op, None)),
    ]
    .prop_map(|(op, value)| Filter {
        property: "n".into(),
        op,
        value,
    })
}

fn event_condition(since_step: bool) -> impl Strategy<Value = EventCondition> {
    let since: Vec<Option<Since>> = if since_step {
        vec![None, Some(Since::Entry), Some(Since::Step)]
    } else {
        vec![None, Some(Since::Entry)]
    };
    let range = (instant_in_range(), 1..=120i64).prop_map(|(from, hours)| Between {
        from,
        to: from + hours * HOUR,
    });
    let name_and_filters = prop_oneof![
        7 => (select(vec!["A", "A", "A", "B", "B", "B", "C"]), prop::option::weighted(0.25, filter()))
            .prop_map(|(name, f)| (name, f.into_iter().collect())),
        1 => Just(("Page Viewed", Vec::new())),
    ];
    (
        name_and_filters,
        count(),
        prop_oneof![
            2 => Just((None, None)),
            2 => window().prop_map(|w| (Some(w), None)),
            1 => range.prop_map(|b| (None, Some(b))),
        ],
        select(since),
    )
        .prop_map(
            |((event, filters), count, (within, between), since)| EventCondition {
                event: event.into(),
                filters,
                count,
                within,
                between,
                since,
            },
        )
}

fn trait_condition() -> impl Strategy<Value = TraitCondition> {
    let plan = prop_oneof![
        (
            select(vec![Op::Eq, Op::Neq]),
            select(vec!["free", "pro", "team"])
        )
            .prop_map(|(op, v)| (op, Some(json!(v)))),
        Just((Op::In, Some(json!(["pro", "team"])))),
        Just((Op::NotIn, Some(json!(["free"])))),
        Just((Op::StartsWith, Some(json!("p")))),
        select(vec![Op::Exists, Op::NotExists]).prop_map(|op| (op, None)),
    ]
    .prop_map(|(op, value)| ("plan", op, value));
    let score = prop_oneof![
        (
            select(vec![Op::Eq, Op::Gt, Op::Gte, Op::Lt, Op::Lte]),
            0..=100i64
        )
            .prop_map(|(op, v)| (op, Some(json!(v)))),
        (0..=100i64, 0..=100i64)
            .prop_map(|(a, b)| (Op::Between, Some(json!([a.min(b), a.max(b)])))),
        Just((Op::Exists, None)),
    ]
    .prop_map(|(op, value)| ("score", op, value));
    (
        prop_oneof![plan, score],
        prop::option::weighted(0.25, window()),
    )
        .prop_map(|((path, op, value), held_for)| TraitCondition {
            path: path.into(),
            op,
            value,
            held_for,
        })
}

/// Criteria over events A, B, C (and page views) and traits `plan` and `score`.
/// `since_step`: whether `"since": "step"` may appear (not in entry criteria).
pub fn criteria(since_step: bool) -> BoxedStrategy<Criteria> {
    let leaf = prop_oneof![
        5 => event_condition(since_step).prop_map(Criteria::Event),
        3 => trait_condition().prop_map(Criteria::Trait),
        1 => Just(Criteria::Everyone),
    ];
    let nested = leaf.clone().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..=3).prop_map(Criteria::All),
            prop::collection::vec(inner.clone(), 0..=3).prop_map(Criteria::Any),
            inner.prop_map(|c| Criteria::Not(Box::new(c))),
        ]
    });
    prop_oneof![3 => leaf, 1 => nested].boxed()
}

fn has_event_condition(c: &Criteria) -> bool {
    let mut found = false;
    c.visit(&mut |c| found |= matches!(c, Criteria::Event(_)));
    found
}

// ----- the step tree -----

/// A step before the fix-up into a valid tree.
#[derive(Debug, Clone)]
struct RawStep {
    kind: StepKind,
    criteria: Criteria,
    wait: Wait,
    weight: u32,
    connections: Vec<(bool, ConnectionMode)>,
    branching: Branching,
    timeout: Option<Duration>,
    children: Vec<RawStep>,
}

fn step_kind() -> impl Strategy<Value = StepKind> {
    prop_oneof![
        4 => Just(StepKind::Milestone),
        2 => Just(StepKind::Wait),
        2 => Just(StepKind::Send),
        1 => Just(StepKind::Remaining),
        1 => Just(StepKind::Exit),
    ]
}

fn branching() -> impl Strategy<Value = Branching> {
    prop_oneof![
        4 => Just(Branching::Wait),
        2 => Just(Branching::Decide),
        2 => Just(Branching::All),
        2 => Just(Branching::Random),
        2 => Just(Branching::Live),
    ]
}

fn wait() -> impl Strategy<Value = Wait> {
    prop_oneof![
        3 => duration_up_to_2d().prop_map(Wait::Duration),
        2 => (clock_time(), prop::collection::vec(day(), 0..=2))
            .prop_map(|(time, days)| Wait::Until(Until::LocalTime { time, days })),
        1 => instant_in_range().prop_map(|at| Wait::Until(Until::At { at })),
    ]
}

fn connections() -> impl Strategy<Value = Vec<(bool, ConnectionMode)>> {
    let mode = select(vec![
        ConnectionMode::Event,
        ConnectionMode::Identify,
        ConnectionMode::List,
    ]);
    prop::collection::vec((any::<bool>(), mode), 0..=2)
}

/// Children of a raw step `depth` levels below the entry (the entry is depth 0).
fn raw_children(depth: usize) -> BoxedStrategy<Vec<RawStep>> {
    if depth >= MAX_DEPTH {
        return Just(Vec::new()).boxed();
    }
    let max = if depth == 0 { 4 } else { 3 };
    let min = usize::from(depth == 0);
    prop::collection::vec(raw_step(depth + 1), min..=max).boxed()
}

fn raw_step(depth: usize) -> BoxedStrategy<RawStep> {
    (
        (step_kind(), criteria(true), wait(), 1..=5u32, connections()),
        (
            branching(),
            prop::option::weighted(0.5, window()),
            raw_children(depth),
        ),
    )
        .prop_map(
            |((kind, criteria, wait, weight, connections), (branching, timeout, children))| {
                RawStep {
                    kind,
                    criteria,
                    wait,
                    weight,
                    connections,
                    branching,
                    timeout,
                    children,
                }
            },
        )
        .boxed()
}

/// Whether a child passes its guard at once (what the validator's `unreachable_step` uses).
fn always_passes(step: &RawStep) -> bool {
    match step.kind {
        StepKind::Wait | StepKind::Send | StepKind::Exit => true,
        StepKind::Milestone => step.criteria == Criteria::Everyone,
        StepKind::Remaining => false,
    }
}

/// Turns raw children into valid ones and assigns ids in pre-order.
struct Builder {
    next_step: usize,
    next_connection: usize,
}

impl Builder {
    fn connections(&mut self, raw: &[(bool, ConnectionMode)]) -> Vec<Connection> {
        raw.iter()
            .map(|(active, mode)| {
                self.next_connection += 1;
                Connection {
                    id: format!("c{}", self.next_connection),
                    output: format!("o{}", 1 + self.next_connection % 2),
                    active: *active,
                    mode: *mode,
                    traits: Vec::new(),
                }
            })
            .collect()
    }

    /// The valid children of a step that branches by `branching` (with a timeout or not),
    /// `depth` levels below the entry.
    fn children(
        &mut self,
        mut raw: Vec<RawStep>,
        branching: Branching,
        timeout: bool,
        depth: usize,
    ) -> Vec<Step> {
        if depth >= MAX_DEPTH {
            return Vec::new();
        }
        // `remaining`: last, alone, never under `random`, under `wait` only with a timeout.
        let last = raw.len().saturating_sub(1);
        let remaining_allowed = match branching {
            Branching::Random => false,
            Branching::Wait => timeout,
            _ => true,
        };
        for (i, child) in raw.iter_mut().enumerate() {
            if child.kind == StepKind::Remaining && (i != last || !remaining_allowed) {
                child.kind = StepKind::Milestone;
            }
        }
        // Nothing after a child that always passes (it would be unreachable).
        match branching {
            Branching::Wait | Branching::Decide | Branching::Live => {
                if let Some(p) = raw.iter().position(always_passes) {
                    raw.truncate(p + 1);
                }
            }
            Branching::All => {
                if raw.iter().any(always_passes) {
                    for child in &mut raw {
                        if child.kind == StepKind::Remaining {
                            child.kind = StepKind::Milestone;
                        }
                    }
                }
            }
            Branching::Random => {}
        }
        let mut out = Vec::new();
        for child in raw {
            if self.next_step >= MAX_STEPS {
                break;
            }
            self.next_step += 1;
            let id = format!("s{}", self.next_step);
            let kind = child.kind;
            let timeout = child.timeout.filter(|_| child.branching == Branching::Wait);
            let connections = self.connections(&child.connections);
            let steps = if kind == StepKind::Exit {
                Vec::new()
            } else {
                self.children(
                    child.children,
                    child.branching,
                    timeout.is_some(),
                    depth + 1,
                )
            };
            out.push(Step {
                name: format!("Step {}", &id[1..]),
                id,
                kind,
                criteria: (kind == StepKind::Milestone).then_some(child.criteria),
                wait: (kind == StepKind::Wait).then_some(child.wait),
                weight: (branching == Branching::Random).then_some(child.weight),
                connections,
                branching: child.branching,
                timeout,
                steps,
            });
        }
        out
    }
}

// ----- entry and settings -----

fn reentry() -> impl Strategy<Value = Reentry> {
    prop_oneof![
        Just(Reentry::Never),
        Just(Reentry::AfterExit),
        window().prop_map(Reentry::Cooldown),
    ]
}

fn settings() -> BoxedStrategy<Settings> {
    let goal = (criteria(true), prop::option::of(window()), any::<bool>()).prop_map(
        |(criteria, within, exit_on_goal)| Goal {
            criteria,
            within,
            exit_on_goal,
        },
    );
    let control = prop_oneof![
        (0..=50u32).prop_map(f64::from),
        Just(50.0),
        Just(0.0),
        Just(12.5)
    ]
    .prop_map(|percent| ControlGroup { percent });
    let quiet = (
        clock_time(),
        1..=12i8,
        select(vec![QuietFallback::Delay, QuietFallback::Skip]),
    )
        .prop_map(|(start, hours, fallback)| QuietHours {
            start,
            end: ClockTime {
                hour: (start.hour + hours) % 24,
                minute: start.minute,
            },
            fallback,
        });
    let cap = (1..=3u32, window()).prop_map(|(max, per)| FrequencyCap { max, per });
    (
        prop::option::weighted(0.3, criteria(true)),
        prop::option::weighted(0.3, window()),
        prop::option::weighted(0.3, goal),
        prop::option::weighted(0.3, control),
        prop::option::weighted(0.3, quiet),
        prop::option::weighted(0.3, cap),
        prop::option::weighted(0.5, select(ZONES.to_vec())),
    )
        .prop_map(
            |(exit, timeout, goal, control_group, quiet_hours, frequency_cap, timezone)| Settings {
                exit,
                timeout,
                goal,
                control_group,
                quiet_hours,
                frequency_cap,
                timezone: timezone.map(str::to_string),
            },
        )
        .boxed()
}

/// An entry window (`start_at`, `end_at`), now and then.
fn entry_window() -> impl Strategy<Value = (Option<Millis>, Option<Millis>)> {
    prop_oneof![
        12 => Just((None, None)),
        1 => instant_in_range().prop_map(|s| (Some(s), None)),
        1 => instant_in_range().prop_map(|e| (None, Some(e + HOUR))),
        1 => (instant_in_range(), 1..=120i64).prop_map(|(s, h)| (Some(s), Some(s + h * HOUR))),
    ]
}

/// A valid journey with 1–12 steps below the entry.
pub fn journey() -> impl Strategy<Value = Journey> {
    let entry = (
        prop::option::weighted(0.7, criteria(false)),
        prop_oneof![3 => Just(EntryOn::Qualify), 2 => Just(EntryOn::Event)],
        any::<bool>(),
        reentry(),
        entry_window(),
    );
    let tree = (
        connections(),
        branching(),
        prop::option::weighted(0.5, window()),
        raw_children(0),
    );
    let inputs = prop_oneof![9 => Just(Vec::new()), 1 => Just(vec!["web".to_string()])];
    (entry, tree, settings(), inputs).prop_map(
        |(
            (criteria, on, live, reentry, (start_at, end_at)),
            (conns, branching, timeout, raw),
            settings,
            inputs,
        )| {
            let criteria = match (on, criteria) {
                (EntryOn::Event, Some(c)) if !has_event_condition(&c) => Some(Criteria::All(vec![
                    Criteria::Event(EventCondition {
                        event: "A".into(),
                        filters: Vec::new(),
                        count: Count::default(),
                        within: None,
                        between: None,
                        since: None,
                    }),
                    c,
                ])),
                (EntryOn::Event, None) => Some(Criteria::Event(EventCondition {
                    event: "B".into(),
                    filters: Vec::new(),
                    count: Count::default(),
                    within: None,
                    between: None,
                    since: None,
                })),
                (_, c) => c,
            };
            let timeout = timeout.filter(|_| branching == Branching::Wait);
            let mut b = Builder {
                next_step: 0,
                next_connection: 0,
            };
            let connections = b.connections(&conns);
            let steps = b.children(raw, branching, timeout.is_some(), 0);
            Journey {
                id: "j1".into(),
                name: "Property journey".into(),
                description: None,
                inputs,
                entry: EntryStep {
                    id: "entry".into(),
                    name: "Entry".into(),
                    criteria,
                    on,
                    live,
                    historical: false,
                    reentry,
                    start_at,
                    end_at,
                    connections,
                    branching,
                    timeout,
                    steps,
                },
                settings,
                version: 1,
            }
        },
    )
}

// ----- events -----

/// What an event is before it gets a time and a user.
#[derive(Debug, Clone)]
enum RawEvent {
    Track {
        name: &'static str,
        n: Option<Value>,
    },
    Identify {
        traits: Map<String, Value>,
    },
    Page {
        name: &'static str,
    },
}

fn raw_event() -> impl Strategy<Value = RawEvent> {
    let n = prop_oneof![
        4 => (0..=5i64).prop_map(|n| Some(json!(n))),
        1 => (0..=5i64).prop_map(|n| Some(json!(n.to_string()))),
        1 => Just(None),
    ];
    let track = (select(vec!["A", "B", "C"]), n).prop_map(|(name, n)| RawEvent::Track { name, n });
    let plan = prop_oneof![
        select(vec!["free", "pro", "team"]).prop_map(|p| json!(p)),
        Just(Value::Null)
    ];
    let score = prop_oneof![
        4 => (0..=100i64).prop_map(|s| json!(s)),
        1 => (0..=100i64).prop_map(|s| json!(s.to_string())),
        1 => Just(Value::Null),
    ];
    let zone = prop_oneof![
        4 => select(ZONES.to_vec()).prop_map(|z| json!(z)),
        1 => Just(json!("Asia/Tokyo")),
        1 => Just(json!("Not/AZone")),
    ];
    let identify = (
        prop::option::of(plan),
        prop::option::of(score),
        prop::option::weighted(0.3, zone),
    )
        .prop_map(|(plan, score, zone)| {
            let mut traits = Map::new();
            for (key, value) in [("plan", plan), ("score", score), ("timezone", zone)] {
                if let Some(v) = value {
                    traits.insert(key.into(), v);
                }
            }
            RawEvent::Identify { traits }
        });
    let page = select(vec!["Home", "Pricing"]).prop_map(|name| RawEvent::Page { name });
    prop_oneof![6 => track, 3 => identify, 1 => page]
}

fn event_context() -> impl Strategy<Value = Map<String, Value>> {
    prop_oneof![
        6 => Just(Map::new()),
        1 => select(ZONES.to_vec()).prop_map(|z| {
            let mut m = Map::new();
            m.insert("timezone".into(), json!(z));
            m
        }),
    ]
}

/// The time grain of a stream: fine grains spread events out, coarse ones make many of them
/// (and the timers of round durations) share instants.
fn grain() -> impl Strategy<Value = i64> {
    select(vec![1_000, MINUTE, 15 * MINUTE, HOUR, 6 * HOUR])
}

/// 1–8 users, 1–60 events over up to ten days from [`T0`] (some streams are packed into
/// hours, so that waits and windows outlast them), and `--until` up to three days after the
/// last event.
pub fn events() -> impl Strategy<Value = (Vec<(String, Event)>, Millis)> {
    let one = (
        0..8u8,
        0..=10 * DAY,
        raw_event(),
        event_context(),
        select(vec![None, None, Some("web"), Some("ios")]),
    );
    let span = select(vec![2 * HOUR, DAY, 3 * DAY, 10 * DAY, 10 * DAY]);
    let shape = (1..=8u8, grain(), span);
    (
        shape,
        prop::collection::vec(one, 1..=60),
        0..=3 * DAY,
        any::<bool>(),
    )
        .prop_map(|((users, grain, span), raw, after, round)| {
            let mut stamped: Vec<_> = raw
                .into_iter()
                .map(|(user, offset, kind, context, input)| {
                    let offset = offset % (span + 1);
                    (
                        T0 + offset / grain * grain,
                        user % users,
                        kind,
                        context,
                        input,
                    )
                })
                .collect();
            // Stable: events at one instant keep their generated order.
            stamped.sort_by_key(|e| e.0);
            let events: Vec<(String, Event)> = stamped
                .into_iter()
                .map(|(at, user, kind, context, input)| {
                    let (name, properties, traits) = match kind {
                        RawEvent::Track { name, n } => {
                            let mut p = Map::new();
                            if let Some(n) = n {
                                p.insert("n".into(), n);
                            }
                            (Some(name.to_string()), p, Map::new())
                        }
                        RawEvent::Identify { traits } => (None, Map::new(), traits),
                        RawEvent::Page { name } => {
                            let mut p = Map::new();
                            p.insert("name".into(), json!(name));
                            (Some("Page Viewed".to_string()), p, Map::new())
                        }
                    };
                    let event = Event {
                        at,
                        name,
                        properties: Value::Object(properties),
                        context: Value::Object(context),
                        traits,
                        input: input.map(str::to_string),
                    };
                    (format!("u{user}"), event)
                })
                .collect();
            let last = events.last().map_or(T0, |(_, e)| e.at);
            let after = if round { after / HOUR * HOUR } else { after };
            (events, last + after)
        })
}

/// A journey with an event stream.
pub fn scenario() -> impl Strategy<Value = Scenario> {
    (journey(), events()).prop_map(|(journey, (events, until))| Scenario {
        journey,
        events,
        until,
    })
}
