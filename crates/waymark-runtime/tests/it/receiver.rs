//! A scripted HTTP receiver on std threads (one per connection, keep-alive): it records
//! every POST body with the status it answered, answers by a rule the test gives, and can
//! hold requests until the test opens its gate (to watch how many are in flight at once).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How to answer one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
}

impl Answer {
    pub fn status(status: u16) -> Self {
        Self {
            status,
            retry_after: None,
        }
    }
}

/// Chooses the answer from the request's body and how many requests came before it.
pub type Rule = Box<dyn Fn(&Value, usize) -> Answer + Send + Sync>;

#[derive(Default)]
struct Seen {
    /// (body, status answered), in arrival order.
    requests: Vec<(Value, u16)>,
    /// Requests being handled now, and the most at once.
    in_flight: usize,
    max_in_flight: usize,
    /// While closed, requests wait before they are answered.
    gate_closed: bool,
}

struct Inner {
    rule: Rule,
    seen: Mutex<Seen>,
    changed: Condvar,
}

/// A running receiver; its threads end with the test process.
pub struct Receiver {
    pub url: String,
    inner: Arc<Inner>,
}

impl Receiver {
    pub fn start(rule: Rule) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let inner = Arc::new(Inner {
            rule,
            seen: Mutex::new(Seen::default()),
            changed: Condvar::new(),
        });
        let accepting = Arc::clone(&inner);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let inner = Arc::clone(&accepting);
                std::thread::spawn(move || serve(&inner, stream));
            }
        });
        Self { url, inner }
    }

    /// Answers 200 to everything.
    pub fn ok() -> Self {
        Self::start(Box::new(|_, _| Answer::status(200)))
    }

    /// Holds every request until [`Receiver::open`].
    pub fn close(&self) {
        self.inner.seen.lock().unwrap().gate_closed = true;
    }

    pub fn open(&self) {
        self.inner.seen.lock().unwrap().gate_closed = false;
        self.inner.changed.notify_all();
    }

    /// Every request so far: (body, status).
    pub fn requests(&self) -> Vec<(Value, u16)> {
        self.inner.seen.lock().unwrap().requests.clone()
    }

    /// The bodies it accepted (2xx), in order.
    pub fn accepted(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|(_, s)| (200..300).contains(s))
            .map(|(b, _)| b)
            .collect()
    }

    pub fn in_flight(&self) -> usize {
        self.inner.seen.lock().unwrap().in_flight
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.seen.lock().unwrap().max_in_flight
    }

    /// Waits (on the receiver's own wake-ups, with a deadline) until `done` holds.
    pub fn wait_until(&self, what: &str, done: impl Fn(&[(Value, u16)], usize) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = self.inner.seen.lock().unwrap();
        while !done(&seen.requests, seen.in_flight) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the receiver never saw {what}: {} requests, {} in flight",
                seen.requests.len(),
                seen.in_flight
            );
            seen = self.inner.changed.wait_timeout(seen, left).unwrap().0;
        }
    }
}

fn serve(inner: &Inner, stream: TcpStream) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).is_err() {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = {
            let mut seen = inner.seen.lock().unwrap();
            seen.in_flight += 1;
            seen.max_in_flight = seen.max_in_flight.max(seen.in_flight);
            inner.changed.notify_all();
            while seen.gate_closed {
                seen = inner.changed.wait(seen).unwrap();
            }
            let answer = (inner.rule)(&body, seen.requests.len());
            seen.requests.push((body, answer.status));
            seen.in_flight -= 1;
            inner.changed.notify_all();
            answer
        };
        let retry = answer
            .retry_after
            .map(|s| format!("retry-after: {s}\r\n"))
            .unwrap_or_default();
        let reply = format!(
            "HTTP/1.1 {} X\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n{retry}\r\nok",
            answer.status
        );
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}
