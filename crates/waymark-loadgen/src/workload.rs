//! The synthetic workload: Segment batches of `track` and `identify` messages about a pool
//! of users, each message 300–500 bytes of compact JSON with a unique `messageId`, shaped
//! like what analytics.js and the server libraries send.

use std::io::Write;

/// `track` event names, with the properties each carries.
const EVENTS: [&str; 6] = [
    "Product Viewed",
    "Product Added",
    "Checkout Started",
    "Order Completed",
    "Products Searched",
    "Video Playback Started",
];

/// Product categories.
const CATEGORIES: [&str; 5] = ["shoes", "outerwear", "accessories", "kitchen", "books"];

/// Subscription plans for identify traits.
const PLANS: [&str; 3] = ["free", "pro", "enterprise"];

/// One message in this many is an `identify`; the rest are `track`.
const IDENTIFY_EVERY: u64 = 5;

const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36";

/// Generates batch bodies for one connection. Deterministic for a given seed; message ids
/// are unique across connections and runs (`run` and the connection number are in them).
#[derive(Debug)]
pub struct Generator {
    rng: u64,
    run: String,
    connection: usize,
    seq: u64,
    users: u64,
}

impl Generator {
    /// A generator for connection `connection` of run `run` over `users` users.
    pub fn new(run: &str, connection: usize, users: u64) -> Self {
        Self {
            rng: 0x9E37_79B9_7F4A_7C15
                ^ ((connection as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9)),
            run: run.to_string(),
            connection,
            seq: 0,
            users: users.max(1),
        }
    }

    /// xorshift64*: fast and good enough to pick users and values.
    fn next(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Writes `{"batch":[…],"sentAt":now}` with `size` messages timestamped `now` (RFC 3339).
    pub fn fill_batch(&mut self, out: &mut Vec<u8>, size: usize, now: &str) {
        out.clear();
        out.extend_from_slice(b"{\"batch\":[");
        for i in 0..size {
            if i > 0 {
                out.push(b',');
            }
            self.message(out, now);
        }
        // Writing to a Vec cannot fail.
        let _ = write!(out, "],\"sentAt\":\"{now}\"}}");
    }

    /// Appends one message.
    fn message(&mut self, out: &mut Vec<u8>, now: &str) {
        self.seq += 1;
        let seq = self.seq;
        let user = self.below(self.users);
        let ip = self.below(250) + 1;
        let identify = seq.is_multiple_of(IDENTIFY_EVERY);
        let kind = if identify { "identify" } else { "track" };
        let _ = write!(
            out,
            "{{\"type\":\"{kind}\",\"userId\":\"user-{user}\",\"anonymousId\":\"anon-{user:08x}\",\
             \"messageId\":\"lg-{}-{}-{seq}\",\"timestamp\":\"{now}\",",
            self.run, self.connection
        );
        if identify {
            let plan = PLANS[self.below(PLANS.len() as u64) as usize];
            let logins = self.below(200);
            let _ = write!(
                out,
                "\"traits\":{{\"email\":\"user-{user}@example.com\",\"name\":\"User {user}\",\
                 \"plan\":\"{plan}\",\"logins\":{logins}}},\
                 \"context\":{{\"library\":{{\"name\":\"analytics-node\",\"version\":\"2.1.2\"}},\
                 \"ip\":\"203.0.113.{ip}\"}}}}"
            );
        } else {
            let event = EVENTS[self.below(EVENTS.len() as u64) as usize];
            let category = CATEGORIES[self.below(CATEGORIES.len() as u64) as usize];
            let sku = self.below(10_000);
            let cents = self.below(20_000) + 99;
            let position = self.below(24) + 1;
            let _ = write!(
                out,
                "\"event\":\"{event}\",\"properties\":{{\"product_id\":\"sku-{sku}\",\
                 \"category\":\"{category}\",\"price\":{}.{:02},\"currency\":\"USD\",\
                 \"position\":{position}}},\
                 \"context\":{{\"library\":{{\"name\":\"analytics.js\",\"version\":\"5.2.0\"}},\
                 \"page\":{{\"path\":\"/products/sku-{sku}\"}},\"userAgent\":\"{USER_AGENT}\",\
                 \"ip\":\"203.0.113.{ip}\"}}}}",
                cents / 100,
                cents % 100
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::Value;

    use super::*;

    #[test]
    fn batches_are_json_with_unique_ids_and_realistic_sizes() {
        // A run id and connection number as long as real ones.
        let mut generator = Generator::new("19aab3c4d5e", 63, 100_000);
        let mut body = Vec::new();
        let mut ids = HashSet::new();
        let mut sizes = Vec::new();
        for _ in 0..10 {
            generator.fill_batch(&mut body, 100, "2026-01-05T12:00:00.123Z");
            let value: Value = serde_json::from_slice(&body).expect("valid JSON");
            assert_eq!(value["sentAt"], "2026-01-05T12:00:00.123Z");
            let batch = value["batch"].as_array().expect("a batch array");
            assert_eq!(batch.len(), 100);
            let identifies = batch.iter().filter(|m| m["type"] == "identify").count();
            assert_eq!(identifies, 20);
            for m in batch {
                let len = m.to_string().len();
                assert!((300..=500).contains(&len), "{len} bytes: {m}");
                sizes.push(len);
                assert!(m["userId"].is_string() && m["anonymousId"].is_string());
                ids.insert(m["messageId"].as_str().expect("an id").to_string());
            }
        }
        assert_eq!(ids.len(), 1000, "message ids repeat");
        let average = sizes.iter().sum::<usize>() / sizes.len();
        assert!((350..=480).contains(&average), "average {average} bytes");
    }
}
