//! The bucketed reading gives exactly what the exact reading ([`super::super::read`]) gives,
//! on random histories with odd lines, out of time order, and with lines it must leave to
//! the exact path.

use std::path::PathBuf;

use anyhow::Result;
use waymark_engine::Engine;
use waymark_engine::time::parse_instant;
use waymark_engine::validate::{Limits, load_audiences};

use super::{Setup, read};

const DEFINITIONS: &str = r#"{"audiences": [
  {"id": "big", "name": "big", "criteria": {"event": "Order Completed", "within": "7d",
     "where": [{"property": "total", "op": "gte", "value": 50},
               {"property": "currency", "op": "eq", "value": "USD"}]}},
  {"id": "twice", "name": "twice", "criteria": {"event": "Visit", "count": {"op": ">=", "value": 2}}},
  {"id": "none", "name": "none", "criteria": {"event": "Visit", "count": {"op": "=", "value": 0}, "within": "3d"}},
  {"id": "pro", "name": "pro", "criteria": {"trait": "plan", "op": "eq", "value": "pro"}},
  {"id": "nested", "name": "nested", "criteria": {"event": "Order Completed",
     "where": [{"property": "cart.size", "op": "gt", "value": 1}]}},
  {"id": "pro_idle", "name": "pro idle", "criteria": {"all": [
     {"member_of": {"audience": "pro"}}, {"member_of": {"audience": "big"}, "is": false}]}}
]}"#;

/// A small seeded generator (no dependency needed for this).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// One random line: a valid message most of the time, written in odd ways.
fn line(rng: &mut Rng, sorted: bool, repeats: bool, i: u64) -> String {
    let day = if sorted { 1 + i / 40 } else { 1 + rng.below(9) };
    let time = format!(
        "2026-01-{:02}T{:02}:{:02}:00{}Z",
        day.min(9),
        rng.below(24),
        rng.below(60),
        rng.pick(&["", ".5", ".123456"])
    );
    let user = rng.below(30);
    let id = match rng.below(10) {
        0 => format!(r#""anonymousId":"a{user}""#),
        1 => format!(r#""userId":{user}"#),
        2 => format!(r#""userId":"u\u00e9{user}""#),
        3 => format!(r#""userId":null,"anonymousId":"a{user}""#),
        4 => format!(r#""anonymousId":"a{user}","userId":"u{user}""#),
        // A repeated key: the scan routes by the first, the parse keeps the last, so the
        // bucketed reading gives up (unless both land in the same bucket).
        5 if repeats => format!(r#""userId":"x","userId":"u{user}""#),
        _ => format!(r#""userId":"u{user}""#),
    };
    let total = rng.pick(&["10", "50", "75.5", "\"80\"", "1e2", "-0", "null"]);
    let currency = rng.pick(&["USD", "EUR", "U\\u0053D"]);
    match rng.below(8) {
        0 => format!(
            r#"{{"type":"identify",{id},"traits":{{"plan":"{}"}},"timestamp":"{time}"}}"#,
            rng.pick(&["pro", "free", "p\\u0072o"])
        ),
        1 => format!(
            r#"{{"type":"identify",{id},"context":{{"traits":{{"plan":"pro"}}}},"timestamp":"{time}"}}"#
        ),
        2 | 3 => format!(
            r#"{{ "type" : "track", {id}, "event":"Order Completed", "properties":{{"total":{total},"currency":"{currency}","cart":{{"size":{}}}}}, "timestamp":"{time}", "extra":[1,{{"a":"\""}}]}}"#,
            rng.below(3)
        ),
        4 => format!(r#"{{"type":"page",{id},"name":"Home","timestamp":"{time}"}}"#),
        5 => String::new(),
        _ => format!(r#"{{"type":"track",{id},"event":"Visit","timestamp":"{time}"}}"#),
    }
}

fn history(seed: u64, sorted: bool, repeats: bool, lines: u64) -> PathBuf {
    let mut rng = Rng(seed);
    let text: Vec<String> = (0..lines)
        .map(|i| line(&mut rng, sorted, repeats, i))
        .collect();
    let path = std::env::temp_dir().join(format!(
        "waymark-bucketed-{}-{seed}-{sorted}.ndjson",
        std::process::id()
    ));
    std::fs::write(&path, text.join("\n")).unwrap();
    path
}

/// Each audience's members (sorted keys) over engines.
fn members(engines: &mut [Engine], at: i64, audiences: usize) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); audiences];
    for engine in engines.iter_mut() {
        engine.settle_everyone(at, &mut Vec::new());
        for (a, list) in super::super::member_lists(engine, audiences)
            .into_iter()
            .enumerate()
        {
            out[a].extend(list.into_iter().map(|u| engine.user_key(u).to_string()));
        }
    }
    out.iter_mut().for_each(|m| m.sort());
    out
}

#[test]
fn buckets_read_exactly_what_the_exact_path_reads() {
    let audiences = load_audiences(DEFINITIONS, &Limits::default(), &[]).unwrap();
    let engine = || -> Result<Engine> { Ok(Engine::with_definitions(&[], &audiences, &[])?) };
    let at = parse_instant("2026-01-08T00:00:00Z").unwrap();
    let mut bucketed_runs = 0;
    for seed in 0..24 {
        let sorted = seed % 2 == 0;
        let path = history(seed, sorted, seed % 3 == 0, 300);
        let mut exact = super::super::read::read(&path, 1, Some(at), &engine).unwrap();
        let mut exact: Vec<Engine> = exact.drain(..).map(|p| p.engine).collect();
        let want = members(&mut exact, at, audiences.len());
        assert!(want.iter().any(|m| !m.is_empty()), "seed {seed}");
        for (threads, buckets) in [(1, 1), (2, 3), (2, 17), (3, 64)] {
            let setup = Setup {
                path: &path,
                threads,
                buckets,
                until: Some(at),
                settle_at: Some(at),
                audiences: audiences.len(),
                engine: &engine,
            };
            let Some(buckets) = read(&setup).unwrap() else {
                continue;
            };
            bucketed_runs += 1;
            let mut got = vec![Vec::new(); audiences.len()];
            for b in &buckets {
                for (a, list) in b.members.as_ref().unwrap().iter().enumerate() {
                    got[a].extend(list.iter().map(|&u| b.engine.user_key(u).to_string()));
                }
            }
            got.iter_mut().for_each(|m| m.sort());
            assert_eq!(
                got, want,
                "seed {seed}, {threads} threads, {} buckets",
                setup.buckets
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
    // Every run without repeated keys (16 seeds × 4) at least.
    assert!(bucketed_runs >= 64, "{bucketed_runs}");
}

#[test]
fn a_line_that_needs_the_exact_path_gives_up() {
    let audiences = load_audiences(DEFINITIONS, &Limits::default(), &[]).unwrap();
    let engine = || -> Result<Engine> { Ok(Engine::with_definitions(&[], &audiences, &[])?) };
    let path = std::env::temp_dir().join(format!(
        "waymark-bucketed-bad-{}.ndjson",
        std::process::id()
    ));
    for bad in [
        "{\"type\":\"track\",\"userId\":\"u1\"}",
        "not json",
        "{\"type\":\"track\",\"userId\":\"u\u{1}\",\"event\":\"E\",\"timestamp\":\"2026-01-01T00:00:00Z\"}",
    ] {
        std::fs::write(
            &path,
            format!("{{\"type\":\"track\",\"userId\":\"u0\",\"event\":\"Visit\",\"timestamp\":\"2026-01-01T00:00:00Z\"}}\n{bad}\n"),
        )
        .unwrap();
        let setup = Setup {
            path: &path,
            threads: 2,
            buckets: 4,
            until: None,
            settle_at: None,
            audiences: audiences.len(),
            engine: &engine,
        };
        assert!(read(&setup).unwrap().is_none(), "{bad}");
    }
    std::fs::write(&path, [b'{', 0xff, b'}', b'\n']).unwrap();
    let setup = Setup {
        path: &path,
        threads: 1,
        buckets: 4,
        until: None,
        settle_at: None,
        audiences: audiences.len(),
        engine: &engine,
    };
    assert!(read(&setup).unwrap().is_none());
    std::fs::remove_file(&path).unwrap();
}
