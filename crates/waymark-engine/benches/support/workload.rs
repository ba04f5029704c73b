//! A deterministic synthetic workload for the engine benchmarks: shoppers on web, iOS and
//! Android browsing, adding to cart, ordering and sending a few `identify` calls, spread over
//! three days and interleaved across users in time order.
//!
//! Events are built once from a small set of templates (one per event kind, variant and
//! input), so that the measured loop only sets each event's time before applying it and the
//! workload itself stays small in memory (16 bytes per planned event).

use serde_json::{Map, Value, json};
use waymark_engine::Event;
use waymark_engine::time::Millis;

pub const SECOND: Millis = 1_000;
pub const MINUTE: Millis = 60 * SECOND;
pub const HOUR: Millis = 60 * MINUTE;
pub const DAY: Millis = 24 * HOUR;
/// 2026-01-05T00:00:00Z.
pub const START: Millis = 1_767_571_200_000;
/// Events span this long after `START`.
pub const SPAN: Millis = 3 * DAY;

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for a workload.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: Millis, hi: Millis) -> Millis {
        lo + self.below((hi - lo) as u64) as Millis
    }

    /// True with probability `percent / 100`.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// An index drawn with these weights.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

/// What a user does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PageViewed,
    ProductViewed,
    ProductAdded,
    CheckoutStarted,
    OrderCompleted,
    Identify,
}

const KINDS: [Kind; 6] = [
    Kind::PageViewed,
    Kind::ProductViewed,
    Kind::ProductAdded,
    Kind::CheckoutStarted,
    Kind::OrderCompleted,
    Kind::Identify,
];

impl Kind {
    fn name(self) -> Option<&'static str> {
        Some(match self {
            Kind::PageViewed => "Page Viewed",
            Kind::ProductViewed => "Product Viewed",
            Kind::ProductAdded => "Product Added",
            Kind::CheckoutStarted => "Checkout Started",
            Kind::OrderCompleted => "Order Completed",
            Kind::Identify => return None,
        })
    }

    /// How many distinct templates of this kind per input.
    fn variants(self) -> usize {
        match self {
            Kind::PageViewed => 8,
            Kind::ProductViewed | Kind::ProductAdded => 32,
            Kind::CheckoutStarted => 4,
            Kind::OrderCompleted => 8,
            Kind::Identify => IDENTIFY_VARIANTS,
        }
    }
}

/// Identify variants: the last `UNSUBSCRIBE_VARIANTS` set `unsubscribed: true`.
const IDENTIFY_VARIANTS: usize = 12;
const UNSUBSCRIBE_VARIANTS: usize = 2;
const CATEGORIES: [&str; 4] = ["Shoes", "Shirts", "Bags", "Hats"];
const PAGES: [&str; 8] = [
    "/", "/sale", "/new", "/search", "/account", "/help", "/cart", "/blog",
];
const PLANS: [&str; 3] = ["free", "plus", "pro"];
const INPUTS: [&str; 3] = ["web", "ios", "android"];
const ZONES: [&str; 4] = [
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Paris",
];

/// One event of the workload: who, when, and which template.
#[derive(Debug, Clone, Copy)]
pub struct Planned {
    pub at: Millis,
    pub user: u32,
    pub template: u32,
}

/// Users, event templates and the time-ordered event plan.
pub struct Workload {
    pub keys: Vec<String>,
    pub templates: Vec<Event>,
    pub events: Vec<Planned>,
    /// The last event's time.
    pub end: Millis,
}

impl Workload {
    /// `users` users with 7 to 15 events each (about 10 on average once cut at the end of the
    /// span), seeded.
    pub fn generate(users: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let (templates, first) = templates();
        let pick = |rng: &mut SplitMix64, kind: Kind, input: usize| -> u32 {
            let k = KINDS.iter().position(|x| *x == kind).unwrap();
            let variant = match kind {
                Kind::Identify if rng.percent(4) => {
                    IDENTIFY_VARIANTS - UNSUBSCRIBE_VARIANTS
                        + rng.below(UNSUBSCRIBE_VARIANTS as u64) as usize
                }
                Kind::Identify => {
                    rng.below((IDENTIFY_VARIANTS - UNSUBSCRIBE_VARIANTS) as u64) as usize
                }
                _ => rng.below(kind.variants() as u64) as usize,
            };
            (first[input][k] + variant) as u32
        };
        let mut keys = Vec::with_capacity(users);
        let mut events = Vec::with_capacity(users * 10);
        for user in 0..users {
            keys.push(format!("usr_{:016x}", rng.next_u64()));
            let input = rng.weighted(&[60, 25, 15]);
            // Most shoppers browse; a quarter came to buy.
            let buyer = rng.percent(25);
            let weights: [u64; 6] = [18, 46, 16, 6, if buyer { 8 } else { 1 }, 3];
            let n = 7 + rng.below(9);
            let mut t = START + rng.range(0, SPAN - 12 * HOUR);
            for k in 0..n {
                let kind = if k == 0 && rng.percent(30) {
                    Kind::Identify
                } else {
                    KINDS[rng.weighted(&weights)]
                };
                events.push(Planned {
                    at: t,
                    user: user as u32,
                    template: pick(&mut rng, kind, input),
                });
                // Mostly within a session; sometimes the shopper comes back hours later.
                t += if rng.percent(20) {
                    rng.range(HOUR, 20 * HOUR)
                } else {
                    rng.range(15 * SECOND, 10 * MINUTE)
                };
                if t >= START + SPAN {
                    break;
                }
            }
        }
        // Interleave users in time order (stable, so each user's events keep their order).
        events.sort_by_key(|e| (e.at, e.user));
        let end = events.last().map_or(START, |e| e.at);
        Self {
            keys,
            templates,
            events,
            end,
        }
    }
}

/// Every template, and the index of the first template of each (input, kind).
fn templates() -> (Vec<Event>, Vec<[usize; KINDS.len()]>) {
    let mut all = Vec::new();
    let mut first = Vec::new();
    for input in INPUTS {
        let mut starts = [0; KINDS.len()];
        for (k, kind) in KINDS.iter().enumerate() {
            starts[k] = all.len();
            for v in 0..kind.variants() {
                all.push(template(*kind, v, input));
            }
        }
        first.push(starts);
    }
    (all, first)
}

fn template(kind: Kind, v: usize, input: &str) -> Event {
    let context = match input {
        "web" => json!({
            "library": {"name": "analytics.js", "version": "4.1.0"},
            "locale": "en-US",
            "page": {"path": format!("/p/{v}"), "referrer": "https://www.google.com/"},
            "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15"
        }),
        os => json!({
            "library": {"name": format!("analytics-{os}"), "version": "1.8.2"},
            "locale": "en-US",
            "app": {"name": "Shop", "version": "5.2.0", "build": "5200"},
            "device": {"type": os, "model": "Pixel 8"},
            "os": {"name": os, "version": "17.2"}
        }),
    };
    let product = |v: usize| {
        json!({
            "product_id": format!("sku-{:05}", v * 7919 % 100_000),
            "name": format!("Product {v}"),
            "category": CATEGORIES[v % CATEGORIES.len()],
            "price": 9.99 + (v as f64) * 5.0,
            "currency": "USD"
        })
    };
    let properties = match kind {
        Kind::PageViewed => json!({
            "path": PAGES[v % PAGES.len()],
            "title": "Shop"
        }),
        Kind::ProductViewed | Kind::ProductAdded => {
            let mut p = product(v);
            if kind == Kind::ProductAdded {
                p["quantity"] = json!(1 + v % 3);
            }
            p
        }
        Kind::CheckoutStarted => json!({"value": 20.0 * (v as f64 + 1.0), "currency": "USD"}),
        Kind::OrderCompleted => json!({
            "order_id": format!("o-{v}"),
            // One order variant in eight is free (a fully discounted order): not a goal.
            "revenue": if v == 0 { 0.0 } else { 19.5 * v as f64 },
            "currency": "USD",
            "products": [product(v), product(v + 8)]
        }),
        Kind::Identify => Value::Null,
    };
    let mut traits = Map::new();
    if kind == Kind::Identify {
        traits.insert("email".into(), json!(format!("shopper{v}@example.com")));
        traits.insert("plan".into(), json!(PLANS[v % PLANS.len()]));
        traits.insert("timezone".into(), json!(ZONES[v % ZONES.len()]));
        traits.insert(
            "unsubscribed".into(),
            json!(v >= IDENTIFY_VARIANTS - UNSUBSCRIBE_VARIANTS),
        );
    }
    Event {
        at: START,
        name: kind.name().map(str::to_owned),
        properties,
        context,
        traits,
        input: Some(input.to_owned()),
    }
}
