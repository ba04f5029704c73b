use crate::delivery;
use crate::receiver::Receiver;
use std::time::Duration;
use waymark_deliver::http::{HttpClient, HttpConfig};
use waymark_deliver::segment::SegmentOutput;
use waymark_deliver::{Change, ConnectionMode, Output, Verdict};

#[tokio::test]
async fn posts_a_batch_with_basic_auth() {
    let receiver = Receiver::start(&[], None).await;
    let config = HttpConfig {
        timeout: Duration::from_secs(5),
        allow_private: vec!["127.0.0.0/8".into()],
    };
    let out =
        SegmentOutput::new(&receiver.url, "wk_test", HttpClient::new(&config).unwrap()).unwrap();
    // Two connections of one step, one per mode.
    let mut identify = delivery(ConnectionMode::Identify, Change::Entered, 1);
    identify.connection_id = "c2".into();
    let batch = [
        delivery(ConnectionMode::Event, Change::Entered, 1),
        identify,
    ];
    let outcome = out.send(&batch).await;
    assert_eq!((outcome.sent, outcome.verdict()), (2, Verdict::Success));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.uri.path(), "/v1/batch");
    assert_eq!(request.header("authorization"), "Basic d2tfdGVzdDo="); // "wk_test:"
    assert_eq!(request.header("content-type"), "application/json");
    let body = request.json();
    let messages = body["batch"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    let key = &batch[0].step_key;
    assert_eq!(messages[0]["type"], "track");
    assert_eq!(messages[0]["event"], "Audience Entered");
    assert_eq!(messages[0]["properties"]["audience_key"], key.as_str());
    assert_eq!(messages[0]["properties"][key], true);
    assert_eq!(messages[1]["type"], "identify");
    assert_eq!(messages[1]["traits"][key], true);
    for (message, d) in messages.iter().zip(&batch) {
        assert_eq!(message["userId"], "u1");
        assert_eq!(message["messageId"], d.message_id());
        assert_eq!(
            message["context"]["personas"]["computation_class"],
            "journey_step"
        );
    }
    assert_ne!(messages[0]["messageId"], messages[1]["messageId"]);

    // An empty slice sends nothing.
    assert_eq!(out.send(&[]).await.sent, 0);
    assert_eq!(receiver.requests().len(), 1);
}
