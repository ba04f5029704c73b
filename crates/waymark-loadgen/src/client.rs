//! A minimal HTTP/1.1 client over one keep-alive TCP connection: enough to POST a body and
//! read a `Content-Length` (or chunked) response, with little CPU of its own, so that the
//! server gets most of a shared machine.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most header bytes a response may have.
const MAX_HEAD: usize = 64 * 1024;

/// What a response said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Whether the connection may be reused.
    pub keep_alive: bool,
}

/// One keep-alive connection.
#[derive(Debug)]
pub struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
}

impl Connection {
    /// Connects to `addr` (`host:port`) with Nagle's algorithm off.
    pub async fn connect(addr: &str) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8 * 1024),
        })
    }

    /// Sends a complete request (head and body in one buffer) and reads the response,
    /// discarding its body.
    pub async fn send(&mut self, request: &[u8]) -> io::Result<Response> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn fill(&mut self) -> io::Result<()> {
        self.buf.reserve(8 * 1024);
        let n = self.stream.read_buf(&mut self.buf).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }

    async fn read_response(&mut self) -> io::Result<Response> {
        let (head_len, status, body, keep_alive) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let status = response.code.unwrap_or(0);
                    let mut body = Body::Length(0);
                    let mut keep_alive = response.version == Some(1);
                    for h in response.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let n = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse().ok())
                                .ok_or_else(|| invalid("a bad Content-Length"))?;
                            body = Body::Length(n);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding")
                            && h.value.eq_ignore_ascii_case(b"chunked")
                        {
                            body = Body::Chunked;
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            keep_alive = !h.value.eq_ignore_ascii_case(b"close");
                        }
                    }
                    break (len, status, body, keep_alive);
                }
                Ok(httparse::Status::Partial) => {
                    if self.buf.len() > MAX_HEAD {
                        return Err(invalid("the response head is too large"));
                    }
                    self.fill().await?;
                }
                Err(e) => return Err(invalid(&format!("a malformed response: {e}"))),
            }
        };
        self.buf.drain(..head_len);
        match body {
            Body::Length(n) => self.skip(n).await?,
            Body::Chunked => self.skip_chunked().await?,
        }
        Ok(Response { status, keep_alive })
    }

    /// Consumes `n` body bytes.
    async fn skip(&mut self, n: usize) -> io::Result<()> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        self.buf.drain(..n);
        Ok(())
    }

    /// Consumes a chunked body (no trailers expected beyond the final CRLF).
    async fn skip_chunked(&mut self) -> io::Result<()> {
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                if self.buf.len() > MAX_HEAD {
                    return Err(invalid("a chunk size line is too long"));
                }
                self.fill().await?;
            };
            let size_text = std::str::from_utf8(&self.buf[..line_end])
                .ok()
                .and_then(|l| l.split(';').next())
                .map(str::trim)
                .ok_or_else(|| invalid("a bad chunk size"))?;
            let size =
                usize::from_str_radix(size_text, 16).map_err(|_| invalid("a bad chunk size"))?;
            self.buf.drain(..line_end + 2);
            // The chunk and its CRLF (for the last chunk: the final CRLF).
            self.skip(size + 2).await?;
            if size == 0 {
                return Ok(());
            }
        }
    }
}

/// How the response body is delimited.
enum Body {
    Length(usize),
    Chunked,
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}
