//! The runtime's clock. The engine never reads one; the runtime asks this for "now" so that
//! tests can drive time by hand.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use waymark_engine::time::Millis;

/// Told the new time each time a clock is moved by hand; answers whether it still wants to
/// be told (`false` once whatever it wakes is gone).
pub type MoveListener = Box<dyn Fn(Millis) -> bool + Send + Sync>;

/// A source of the current time in milliseconds since the epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> Millis;

    /// Calls `listener` after every move made by hand, so that whoever waits for a time
    /// wakes when the clock reaches it rather than at its next look. A clock that moves by
    /// itself never calls it: the runtime's own timed waits follow it.
    fn on_move(&self, listener: MoveListener) {
        drop(listener);
    }
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Millis {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as Millis)
    }
}

/// A clock that moves only when told to (tests). Each move wakes the runtime that reads
/// it: once [`ManualClock::set`] returns, the runtime's next call runs after the timers due
/// at the new time have fired and their outbox records are written.
#[derive(Clone, Default)]
pub struct ManualClock(Arc<Inner>);

#[derive(Default)]
struct Inner {
    now: AtomicI64,
    listeners: Mutex<Vec<MoveListener>>,
}

impl std::fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: Millis) -> Self {
        let clock = Self::default();
        clock.0.now.store(at, Ordering::SeqCst);
        clock
    }

    /// Moves the clock to `at` and tells its listeners (also when `at` is the time it
    /// shows: a test's way to have the runtime look at the clock now).
    pub fn set(&self, at: Millis) {
        self.0.now.store(at, Ordering::SeqCst);
        let mut listeners = self.0.listeners.lock().unwrap_or_else(|e| e.into_inner());
        listeners.retain(|listener| listener(at));
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        self.0.now.load(Ordering::SeqCst)
    }

    fn on_move(&self, listener: MoveListener) {
        let mut listeners = self.0.listeners.lock().unwrap_or_else(|e| e.into_inner());
        listeners.push(listener);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn moves_are_told_to_listeners_until_they_leave() {
        let clock = ManualClock::new(10);
        let (tx, rx) = mpsc::channel();
        clock.on_move(Box::new(move |at| tx.send(at).is_ok()));
        clock.set(20);
        clock.set(25);
        clock.set(25);
        assert_eq!(clock.now(), 25);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), [20, 25, 25]);
        // Once the receiving side is gone, the listener is dropped at the next move.
        drop(rx);
        clock.set(30);
        assert!(clock.0.listeners.lock().unwrap().is_empty());
    }

    #[test]
    fn a_copy_shares_the_time_and_the_listeners() {
        let clock = ManualClock::new(0);
        let copy = clock.clone();
        let (tx, rx) = mpsc::channel();
        copy.on_move(Box::new(move |at| tx.send(at).is_ok()));
        clock.set(7);
        assert_eq!(copy.now(), 7);
        assert_eq!(rx.try_recv(), Ok(7));
    }
}
