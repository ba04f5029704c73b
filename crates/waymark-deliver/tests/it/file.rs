use crate::delivery;
use waymark_deliver::file::FileOutput;
use waymark_deliver::{Change, ConnectionMode, Output, Verdict};

#[tokio::test]
async fn appends_ndjson_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/deeper/deliveries.ndjson");
    let out = FileOutput::new(&path);
    let first = [
        delivery(ConnectionMode::Event, Change::Entered, 1),
        delivery(ConnectionMode::Identify, Change::Entered, 1),
    ];
    assert_eq!(out.send(&first).await.sent, 2);
    let second = [delivery(ConnectionMode::Event, Change::Exited, 1)];
    assert_eq!(out.send(&second).await.sent, 1);

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for (line, d) in lines.iter().zip(first.iter().chain(&second)) {
        assert_eq!(line["messageId"], d.message_id());
    }
    assert_eq!(lines[2]["event"], "Audience Exited");
}

#[tokio::test]
async fn stops_at_a_list_mode_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ndjson");
    let batch = [
        delivery(ConnectionMode::Event, Change::Entered, 1),
        delivery(ConnectionMode::List, Change::Entered, 1),
    ];
    let outcome = FileOutput::new(&path).send(&batch).await;
    assert_eq!((outcome.sent, outcome.verdict()), (1, Verdict::Fail));
    assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 1);
}

#[tokio::test]
async fn unwritable_path_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be.
    let outcome = FileOutput::new(dir.path())
        .send(&[delivery(ConnectionMode::Event, Change::Entered, 1)])
        .await;
    assert_eq!(
        (outcome.sent, outcome.verdict()),
        (0, Verdict::Retry { after: None })
    );
}
