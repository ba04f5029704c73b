//! `waymark-loadgen`: a load generator for Waymark's Segment batch endpoint.
//!
//! Opens `--connections` keep-alive HTTP/1.1 connections and, on each, sends `/v1/batch`
//! requests one after another (closed loop: the next request leaves when the previous
//! response arrived) for `--warmup` plus `--duration`, with Basic auth. Every batch holds
//! `--batch` messages (track and identify, 300–500 bytes each, unique `messageId`s) about
//! users picked uniformly from `--users`. Only responses that arrive during the measured
//! `--duration` count. Prints requests/s, events/s acknowledged (`200`), latency
//! percentiles and errors by status.
//!
//! ```sh
//! waymark-loadgen --url http://127.0.0.1:8080 --write-key KEY --connections 16 \
//!     --batch 100 --duration 20s
//! ```

mod client;
mod workload;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::client::Connection;
use crate::workload::Generator;

/// Load generator for Waymark's Segment batch endpoint.
#[derive(Debug, Parser)]
#[command(name = "waymark-loadgen", version, about)]
struct Args {
    /// Base URL of the server (`http://host:port`); a path other than `/` replaces
    /// `/v1/batch`.
    #[arg(long)]
    url: String,
    /// The input's write key (sent as Basic auth `KEY:`).
    #[arg(long)]
    write_key: String,
    /// Concurrent keep-alive connections, each with one request in flight.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Messages per batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// How long to measure (`20s`, `500ms`, `2m`).
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    duration: Duration,
    /// How long to send before measuring.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    warmup: Duration,
    /// Distinct users the messages are about.
    #[arg(long, default_value_t = 100_000)]
    users: u64,
    /// Threads of the generator's runtime (keep it small on a machine shared with the
    /// server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Also print the results as one JSON object on the last line.
    #[arg(long)]
    json: bool,
}

/// Parses `<n>ms`, `<n>s` or `<n>m` (a bare number is seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 20s, 500ms or 2m"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s or m")),
    };
    Ok(Duration::from_secs_f64(secs))
}

/// Host, port and path of an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    /// `host:port`, for connecting.
    addr: String,
    /// The `Host` header.
    host: String,
    /// The request path.
    path: String,
}

fn parse_url(url: &str) -> Result<Target> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("`{url}`: only http:// URLs are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    if authority.is_empty() {
        bail!("`{url}` has no host");
    }
    let addr = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let path = match path {
        "" | "/" => "/v1/batch".to_string(),
        p => p.to_string(),
    };
    Ok(Target {
        addr,
        host: authority.to_string(),
        path,
    })
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// What one connection measured.
#[derive(Debug, Default)]
struct Stats {
    /// Latencies of the measured responses, in microseconds.
    latencies_us: Vec<u32>,
    /// Measured responses by status.
    statuses: BTreeMap<u16, u64>,
    /// Measured connection failures (connect, write, read, malformed responses).
    io_errors: u64,
    /// The first connection failure, to show.
    first_io_error: Option<String>,
    /// Messages in measured `200` responses.
    events_ok: u64,
    /// Bytes of the measured requests' bodies.
    body_bytes: u64,
}

impl Stats {
    fn absorb(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.io_errors += other.io_errors;
        if self.first_io_error.is_none() {
            self.first_io_error = other.first_io_error;
        }
        self.events_ok += other.events_ok;
        self.body_bytes += other.body_bytes;
    }
}

/// The run's shared settings.
#[derive(Debug, Clone)]
struct Plan {
    target: Target,
    auth: String,
    batch: usize,
    users: u64,
    run: String,
    measure_from: Instant,
    end: Instant,
}

/// The current time as RFC 3339 with milliseconds.
fn now_rfc3339() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}

/// One connection's closed loop.
async fn drive(plan: Plan, connection: usize) -> Stats {
    let mut stats = Stats::default();
    let mut generator = Generator::new(&plan.run, connection, plan.users);
    let mut body = Vec::with_capacity(plan.batch * 512);
    let mut request = Vec::with_capacity(plan.batch * 512 + 512);
    let mut conn: Option<Connection> = None;
    while Instant::now() < plan.end {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Connection::connect(&plan.target.addr).await {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    if Instant::now() >= plan.measure_from {
                        stats.io_errors += 1;
                        stats
                            .first_io_error
                            .get_or_insert_with(|| format!("connect: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        generator.fill_batch(&mut body, plan.batch, &now_rfc3339());
        request.clear();
        request.extend_from_slice(
            format!(
                "POST {} HTTP/1.1\r\nHost: {}\r\nAuthorization: Basic {}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                plan.target.path,
                plan.target.host,
                plan.auth,
                body.len()
            )
            .as_bytes(),
        );
        request.extend_from_slice(&body);
        let sent = Instant::now();
        let result = c.send(&request).await;
        let done = Instant::now();
        let measured = done >= plan.measure_from && done <= plan.end;
        match result {
            Ok(response) => {
                if measured {
                    let us = done.duration_since(sent).as_micros();
                    stats
                        .latencies_us
                        .push(u32::try_from(us).unwrap_or(u32::MAX));
                    *stats.statuses.entry(response.status).or_default() += 1;
                    stats.body_bytes += body.len() as u64;
                    if response.status == 200 {
                        stats.events_ok += plan.batch as u64;
                    }
                }
                if !response.keep_alive {
                    conn = None;
                }
            }
            Err(e) => {
                if measured {
                    stats.io_errors += 1;
                    stats.first_io_error.get_or_insert_with(|| e.to_string());
                }
                conn = None;
            }
        }
    }
    stats
}

/// The value at quantile `q` of sorted microseconds, in milliseconds.
fn quantile_ms(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Args) -> Result<ExitCode> {
    if args.connections == 0 || args.batch == 0 {
        bail!("--connections and --batch must be at least 1");
    }
    let target = parse_url(&args.url)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let run_id = format!("{:x}", jiff::Timestamp::now().as_millisecond());
    let stats = runtime.block_on(async {
        // Fail fast when nothing listens.
        Connection::connect(&target.addr)
            .await
            .with_context(|| format!("cannot connect to {}", target.addr))?;
        let start = Instant::now();
        let plan = Plan {
            target: target.clone(),
            auth: base64(format!("{}:", args.write_key).as_bytes()),
            batch: args.batch,
            users: args.users,
            run: run_id,
            measure_from: start + args.warmup,
            end: start + args.warmup + args.duration,
        };
        let tasks: Vec<_> = (0..args.connections)
            .map(|i| tokio::spawn(drive(plan.clone(), i)))
            .collect();
        let mut total = Stats::default();
        for task in tasks {
            total.absorb(task.await.context("a connection task failed")?);
        }
        anyhow::Ok(total)
    })?;
    report(&args, &target, stats);
    Ok(ExitCode::SUCCESS)
}

fn report(args: &Args, target: &Target, mut stats: Stats) {
    stats.latencies_us.sort_unstable();
    let secs = args.duration.as_secs_f64();
    let requests = stats.latencies_us.len() as u64;
    let ok = stats.statuses.get(&200).copied().unwrap_or(0);
    let avg_message = if requests > 0 {
        stats.body_bytes as f64 / (requests * args.batch as u64) as f64
    } else {
        0.0
    };
    let (p50, p90, p99, max) = (
        quantile_ms(&stats.latencies_us, 0.50),
        quantile_ms(&stats.latencies_us, 0.90),
        quantile_ms(&stats.latencies_us, 0.99),
        quantile_ms(&stats.latencies_us, 1.0),
    );
    let errors: Vec<String> = stats
        .statuses
        .iter()
        .filter(|(s, _)| **s != 200)
        .map(|(s, n)| format!("{s}: {n}"))
        .chain((stats.io_errors > 0).then(|| format!("io: {}", stats.io_errors)))
        .collect();
    println!(
        "waymark-loadgen: {} connections, batches of {}, {} users; {:.1} s measured after {:.1} s warm-up",
        args.connections,
        args.batch,
        args.users,
        secs,
        args.warmup.as_secs_f64()
    );
    println!(
        "target: http://{}{}   average message: {avg_message:.0} B",
        target.host, target.path
    );
    println!(
        "requests: {requests} ({:.1}/s), {ok} acknowledged (200)",
        requests as f64 / secs
    );
    println!(
        "events acknowledged: {} ({:.0}/s)",
        stats.events_ok,
        stats.events_ok as f64 / secs
    );
    println!("latency ms: p50 {p50:.2}  p90 {p90:.2}  p99 {p99:.2}  max {max:.2}");
    if errors.is_empty() {
        println!("errors: none");
    } else {
        println!("errors: {}", errors.join(", "));
        if let Some(e) = &stats.first_io_error {
            println!("  first connection error: {e}");
        }
    }
    if args.json {
        let statuses: serde_json::Map<String, serde_json::Value> = stats
            .statuses
            .iter()
            .map(|(s, n)| (s.to_string(), (*n).into()))
            .collect();
        let summary = serde_json::json!({
            "connections": args.connections,
            "batch": args.batch,
            "users": args.users,
            "seconds": secs,
            "requests": requests,
            "requests_per_s": requests as f64 / secs,
            "events_ok": stats.events_ok,
            "events_per_s": stats.events_ok as f64 / secs,
            "latency_ms": {"p50": p50, "p90": p90, "p99": p99, "max": max},
            "statuses": statuses,
            "io_errors": stats.io_errors,
            "avg_message_bytes": avg_message,
        });
        println!("{summary}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("3h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn urls() {
        let t = parse_url("http://127.0.0.1:8080").expect("valid");
        assert_eq!(t.addr, "127.0.0.1:8080");
        assert_eq!(t.path, "/v1/batch");
        let t = parse_url("http://localhost/v1/import").expect("valid");
        assert_eq!(t.addr, "localhost:80");
        assert_eq!(t.host, "localhost");
        assert_eq!(t.path, "/v1/import");
        assert!(parse_url("https://x").is_err());
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"wk_web:"), "d2tfd2ViOg==");
    }

    #[test]
    fn quantiles() {
        let sorted: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(quantile_ms(&sorted, 0.5), 50.0);
        assert_eq!(quantile_ms(&sorted, 0.99), 99.0);
        assert_eq!(quantile_ms(&sorted, 1.0), 100.0);
        assert_eq!(quantile_ms(&[], 0.5), 0.0);
    }
}
