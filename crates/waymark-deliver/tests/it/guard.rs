use crate::delivery;
use crate::receiver::Receiver;
use waymark_deliver::http::{Guard, GuardError, HttpClient, HttpConfig};
use waymark_deliver::webhook::WebhookOutput;
use waymark_deliver::{Change, ConnectionMode, Output, SendError, Verdict};

const SECRET: &str = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl";

#[tokio::test]
async fn refuses_non_public_destinations() {
    let guard = Guard::new(&[]).unwrap();
    for host in [
        "10.0.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "[::1]",
        "::ffff:10.0.0.1",
        "localhost",
        "127.0.0.1",
    ] {
        let result = guard.resolve(host, 80).await;
        assert!(
            matches!(result, Err(GuardError::Blocked { .. })),
            "{host}: {result:?}"
        );
    }
}

#[tokio::test]
async fn allow_list_permits_loopback() {
    let guard = Guard::new(&["127.0.0.0/8".into()]).unwrap();
    let addrs = guard.resolve("127.0.0.1", 8080).await.unwrap();
    assert_eq!(addrs, vec!["127.0.0.1:8080".parse().unwrap()]);
    // Only what the list names: other private ranges stay refused.
    assert!(matches!(
        guard.resolve("10.0.0.1", 80).await,
        Err(GuardError::Blocked { .. })
    ));
}

#[tokio::test]
async fn blocked_requests_never_leave() {
    let receiver = Receiver::start(&[], Some(SECRET)).await;
    let port = receiver.url.rsplit(':').next().unwrap().to_owned();
    let http = HttpClient::new(&HttpConfig::default()).unwrap();
    let d = [delivery(ConnectionMode::Event, Change::Entered, 1)];
    // An IP literal is checked before the request, a name by the resolver.
    for url in [receiver.url.clone(), format!("http://localhost:{port}/")] {
        let outcome = WebhookOutput::new(&url, SECRET, http.clone())
            .unwrap()
            .send(&d)
            .await;
        assert!(
            matches!(
                outcome.error,
                Some(SendError::Guard(GuardError::Blocked { .. }))
            ),
            "{url}: {:?}",
            outcome.error
        );
        assert_eq!(outcome.verdict(), Verdict::Fail);
    }
    assert!(receiver.requests().is_empty());
}

/// Outputs are checked when they are made, before anything is sent.
#[test]
fn destinations_are_checked_before_sending() {
    use waymark_deliver::http::DestinationError;
    let strict = HttpClient::new(&HttpConfig::default()).unwrap();
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://localhost:8080/hook",
        "https://169.254.169.254/latest",
    ] {
        assert!(
            matches!(
                strict.check_destination(url),
                Err(DestinationError::Guard(GuardError::Blocked { .. }))
            ),
            "{url}"
        );
    }
    assert!(matches!(
        strict.check_destination("ftp://example.com"),
        Err(DestinationError::Config(_))
    ));
    assert!(strict.check_destination("https://1.1.1.1/hook").is_ok());
    let allowing = HttpClient::new(&HttpConfig {
        allow_private: vec!["127.0.0.0/8".into()],
        ..HttpConfig::default()
    })
    .unwrap();
    assert!(
        allowing
            .check_destination("http://127.0.0.1:9/hook")
            .is_ok()
    );
}
