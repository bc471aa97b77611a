//! What the audio thread shares with the control thread across JACK clients: the engine, lent
//! to whichever client runs, and the port table that maps [`PortRef`]s to the current client's
//! ports. Both outlive a client, so that a JACK server restart changes neither the session's
//! port handles nor the engine's state.

use crate::backend::PortRef;
use crate::rt::AudioEngine;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const FREE: u8 = 0;
const RUNNING: u8 = 1;
const TAKEN: u8 = 2;

/// The engine as one client's callback holds it: the callback runs it while the cell is not
/// taken back; once the control thread took it (the client died), the callback never touches it
/// again. One atomic state, no lock: the audio thread only ever tries, never waits.
pub struct EngineCell {
    state: AtomicU8,
    engine: UnsafeCell<Option<AudioEngine>>,
}

// SAFETY: the engine is reached only by whoever moved `state` from FREE (the audio thread to
// RUNNING, the control thread to TAKEN), so never by two threads at once; `AudioEngine` is Send.
unsafe impl Sync for EngineCell {}

impl EngineCell {
    pub fn new(engine: AudioEngine) -> EngineCell {
        EngineCell { state: AtomicU8::new(FREE), engine: UnsafeCell::new(Some(engine)) }
    }

    /// Run `f` on the engine unless it was taken back (then false). Real-time safe.
    pub fn with<R>(&self, f: impl FnOnce(&mut AudioEngine) -> R) -> Option<R> {
        if self.state.compare_exchange(FREE, RUNNING, Ordering::Acquire, Ordering::Relaxed).is_err() {
            return None;
        }
        // SAFETY: the state is RUNNING, set by this thread: nobody else reaches the engine.
        let r = unsafe { (*self.engine.get()).as_mut().map(f) };
        self.state.store(FREE, Ordering::Release);
        r
    }

    /// Whether a callback is running the engine now.
    pub fn running(&self) -> bool {
        self.state.load(Ordering::Relaxed) == RUNNING
    }

    /// Take the engine back for good, waiting up to `wait` for a callback running it to end.
    /// None when the callback did not end in time (the audio thread is stuck).
    pub fn take(&self, wait: Duration) -> Option<AudioEngine> {
        let deadline = Instant::now() + wait;
        loop {
            match self.state.compare_exchange(FREE, TAKEN, Ordering::Acquire, Ordering::Relaxed) {
                // SAFETY: the state is TAKEN for good: the audio thread never reaches the
                // engine again.
                Ok(_) => return unsafe { (*self.engine.get()).take() },
                Err(TAKEN) => return None,
                Err(_) if Instant::now() >= deadline => return None,
                Err(_) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
    }
}

/// Most node ports krd holds at once (JACK servers may allow fewer: newer PipeWire caps a client
/// at `jack.max-client-ports`, 768; a port past a server's limit fails to register, and the node
/// asking for it is refused).
pub const MAX_PORTS: usize = 4096;

/// The current client's port behind each [`PortRef`] (a slot number), read by the audio thread.
/// A slot holds 0 while its port is not registered (no server): the callback then sees no
/// buffer. The control thread writes a slot only while no graph reading it runs, or while no
/// client is active.
pub struct PortTable {
    slots: Box<[AtomicUsize]>,
}

impl Default for PortTable {
    fn default() -> Self {
        PortTable { slots: (0..MAX_PORTS).map(|_| AtomicUsize::new(0)).collect() }
    }
}

impl PortTable {
    /// The port address in slot `port`, or 0. Real-time safe.
    pub fn get(&self, port: PortRef) -> usize {
        self.slots.get(port.raw()).map_or(0, |s| s.load(Ordering::Acquire))
    }

    pub fn set(&self, slot: usize, address: usize) {
        self.slots[slot].store(address, Ordering::Release);
    }
}

/// Waits between attempts to reach a JACK server: a quarter second, doubling up to two.
#[derive(Debug)]
pub struct Backoff {
    next: Instant,
    wait: Duration,
}

const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(2);

impl Backoff {
    /// Try at once, then back off.
    pub fn new(now: Instant) -> Backoff {
        Backoff { next: now, wait: FIRST_WAIT }
    }

    pub fn due(&self, now: Instant) -> bool {
        now >= self.next
    }

    /// An attempt failed at `now`.
    pub fn failed(&mut self, now: Instant) {
        self.next = now + self.wait;
        self.wait = (self.wait * 2).min(LONGEST_WAIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_two_seconds() {
        let t = Instant::now();
        let mut b = Backoff::new(t);
        assert!(b.due(t));
        let mut waits = Vec::new();
        let mut now = t;
        for _ in 0..6 {
            b.failed(now);
            let next = b.next;
            waits.push(next - now);
            assert!(!b.due(now));
            now = next;
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![250, 500, 1000, 2000, 2000, 2000]);
    }

    #[test]
    fn an_empty_slot_has_no_port() {
        let table = PortTable::default();
        assert_eq!(table.get(PortRef::from_raw(7)), 0);
        table.set(7, 1234);
        assert_eq!(table.get(PortRef::from_raw(7)), 1234);
        assert_eq!(table.get(PortRef::from_raw(MAX_PORTS + 1)), 0, "out of range is no port");
    }
}
