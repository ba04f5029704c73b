//! A scripted HTTP receiver that records every request and verifies webhook signatures.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use waymark_deliver::webhook::{self, Secret};

/// How to answer one request; requests beyond the script get 200.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    Status(u16),
    RetryAfter(u16, &'static str),
    Hang,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Shared {
    script: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
    secret: Option<Secret>,
}

/// A running receiver.
pub struct Receiver {
    pub url: String,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Starts a receiver; with a secret, requests whose signature does not verify get 401.
    pub async fn start(script: &[Reply], secret: Option<&str>) -> Self {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.iter().copied().collect()),
            requests: Mutex::new(Vec::new()),
            secret: secret.map(|s| Secret::parse(s).unwrap()),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, shared }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded { uri, headers, body };
    if let Some(secret) = &shared.secret {
        let now = jiff::Timestamp::now().as_second();
        let verified = webhook::verify(
            secret,
            recorded.header("webhook-id"),
            recorded.header("webhook-timestamp"),
            recorded.header("webhook-signature"),
            &recorded.body,
            now,
            webhook::DEFAULT_TOLERANCE_SECS,
        );
        if verified.is_err() {
            return StatusCode::UNAUTHORIZED.into_response();
        }
    }
    shared.requests.lock().unwrap().push(recorded);
    let reply = shared.script.lock().unwrap().pop_front();
    match reply {
        None => StatusCode::OK.into_response(),
        Some(Reply::Status(status)) => StatusCode::from_u16(status).unwrap().into_response(),
        Some(Reply::RetryAfter(status, after)) => (
            StatusCode::from_u16(status).unwrap(),
            [("retry-after", after)],
        )
            .into_response(),
        Some(Reply::Hang) => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            StatusCode::OK.into_response()
        }
    }
}
