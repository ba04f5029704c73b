//! Puts generated messages in time order and numbers them.

use waymark_engine::time::Millis;

use super::DemoMessage;

/// The first `limit` messages by event time (ties keep generation order, so a user's
/// messages at one instant stay in order), with message ids `<prefix><n>`.
///
/// Sorts small keys and then permutes the messages in place, moving each about once:
/// messages are large, and shuffling them through a comparison sort costs more than
/// generating them.
pub fn in_time_order(
    mut messages: Vec<DemoMessage>,
    limit: usize,
    prefix: &str,
) -> Vec<DemoMessage> {
    let mut keys: Vec<(Millis, usize)> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| (m.message.event.at, i))
        .collect();
    keys.sort_unstable();
    // `source[k]` is the index of the message that belongs at position `k`.
    let mut source: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    for start in 0..source.len() {
        let mut k = start;
        while source[k] != start {
            let from = source[k];
            messages.swap(k, from);
            source[k] = k;
            k = from;
        }
        source[k] = k;
    }
    messages.truncate(limit);
    for (n, m) in messages.iter_mut().enumerate() {
        m.message.message_id = Some(format!("{prefix}{n}"));
    }
    messages
}

#[cfg(test)]
mod tests {
    use waymark_engine::{Message, MessageKind};

    use super::*;

    fn at(t: Millis, tag: &str) -> DemoMessage {
        let mut message = Message {
            timestamp_adjusted: false,
            message_id: None,
            kind: MessageKind::Track,
            identity: Default::default(),
            event: Default::default(),
            received_at: t,
        };
        message.event.at = t;
        message.event.name = Some(tag.to_owned());
        DemoMessage {
            workspace: "shop",
            input: "web",
            message,
        }
    }

    #[test]
    fn sorts_stably_truncates_and_numbers() {
        let input = vec![
            at(5, "a"),
            at(1, "b"),
            at(5, "c"),
            at(0, "d"),
            at(3, "e"),
            at(1, "f"),
        ];
        let out = in_time_order(input, 5, "x-");
        let tags: Vec<_> = out
            .iter()
            .map(|m| m.message.event.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(tags, ["d", "b", "f", "e", "a"]);
        let ids: Vec<_> = out
            .iter()
            .map(|m| m.message.message_id.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(ids, ["x-0", "x-1", "x-2", "x-3", "x-4"]);
    }
}
