//! The generated model written back as the JSON of SPEC §4 and §6 (the model types only
//! deserialize), and events as Segment messages: to check that every generated journey is
//! valid, and to print failing cases in the form `waymark simulate` reads.

use serde_json::{Map, Value, json};
use waymark_engine::Event;
use waymark_engine::model::{
    Branching, Connection, ConnectionMode, CountOp, Criteria, EntryOn, Journey, MemberTarget, Op,
    QuietFallback, Reentry, Settings, Since, Step, StepKind, Until, Wait,
};
use waymark_engine::time::{ClockTime, Day, Duration, Millis, format_instant};

fn duration(d: Duration) -> Value {
    json!(d.to_string())
}

fn instant(at: Millis) -> Value {
    json!(format_instant(at))
}

fn clock(c: ClockTime) -> Value {
    json!(format!("{:02}:{:02}", c.hour, c.minute))
}

fn day(d: Day) -> Value {
    // `Day` keeps its weekday private; its Debug form names it (`Day(Monday)`).
    let name = format!("{d:?}");
    let name = name.trim_start_matches("Day(").trim_end_matches(')');
    json!(name[..3].to_ascii_lowercase())
}

fn op(o: Op) -> &'static str {
    Op::ALL
        .iter()
        .find(|(x, _)| *x == o)
        .map(|(_, n)| *n)
        .unwrap()
}

/// Inserts `key: value` when the value is present.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.into(), v);
    }
}

pub fn criteria(c: &Criteria) -> Value {
    match c {
        Criteria::All(parts) => json!({"all": parts.iter().map(criteria).collect::<Vec<_>>()}),
        Criteria::Any(parts) => json!({"any": parts.iter().map(criteria).collect::<Vec<_>>()}),
        Criteria::Not(inner) => json!({"not": criteria(inner)}),
        Criteria::Everyone => json!({"everyone": true}),
        Criteria::Event(e) => {
            let mut m = Map::new();
            m.insert("event".into(), json!(e.event));
            if !e.filters.is_empty() {
                let filters: Vec<Value> = e
                    .filters
                    .iter()
                    .map(|f| {
                        let mut m = Map::new();
                        m.insert("property".into(), json!(f.property));
                        m.insert("op".into(), json!(op(f.op)));
                        put(&mut m, "value", f.value.clone());
                        Value::Object(m)
                    })
                    .collect();
                m.insert("where".into(), json!(filters));
            }
            let count_op = match e.count.op {
                CountOp::Gte => ">=",
                CountOp::Gt => ">",
                CountOp::Eq => "=",
                CountOp::Lt => "<",
                CountOp::Lte => "<=",
            };
            m.insert(
                "count".into(),
                json!({"op": count_op, "value": e.count.value}),
            );
            put(&mut m, "within", e.within.map(duration));
            put(
                &mut m,
                "between",
                e.between
                    .map(|b| json!({"from": instant(b.from), "to": instant(b.to)})),
            );
            put(
                &mut m,
                "since",
                e.since.map(|s| match s {
                    Since::Entry => json!("entry"),
                    Since::Step => json!("step"),
                }),
            );
            Value::Object(m)
        }
        Criteria::Trait(t) => {
            let mut m = Map::new();
            m.insert("trait".into(), json!(t.path));
            m.insert("op".into(), json!(op(t.op)));
            put(&mut m, "value", t.value.clone());
            put(&mut m, "for", t.held_for.map(duration));
            Value::Object(m)
        }
        Criteria::Attribute(a) => {
            let mut m = Map::new();
            m.insert("attribute".into(), json!(a.attribute));
            m.insert("op".into(), json!(op(a.op)));
            put(&mut m, "value", a.value.clone());
            Value::Object(m)
        }
        Criteria::MemberOf(m) => {
            let target = match &m.target {
                MemberTarget::Step { journey, step } => json!({"journey": journey, "step": step}),
                MemberTarget::Audience { audience } => json!({"audience": audience}),
            };
            json!({"member_of": target, "is": m.is})
        }
        Criteria::Consent(c) => json!({"consent": c.consent, "granted": c.granted}),
        Criteria::Input(ids) => json!({"input": ids}),
    }
}

fn connections(list: &[Connection]) -> Value {
    list.iter()
        .map(|c| {
            let mode = match c.mode {
                ConnectionMode::Event => "event",
                ConnectionMode::Identify => "identify",
                ConnectionMode::List => "list",
            };
            json!({"id": c.id, "output": c.output, "active": c.active, "mode": mode})
        })
        .collect()
}

fn branching(b: Branching) -> &'static str {
    match b {
        Branching::Wait => "wait",
        Branching::Decide => "decide",
        Branching::All => "all",
        Branching::Random => "random",
        Branching::Live => "live",
    }
}

/// `connections`, `branching`, `timeout` and `steps`, shared by the entry and the steps.
fn tree(
    m: &mut Map<String, Value>,
    conns: &[Connection],
    b: Branching,
    timeout: Option<Duration>,
    steps: &[Step],
) {
    if !conns.is_empty() {
        m.insert("connections".into(), connections(conns));
    }
    if b != Branching::Wait {
        m.insert("branching".into(), json!(branching(b)));
    }
    put(m, "timeout", timeout.map(duration));
    if !steps.is_empty() {
        m.insert("steps".into(), steps.iter().map(step).collect());
    }
}

fn step(s: &Step) -> Value {
    let kind = match s.kind {
        StepKind::Milestone => "milestone",
        StepKind::Remaining => "remaining",
        StepKind::Wait => "wait",
        StepKind::Send => "send",
        StepKind::Exit => "exit",
    };
    let mut m = Map::new();
    m.insert("id".into(), json!(s.id));
    m.insert("name".into(), json!(s.name));
    m.insert("type".into(), json!(kind));
    put(&mut m, "criteria", s.criteria.as_ref().map(criteria));
    put(
        &mut m,
        "wait",
        s.wait.as_ref().map(|w| match w {
            Wait::Duration(d) => json!({"duration": duration(*d)}),
            Wait::Until(Until::LocalTime { time, days }) => {
                let mut u = Map::new();
                u.insert("time".into(), clock(*time));
                if !days.is_empty() {
                    u.insert("days".into(), days.iter().map(|d| day(*d)).collect());
                }
                json!({"until": u})
            }
            Wait::Until(Until::At { at }) => json!({"until": {"at": instant(*at)}}),
            Wait::Until(Until::Trait { path, offset }) => {
                let mut u = Map::new();
                u.insert("trait".into(), json!(path));
                put(&mut u, "offset", offset.map(|o| json!(o.to_string())));
                json!({"until": u})
            }
        }),
    );
    put(&mut m, "weight", s.weight.map(|w| json!(w)));
    tree(&mut m, &s.connections, s.branching, s.timeout, &s.steps);
    Value::Object(m)
}

fn settings(s: &Settings) -> Value {
    let mut m = Map::new();
    put(&mut m, "exit", s.exit.as_ref().map(criteria));
    put(&mut m, "timeout", s.timeout.map(duration));
    put(
        &mut m,
        "goal",
        s.goal.as_ref().map(|g| {
            let mut goal = Map::new();
            goal.insert("criteria".into(), criteria(&g.criteria));
            put(&mut goal, "within", g.within.map(duration));
            goal.insert("exit_on_goal".into(), json!(g.exit_on_goal));
            Value::Object(goal)
        }),
    );
    put(
        &mut m,
        "control_group",
        s.control_group.map(|c| json!({"percent": c.percent})),
    );
    put(
        &mut m,
        "quiet_hours",
        s.quiet_hours.map(|q| {
            let fallback = match q.fallback {
                QuietFallback::Delay => "delay",
                QuietFallback::Skip => "skip",
            };
            json!({"start": clock(q.start), "end": clock(q.end), "fallback": fallback})
        }),
    );
    put(
        &mut m,
        "frequency_cap",
        s.frequency_cap
            .map(|f| json!({"max": f.max, "per": duration(f.per)})),
    );
    put(&mut m, "timezone", s.timezone.as_ref().map(|z| json!(z)));
    Value::Object(m)
}

/// The journey as SPEC §6 JSON.
pub fn journey(j: &Journey) -> Value {
    let e = &j.entry;
    let mut entry = Map::new();
    entry.insert("id".into(), json!(e.id));
    entry.insert("name".into(), json!(e.name));
    put(&mut entry, "criteria", e.criteria.as_ref().map(criteria));
    if e.on == EntryOn::Event {
        entry.insert("on".into(), json!("event"));
    }
    if e.live {
        entry.insert("live".into(), json!(true));
    }
    if e.historical {
        entry.insert("historical".into(), json!(true));
    }
    match e.reentry {
        Reentry::Never => {}
        Reentry::AfterExit => {
            entry.insert("reentry".into(), json!("after_exit"));
        }
        Reentry::Cooldown(d) => {
            entry.insert("reentry".into(), json!({"cooldown": duration(d)}));
        }
    }
    put(&mut entry, "start_at", e.start_at.map(instant));
    put(&mut entry, "end_at", e.end_at.map(instant));
    tree(&mut entry, &e.connections, e.branching, e.timeout, &e.steps);
    let mut m = Map::new();
    m.insert("id".into(), json!(j.id));
    m.insert("name".into(), json!(j.name));
    put(
        &mut m,
        "description",
        j.description.as_ref().map(|d| json!(d)),
    );
    if !j.inputs.is_empty() {
        m.insert("inputs".into(), json!(j.inputs));
    }
    m.insert("entry".into(), Value::Object(entry));
    let settings = settings(&j.settings);
    if settings.as_object().is_some_and(|s| !s.is_empty()) {
        m.insert("settings".into(), settings);
    }
    if j.version != 1 {
        m.insert("version".into(), json!(j.version));
    }
    Value::Object(m)
}

/// An event as the Segment message `waymark simulate` reads (with the `input` extension).
pub fn segment_message(user: &str, e: &Event) -> Value {
    let mut m = Map::new();
    let properties = e.properties.as_object().cloned().unwrap_or_default();
    match e.name.as_deref() {
        None => {
            m.insert("type".into(), json!("identify"));
            m.insert("userId".into(), json!(user));
            m.insert("traits".into(), Value::Object(e.traits.clone()));
        }
        Some("Page Viewed") => {
            m.insert("type".into(), json!("page"));
            m.insert("userId".into(), json!(user));
            put(&mut m, "name", properties.get("name").cloned());
        }
        Some(name) => {
            m.insert("type".into(), json!("track"));
            m.insert("userId".into(), json!(user));
            m.insert("event".into(), json!(name));
            if !properties.is_empty() {
                m.insert("properties".into(), Value::Object(properties));
            }
        }
    }
    if e.context.as_object().is_some_and(|c| !c.is_empty()) {
        m.insert("context".into(), e.context.clone());
    }
    m.insert("timestamp".into(), instant(e.at));
    put(&mut m, "input", e.input.as_ref().map(|i| json!(i)));
    Value::Object(m)
}
