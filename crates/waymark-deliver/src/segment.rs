//! Segment-spec calls to any Segment-compatible endpoint (Segment itself, RudderStack, or
//! Waymark's own `/v1/batch`).

use crate::delivery::Delivery;
use crate::http::{Answer, ConfigError, HttpClient, parse_url};
use crate::output::{Outcome, Output, SendError};
use crate::payload;
use reqwest::Url;
use serde_json::{Value, json};

/// An output that POSTs deliveries as one `{"batch": [...]}` to `<endpoint>/v1/batch`, with
/// HTTP Basic auth: the write key as user name and an empty password.
#[derive(Debug, Clone)]
pub struct SegmentOutput {
    url: Url,
    write_key: String,
    http: HttpClient,
}

impl SegmentOutput {
    /// A Segment output to `endpoint` (for example `https://api.segment.io`; a path prefix
    /// is kept) with `write_key`.
    pub fn new(endpoint: &str, write_key: &str, http: HttpClient) -> Result<Self, ConfigError> {
        let base = endpoint.trim_end_matches('/');
        let url = parse_url(&format!("{base}/v1/batch"))?;
        Ok(Self {
            url,
            write_key: write_key.to_owned(),
            http,
        })
    }

    async fn send_batch(&self, deliveries: &[Delivery]) -> Result<Answer, SendError> {
        let batch = deliveries
            .iter()
            .map(payload::message)
            .collect::<Result<Vec<Value>, _>>()?;
        let body = json!({ "batch": batch }).to_string().into_bytes();
        let headers = [("content-type", "application/json".to_owned())];
        self.http
            .post(&self.url, &headers, Some(&self.write_key), body)
            .await
    }
}

impl Output for SegmentOutput {
    /// One request for the whole slice: all are accepted or none.
    async fn send(&self, deliveries: &[Delivery]) -> Outcome {
        if deliveries.is_empty() {
            return Outcome::success(0);
        }
        match self.send_batch(deliveries).await {
            Ok(answer) => Outcome::success(deliveries.len()).answered(Some(answer)),
            Err(error) => Outcome::failed(0, error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::HttpConfig;

    #[test]
    fn batch_url() {
        let http = HttpClient::new(&HttpConfig::default()).unwrap();
        for (endpoint, url) in [
            ("https://api.segment.io", "https://api.segment.io/v1/batch"),
            ("https://api.segment.io/", "https://api.segment.io/v1/batch"),
            (
                "http://127.0.0.1:8080/waymark/",
                "http://127.0.0.1:8080/waymark/v1/batch",
            ),
        ] {
            let output = SegmentOutput::new(endpoint, "k", http.clone()).unwrap();
            assert_eq!(output.url.as_str(), url);
        }
        assert!(SegmentOutput::new("api.segment.io", "k", http).is_err());
    }
}
