use crate::delivery;
use crate::receiver::{Receiver, Reply};
use std::time::{Duration, Instant};
use waymark_deliver::http::{HttpClient, HttpConfig};
use waymark_deliver::webhook::WebhookOutput;
use waymark_deliver::{Change, ConnectionMode, Output, SendError, Verdict};

const SECRET: &str = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl";

fn output(url: &str, timeout: Duration) -> WebhookOutput {
    let config = HttpConfig {
        timeout,
        allow_private: vec!["127.0.0.0/8".into()],
    };
    WebhookOutput::new(url, SECRET, HttpClient::new(&config).unwrap()).unwrap()
}

#[tokio::test]
async fn retry_after_500_reuses_the_message_id() {
    let receiver = Receiver::start(&[Reply::Status(500)], Some(SECRET)).await;
    let out = output(
        &format!("{}/hooks/waymark", receiver.url),
        Duration::from_secs(5),
    );
    let d = delivery(ConnectionMode::Event, Change::Entered, 1);

    let first = out.send(std::slice::from_ref(&d)).await;
    assert_eq!(first.sent, 0);
    assert_eq!(first.verdict(), Verdict::Retry { after: None });
    assert_eq!(first.error.as_ref().and_then(SendError::status), Some(500));
    // The receiver's answer is kept for the attempt log.
    let answer = first.answer.as_ref().expect("an answer");
    assert_eq!(answer.status, 500);
    assert!(answer.excerpt.len() <= waymark_deliver::http::EXCERPT_BYTES);

    let second = out.send(std::slice::from_ref(&d)).await;
    assert_eq!((second.sent, second.verdict()), (1, Verdict::Success));
    assert_eq!(second.answer.map(|a| a.status), Some(200));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.uri.path(), "/hooks/waymark");
        assert_eq!(request.header("content-type"), "application/json");
        assert_eq!(request.header("webhook-id"), d.message_id());
        assert_eq!(request.json()["messageId"], d.message_id());
        assert_eq!(request.json()["event"], "Audience Entered");
        assert!(request.header("webhook-signature").starts_with("v1,"));
    }
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn stops_at_the_first_failure() {
    let receiver = Receiver::start(&[Reply::Status(200), Reply::Status(503)], Some(SECRET)).await;
    let out = output(&receiver.url, Duration::from_secs(5));
    let batch = [
        delivery(ConnectionMode::Event, Change::Entered, 1),
        delivery(ConnectionMode::Identify, Change::Exited, 1),
        delivery(ConnectionMode::Event, Change::Entered, 2),
    ];
    let outcome = out.send(&batch).await;
    assert_eq!(
        (outcome.sent, outcome.verdict()),
        (1, Verdict::Retry { after: None })
    );
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].json()["type"], "identify");
    assert_eq!(requests[1].header("webhook-id"), batch[1].message_id());
}

#[tokio::test]
async fn gone_disables() {
    let receiver = Receiver::start(&[Reply::Status(410)], Some(SECRET)).await;
    let outcome = output(&receiver.url, Duration::from_secs(5))
        .send(&[delivery(ConnectionMode::Event, Change::Entered, 1)])
        .await;
    assert_eq!(outcome.verdict(), Verdict::Disable);
}

#[tokio::test]
async fn client_errors_and_redirects_fail() {
    let receiver = Receiver::start(&[Reply::Status(400), Reply::Status(302)], Some(SECRET)).await;
    let out = output(&receiver.url, Duration::from_secs(5));
    let d = [delivery(ConnectionMode::Event, Change::Entered, 1)];
    assert_eq!(out.send(&d).await.verdict(), Verdict::Fail);
    assert_eq!(out.send(&d).await.verdict(), Verdict::Fail);
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let receiver = Receiver::start(&[Reply::RetryAfter(429, "2")], Some(SECRET)).await;
    let outcome = output(&receiver.url, Duration::from_secs(5))
        .send(&[delivery(ConnectionMode::Event, Change::Entered, 1)])
        .await;
    assert_eq!(
        outcome.verdict(),
        Verdict::Retry {
            after: Some(Duration::from_secs(2))
        }
    );
}

#[tokio::test]
async fn hanging_receiver_times_out_as_retry() {
    let receiver = Receiver::start(&[Reply::Hang], Some(SECRET)).await;
    let out = output(&receiver.url, Duration::from_millis(300));
    let started = Instant::now();
    let outcome = out
        .send(&[delivery(ConnectionMode::Event, Change::Entered, 1)])
        .await;
    let elapsed = started.elapsed();
    assert!(
        matches!(outcome.error, Some(SendError::Timeout)),
        "{:?}",
        outcome.error
    );
    assert_eq!(outcome.verdict(), Verdict::Retry { after: None });
    assert!(
        elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_retried() {
    // Bind and drop a listener to find a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let outcome = output(&format!("http://127.0.0.1:{port}"), Duration::from_secs(5))
        .send(&[delivery(ConnectionMode::Event, Change::Entered, 1)])
        .await;
    assert!(
        matches!(outcome.error, Some(SendError::Transport(_))),
        "{:?}",
        outcome.error
    );
    assert_eq!(outcome.verdict(), Verdict::Retry { after: None });
}

#[tokio::test]
async fn list_mode_is_a_permanent_failure() {
    let receiver = Receiver::start(&[], Some(SECRET)).await;
    let outcome = output(&receiver.url, Duration::from_secs(5))
        .send(&[delivery(ConnectionMode::List, Change::Entered, 1)])
        .await;
    assert_eq!((outcome.sent, outcome.verdict()), (0, Verdict::Fail));
    assert!(receiver.requests().is_empty());
}
