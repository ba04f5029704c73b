//! Reading the stored event log back in arrival order, for replays.

use waymark_deliver::User;
use waymark_engine::Event;
use waymark_store::{ArrivedEvent, ProfileId, Store, StoredEvent};

use crate::RuntimeError;
use crate::runner::LiveEvent;

/// One stored event as the runtime replays it, with the identity of its profile; `None`
/// for an event whose profile has no identifier left.
pub(crate) fn live_event(workspace: &str, a: ArrivedEvent) -> Option<(LiveEvent, Identity)> {
    let key = a.user_id.clone().or_else(|| a.anonymous_id.clone())?;
    let identity = (
        (workspace.to_string(), a.profile),
        key.clone(),
        User {
            user_id: a.user_id,
            anonymous_id: a.anonymous_id,
        },
    );
    let event = LiveEvent {
        workspace: workspace.to_string(),
        seq: a.seq,
        received_at: a.event.received_at,
        key,
        event: event_of(workspace, a.event),
    };
    Some((event, identity))
}

/// A profile's slot, its key and identifiers, as learnt from history.
pub(crate) type Identity = ((String, ProfileId), String, User);

/// Every stored event of every workspace: each workspace's in arrival order, workspaces
/// interleaved by receipt time. Also each profile's current key and identifiers.
pub(crate) fn load_history(
    store: &dyn Store,
) -> Result<(Vec<LiveEvent>, Vec<Identity>), RuntimeError> {
    let mut lanes: Vec<Vec<LiveEvent>> = Vec::new();
    let mut identities = Vec::new();
    for ws in store.workspaces()? {
        let mut lane = Vec::new();
        store.for_each_event_by_arrival(&ws.id, &mut |a: ArrivedEvent| {
            if let Some((event, identity)) = live_event(&ws.id, a) {
                identities.push(identity);
                lane.push(event);
            }
        })?;
        lanes.push(lane);
    }
    Ok((interleave(lanes), identities))
}

/// Every `workspace/input` that exists.
pub(crate) fn input_ids(store: &dyn Store) -> Result<Vec<String>, RuntimeError> {
    let mut out = Vec::new();
    for ws in store.workspaces()? {
        for input in store.inputs(&ws.id)? {
            out.push(format!("{}/{}", ws.id, input.id));
        }
    }
    Ok(out)
}

/// Merges lanes that are each in order, taking the earliest receipt first (ties: the
/// first lane).
fn interleave(lanes: Vec<Vec<LiveEvent>>) -> Vec<LiveEvent> {
    let total = lanes.iter().map(Vec::len).sum();
    let mut iters: Vec<std::iter::Peekable<std::vec::IntoIter<LiveEvent>>> = lanes
        .into_iter()
        .map(|l| l.into_iter().peekable())
        .collect();
    let mut out = Vec::with_capacity(total);
    loop {
        let next = iters
            .iter_mut()
            .enumerate()
            .filter_map(|(i, it)| it.peek().map(|e| (e.received_at, i)))
            .min();
        match next {
            Some((_, i)) => out.extend(iters[i].next()),
            None => return out,
        }
    }
}

/// The engine's event for a stored one; its input becomes `workspace/input`.
pub(crate) fn event_of(workspace: &str, e: StoredEvent) -> Event {
    Event {
        at: e.timestamp,
        name: e.name,
        properties: e.properties,
        context: e.context,
        traits: e.traits,
        input: e.input.map(|i| format!("{workspace}/{i}")),
    }
}
