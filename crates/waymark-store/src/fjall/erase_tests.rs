//! Physical erasure on the fjall backend: after a deletion is erased, no file of the store
//! holds the profile's data any more — journal, tables, anything.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use waymark_engine::{Event, Identity, Message, MessageKind};

use super::{FjallOptions, FjallStore};
use crate::{Store, Workspace};

const EMAIL: &str = "forget-me-3f9a1c@example.com";
const PROPERTY: &str = "secret-basket-7d2e44";

fn message(kind: MessageKind, user: &str, properties: serde_json::Value) -> Message {
    let traits = match kind {
        MessageKind::Identify => [("email".to_string(), json!(EMAIL))].into_iter().collect(),
        _ => Default::default(),
    };
    Message {
        message_id: None,
        timestamp_adjusted: false,
        kind,
        identity: Identity {
            user_id: Some(user.into()),
            ..Identity::default()
        },
        event: Event {
            at: 1_000,
            name: (kind == MessageKind::Track).then(|| "Checked Out".to_string()),
            properties,
            context: serde_json::Value::Null,
            traits,
            input: None,
        },
        received_at: 1_000,
    }
}

/// Whether any file under `dir` contains `needle`.
fn on_disk(dir: &Path, needle: &str) -> bool {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            return true;
        }
    }
    false
}

fn seeded(dir: &Path, options: FjallOptions) -> FjallStore {
    let store = FjallStore::open_with(dir, options).unwrap();
    store
        .create_workspace(Workspace {
            id: "w".into(),
            name: "w".into(),
        })
        .unwrap();
    let basket = json!({"basket": PROPERTY});
    store
        .ingest(
            "w",
            "web",
            vec![
                message(MessageKind::Identify, "gone", json!({})),
                message(MessageKind::Track, "gone", basket),
                message(MessageKind::Track, "kept", json!({"basket": "ordinary"})),
            ],
        )
        .unwrap();
    store
}

#[test]
fn erase_now_leaves_nothing_of_the_profile_in_any_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = seeded(dir.path(), FjallOptions::default());
    // The data is really on disk first, so the check below can fail.
    assert!(on_disk(dir.path(), EMAIL), "the email was never written");
    assert!(
        on_disk(dir.path(), PROPERTY),
        "the property was never written"
    );
    assert!(store.delete_profile("w", "gone", false).unwrap());
    // Deleted, not yet erased: the old values are still in the files.
    assert!(on_disk(dir.path(), EMAIL));
    store.erase_deleted().unwrap();
    drop(store);
    assert!(!on_disk(dir.path(), EMAIL), "the email survived erasure");
    assert!(
        !on_disk(dir.path(), PROPERTY),
        "the property survived erasure"
    );
    // What was not deleted is intact after a restart.
    let store = FjallStore::open(dir.path()).unwrap();
    assert!(store.profile("w", "gone").unwrap().is_none());
    assert_eq!(store.events("w", "kept", 10).unwrap().unwrap().len(), 1);
}

#[test]
fn a_deletion_is_erased_within_the_bound_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let options = FjallOptions {
        erase_within: Duration::from_millis(200),
        ..FjallOptions::default()
    };
    let store = seeded(dir.path(), options);
    assert!(on_disk(dir.path(), EMAIL));
    assert!(store.delete_profile("w", "gone", false).unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while on_disk(dir.path(), EMAIL) || on_disk(dir.path(), PROPERTY) {
        assert!(Instant::now() < deadline, "not erased 30 s after deletion");
        std::thread::sleep(Duration::from_millis(50));
    }
}
