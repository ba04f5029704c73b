//! A live `waymark serve` for tests, and the std-only HTTP/1.1 pieces to talk to it: a tiny
//! client (one request per connection) and a recording proxy that can lose responses on
//! purpose (the request reaches the server, the client is told 503 and retries).

use std::collections::VecDeque;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::support::waymark;

/// How long a request may take before the tiny client gives up.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `waymark serve`, killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Everything it printed, both streams.
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `waymark serve --data DATA --config CONFIG --listen 127.0.0.1:0` and waits for
    /// "Waymark is listening on http://ADDR".
    pub fn start(data: &Path, config: &Path) -> Server {
        let mut child = waymark()
            .arg("serve")
            .arg("--data")
            .arg(data)
            .arg("--config")
            .arg(config)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start waymark serve: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        let stdout_log = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("Waymark is listening on http://") {
                    let _ = tx.send(addr.trim().to_string());
                }
                push_line(&stdout_log, &line);
            }
        });
        let stderr = child.stderr.take().expect("piped stderr");
        let stderr_log = Arc::clone(&log);
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                push_line(&stderr_log, &line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait();
                panic!(
                    "waymark serve did not say where it listens ({status:?}); it printed:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        let addr = addr
            .parse()
            .unwrap_or_else(|e| panic!("waymark serve printed a bad address `{addr}`: {e}"));
        Server { child, addr, log }
    }

    /// The process id (to read its CPU time in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the server printed so far.
    pub fn output(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `kill -9` and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// GET an admin API path with a bearer token: the status and the JSON body.
    pub fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let auth = format!("Bearer {token}");
        let response = request(self.addr, "GET", path, &[("Authorization", &auth)], b"")
            .unwrap_or_else(|e| {
                panic!("GET {path} failed: {e}\nserver output:\n{}", self.output())
            });
        let body = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
            panic!(
                "GET {path}: {} with a body that is not JSON ({e}): {}",
                response.status,
                String::from_utf8_lossy(&response.body)
            )
        });
        (response.status, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn push_line(log: &Mutex<String>, line: &str) {
    let mut log = log.lock().unwrap();
    log.push_str(line);
    log.push('\n');
}

/// An HTTP response.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// One request on a fresh connection (`Connection: close`): `Host` and `Content-Length` are
/// added to `headers`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    stream.write_all(&bytes)?;
    stream.flush()?;
    let mut reader = BufReader::new(stream);
    let (status_line, headers) = read_head(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no response"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_data(format!("bad status line `{status_line}`")))?;
    let body = read_body(&mut reader, &headers, true)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A header's value (names compared without case).
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn bad_data(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A start line and its headers.
type Head = (String, Vec<(String, String)>);

/// Reads the start line and the headers (names lowercased); `None` at a clean end of stream.
fn read_head(reader: &mut impl BufRead) -> io::Result<Option<Head>> {
    let mut start = String::new();
    if reader.read_line(&mut start)? == 0 {
        return Ok(None);
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the stream ended inside the headers",
            ));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad_data(format!("bad header line `{line}`")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Some((start.trim_end().to_string(), headers)))
}

/// Reads a body framed by `Transfer-Encoding: chunked` or `Content-Length`; without either,
/// to the end of the stream when `to_eof` (responses) or empty (requests).
fn read_body(
    reader: &mut impl BufRead,
    headers: &[(String, String)],
    to_eof: bool,
) -> io::Result<Vec<u8>> {
    let chunked = header(headers, "transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size_line = String::new();
            reader.read_line(&mut size_line)?;
            let size_text = size_line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| bad_data(format!("bad chunk size `{size_text}`")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(length) = header(headers, "content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| bad_data(format!("bad Content-Length `{length}`")))?;
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    } else if to_eof {
        reader.read_to_end(&mut body)?;
    }
    Ok(body)
}

/// What the proxy saw of one request and did with it.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// Method.
    pub method: String,
    /// Path (with query).
    pub path: String,
    /// Request headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// The request body as received (still compressed when it was).
    pub body: Vec<u8>,
    /// The server's status, or the error that kept the request from it.
    pub upstream: Result<u16, String>,
    /// The status the client got.
    pub replied: u16,
}

impl Exchange {
    /// A request header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

/// A recording HTTP proxy in front of a server. The first `lose` requests that the server
/// accepts (2xx) get a 503 instead of the server's answer, as when a response is lost on the
/// way back: the server has the data, the client retries.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    exchanges: Arc<Mutex<Vec<Exchange>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Starts the proxy in front of `upstream`.
    pub fn start(upstream: SocketAddr, lose: usize) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let exchanges = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let budget = Arc::new(AtomicUsize::new(lose));
        let (log, stopped) = (Arc::clone(&exchanges), Arc::clone(&stop));
        thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (log, budget) = (Arc::clone(&log), Arc::clone(&budget));
                        thread::spawn(move || {
                            let _ = relay(stream, upstream, &log, &budget);
                        });
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Proxy {
            addr,
            exchanges,
            stop,
        }
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every exchange so far, in the order the responses were sent.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.exchanges.lock().unwrap().clone()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Headers the proxy does not pass on (it frames the upstream request itself).
const HOP_HEADERS: [&str; 6] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "expect",
];

/// Serves one connection: one request, forwarded; one response, then close.
fn relay(
    stream: TcpStream,
    upstream: SocketAddr,
    log: &Mutex<Vec<Exchange>>,
    budget: &AtomicUsize,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let Some((request_line, headers)) = read_head(&mut reader)? else {
        return Ok(());
    };
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let body = read_body(&mut reader, &headers, false)?;
    let forwarded: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(n, _)| !HOP_HEADERS.contains(&n.as_str()))
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let answer = request(upstream, &method, &path, &forwarded, &body);
    let (status, content_type, reply_body) = match &answer {
        Ok(r) if (200..300).contains(&r.status) && take_one(budget) => (
            503,
            "application/json".to_string(),
            br#"{"code":"injected_fault","message":"the test proxy lost the server's response"}"#
                .to_vec(),
        ),
        Ok(r) => (
            r.status,
            r.header("content-type")
                .unwrap_or("application/octet-stream")
                .to_string(),
            r.body.clone(),
        ),
        Err(e) => (
            502,
            "application/json".to_string(),
            format!(r#"{{"code":"bad_gateway","message":"{e}"}}"#).into_bytes(),
        ),
    };
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        reason(status),
        reply_body.len()
    );
    if !reply_body.is_empty() {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&reply_body);
    // Recorded before the client hears back, so a client that exits right after its last
    // response never races the log.
    log.lock().unwrap().push(Exchange {
        method,
        path,
        headers,
        body,
        upstream: answer.map(|r| r.status).map_err(|e| e.to_string()),
        replied: status,
    });
    writer.write_all(&out)?;
    writer.flush()
}

/// Takes one unit from the budget, if any is left.
fn take_one(budget: &AtomicUsize) -> bool {
    budget
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Writes `toml` as `dir/waymark.toml`; returns its path.
pub fn write_config(dir: &Path, toml: &str) -> PathBuf {
    let config = dir.join("waymark.toml");
    std::fs::write(&config, toml)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));
    config
}

/// Keeps the last `n` lines of a text (for failure messages).
pub fn tail(text: &str, n: usize) -> String {
    let mut lines: VecDeque<&str> = VecDeque::with_capacity(n);
    for line in text.lines() {
        if lines.len() == n {
            lines.pop_front();
        }
        lines.push_back(line);
    }
    lines.into_iter().collect::<Vec<_>>().join("\n")
}
