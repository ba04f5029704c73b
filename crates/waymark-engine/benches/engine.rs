//! Engine benchmarks: one realistic journey (`journey.json`: three sliding windows, a wait,
//! a decide split, an A/B test, sends with connections, exit criteria, a goal, control
//! group, quiet hours and a frequency cap) over a deterministic synthetic workload of
//! shoppers (`support/workload.rs`).
//!
//! `cargo bench -p waymark-engine --bench engine` first prints a one-pass report for 100,000
//! users (memory per user from a counting global allocator, transitions emitted, users who
//! entered the journey), then divan measures throughput for 100,000 and 10,000 users
//! (`cargo bench -p waymark-engine --bench engine -- 10k` runs only the small one after the
//! report). Each iteration applies every event through a fresh engine, then advances the
//! clock two days past the last event so that pending timers fire.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use divan::Bencher;
use divan::counter::ItemsCount;
use waymark_engine::model::{Journey, Step};
use waymark_engine::time::format_instant;
use waymark_engine::validate::{Limits, validate_journey};
use waymark_engine::{Change, Engine, Transition, TransitionKind};

#[path = "support/workload.rs"]
mod workload;

use workload::{DAY, Workload};

// ----- a counting allocator: live bytes and blocks, for memory per user -----

struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);
static LIVE_BLOCKS: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
            LIVE_BLOCKS.fetch_add(1, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        LIVE_BLOCKS.fetch_sub(1, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Live heap bytes and blocks (as requested from the allocator, without its own overhead).
fn live() -> (isize, isize) {
    (
        LIVE_BYTES.load(Ordering::Relaxed),
        LIVE_BLOCKS.load(Ordering::Relaxed),
    )
}

/// Resident set size in bytes (Linux), for comparison with the requested bytes.
fn rss() -> Option<isize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: isize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

// ----- the journey and the workloads -----

const SEED: u64 = 0x5741_594D_4152_4B21; // "WAYMARK!"
const JOURNEY: &str = include_str!("journey.json");

static JOURNEYS: LazyLock<Vec<Journey>> = LazyLock::new(|| {
    let doc: serde_json::Value = serde_json::from_str(JOURNEY).expect("journey.json is JSON");
    let problems = validate_journey(&doc, &Limits::default());
    assert!(problems.is_empty(), "journey.json is invalid: {problems:?}");
    let journey: Journey = serde_json::from_str(JOURNEY).expect("journey.json is a journey");
    vec![journey]
});
static USERS_100K: LazyLock<Workload> = LazyLock::new(|| Workload::generate(100_000, SEED));
static USERS_10K: LazyLock<Workload> = LazyLock::new(|| Workload::generate(10_000, SEED));

fn workload(users: usize) -> &'static Workload {
    match users {
        100_000 => &USERS_100K,
        10_000 => &USERS_10K,
        _ => unreachable!("no workload of {users} users"),
    }
}

// ----- running the workload -----

/// What the engine emitted.
struct Tally {
    transitions: u64,
    entries: u64,
    entered: Vec<bool>,
    entered_users: usize,
    control: u64,
    goals: u64,
    left: u64,
    step_entries: u64,
    deliveries: u64,
}

impl Tally {
    fn new(users: usize) -> Self {
        Self {
            transitions: 0,
            entries: 0,
            entered: vec![false; users],
            entered_users: 0,
            control: 0,
            goals: 0,
            left: 0,
            step_entries: 0,
            deliveries: 0,
        }
    }

    fn add(&mut self, out: &[Transition]) {
        self.transitions += out.len() as u64;
        for t in out {
            match t.kind {
                TransitionKind::Journey(Change::Entered) => {
                    self.entries += 1;
                    let seen = &mut self.entered[t.user as usize];
                    if !*seen {
                        *seen = true;
                        self.entered_users += 1;
                    }
                }
                TransitionKind::Journey(Change::Exited) => self.left += 1,
                TransitionKind::Control => self.control += 1,
                TransitionKind::Goal => self.goals += 1,
                TransitionKind::Step {
                    change: Change::Entered,
                    ..
                } => self.step_entries += 1,
                TransitionKind::Delivery { .. } => self.deliveries += 1,
                TransitionKind::Step { .. } | TransitionKind::Converted { .. } => {}
            }
        }
    }

    /// Fails loudly when the workload did not exercise the engine.
    fn check(&self) {
        assert!(
            self.transitions > 0,
            "no transitions: the bench measures nothing"
        );
        assert!(self.entered_users > 0, "no user entered the journey");
        assert!(self.deliveries > 0, "no deliveries");
        assert!(self.goals > 0, "no goal reached");
    }
}

/// Applies every event of `w` to `engine`, tallying and dropping the transitions.
fn apply_all(engine: &mut Engine, w: &Workload, tally: &mut Tally, out: &mut Vec<Transition>) {
    let mut templates = w.templates.clone();
    for e in &w.events {
        let event = &mut templates[e.template as usize];
        event.at = e.at;
        engine.apply(&w.keys[e.user as usize], event, out);
        tally.add(out);
        out.clear();
    }
}

/// Fires every timer up to two days after the last event.
fn fire_timers(engine: &mut Engine, w: &Workload, tally: &mut Tally, out: &mut Vec<Transition>) {
    engine.advance_to(w.end + 2 * DAY, out);
    tally.add(out);
    out.clear();
}

/// One full run through a fresh engine.
fn run(w: &Workload) -> (Engine, Tally) {
    let mut engine = Engine::new(&JOURNEYS).expect("journey compiles");
    let mut tally = Tally::new(w.keys.len());
    let mut out = Vec::with_capacity(1024);
    apply_all(&mut engine, w, &mut tally, &mut out);
    fire_timers(&mut engine, w, &mut tally, &mut out);
    (engine, tally)
}

// ----- the report: memory per user, transitions, entries -----

fn count_steps(steps: &[Step]) -> usize {
    steps.iter().map(|s| 1 + count_steps(&s.steps)).sum()
}

fn report(users: usize) {
    let started = Instant::now();
    let journeys = &*JOURNEYS;
    let w = workload(users);
    let generated = started.elapsed();
    let identifies = w
        .events
        .iter()
        .filter(|e| w.templates[e.template as usize].name.is_none())
        .count();
    println!(
        "workload: {} users, {} events ({} track, {} identify), {} .. {}, generated in {:.2?}; \
         journey `{}` with {} steps",
        w.keys.len(),
        w.events.len(),
        w.events.len() - identifies,
        identifies,
        format_instant(w.events[0].at),
        format_instant(w.end),
        generated,
        journeys[0].id,
        1 + count_steps(&journeys[0].entry.steps),
    );

    let mut tally = Tally::new(w.keys.len());
    let mut out = Vec::with_capacity(1024);
    let mut engine = Engine::new(journeys).expect("journey compiles");
    let (bytes_before, blocks_before) = live();
    let rss_before = rss();
    let t0 = Instant::now();
    apply_all(&mut engine, w, &mut tally, &mut out);
    let elapsed = t0.elapsed();
    let (bytes_events, blocks_events) = live();
    let rss_events = rss();
    fire_timers(&mut engine, w, &mut tally, &mut out);
    let (bytes_timers, _) = live();
    assert_eq!(engine.user_count(), w.keys.len());

    let n = engine.user_count() as f64;
    let mb = |b: isize| b as f64 / 1e6;
    println!(
        "memory: {:.0} bytes/user over {} users ({:.1} MB live, {:.1} blocks/user) after all \
         events; {:.0} bytes/user after timers fired",
        (bytes_events - bytes_before) as f64 / n,
        engine.user_count(),
        mb(bytes_events - bytes_before),
        (blocks_events - blocks_before) as f64 / n,
        (bytes_timers - bytes_before) as f64 / n,
    );
    if let (Some(a), Some(b)) = (rss_before, rss_events) {
        println!(
            "memory: RSS grew {:.1} MB ({:.0} bytes/user, allocator overhead included)",
            mb(b - a),
            (b - a) as f64 / n
        );
    }
    println!(
        "transitions: {} emitted; {} users entered the journey ({} entries, {} control), {} step \
         entries, {} deliveries, {} goals, {} left",
        tally.transitions,
        tally.entered_users,
        tally.entries,
        tally.control,
        tally.step_entries,
        tally.deliveries,
        tally.goals,
        tally.left,
    );
    println!(
        "single pass (events only, allocator counting on): {:.2?}, {:.0} events/s",
        elapsed,
        w.events.len() as f64 / elapsed.as_secs_f64()
    );
    tally.check();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    if !has("--list") {
        // `cargo bench` passes `--bench`; `cargo test --benches` does not: keep tests quick.
        let benching = has("--bench") && !has("--test");
        report(if benching { 100_000 } else { 10_000 });
    }
    divan::main();
}

// ----- throughput -----

fn throughput(bencher: Bencher, users: usize) {
    let w = workload(users);
    bencher
        .counter(ItemsCount::new(w.events.len()))
        .bench_local(|| {
            let (engine, tally) = run(w);
            tally.check();
            // Returned so that dropping 100k users' state happens outside the timing.
            (engine, tally)
        });
}

/// Every event of 100,000 users (about a million) through a fresh engine, then timers.
#[divan::bench(sample_count = 3, sample_size = 1)]
fn apply_100k_users(bencher: Bencher) {
    throughput(bencher, 100_000);
}

/// The same with 10,000 users, for quick runs.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn apply_10k_users(bencher: Bencher) {
    throughput(bencher, 10_000);
}
