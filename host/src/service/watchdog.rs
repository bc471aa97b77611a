//! Whether krd is healthy enough to tell systemd's watchdog so.
//!
//! The watchdog must stop hearing from a krd whose audio thread is stuck (systemd then restarts
//! it, and the session comes back from the state file): a ping is sent only when the control
//! loop turned and, while a JACK client is active, the audio callback ran since the last look.
//! While krd waits for a JACK server there is no audio callback to watch; the control loop alone
//! then keeps the watchdog fed. An engine that panicked (it is silenced and no longer runs) counts
//! as stuck too: a restart brings it back from the state file.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// Signs of life, bumped by the threads that must keep running.
#[derive(Debug, Default)]
pub struct Heartbeats {
    /// Audio callbacks that ran the engine (the audio thread adds one per callback).
    pub audio_cycles: AtomicU64,
    /// Turns of the control loop.
    pub control_loops: AtomicU64,
    /// Whether a JACK client is active (false while krd waits for a server).
    pub audio_active: AtomicBool,
    /// Whether the saved session was restored (or there was none to restore).
    pub restored: AtomicBool,
}

/// The heartbeats at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Beat {
    pub audio_cycles: u64,
    pub control_loops: u64,
    pub audio_active: bool,
}

impl Heartbeats {
    pub fn read(&self) -> Beat {
        Beat {
            audio_cycles: self.audio_cycles.load(Relaxed),
            control_loops: self.control_loops.load(Relaxed),
            audio_active: self.audio_active.load(Relaxed),
        }
    }

    /// The control loop turned once more.
    pub fn control_turned(&self) {
        self.control_loops.fetch_add(1, Relaxed);
    }
}

/// Compares each look at the heartbeats with the one before.
#[derive(Debug, Default)]
pub struct Health {
    last: Option<Beat>,
}

impl Health {
    /// Look again: `Ok` when krd stayed healthy since the last look, else what is stuck. The
    /// first look only takes note (nothing to compare yet) and counts as healthy.
    pub fn check(&mut self, now: Beat) -> Result<(), &'static str> {
        let Some(last) = self.last.replace(now) else { return Ok(()) };
        if now.control_loops == last.control_loops {
            return Err("the control loop is stuck");
        }
        // Audio is watched only across two looks that both saw a client active: a client that
        // just came (or went) has had no time to run.
        if last.audio_active && now.audio_active && now.audio_cycles == last.audio_cycles {
            return Err("the audio callback is stuck");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(audio_cycles: u64, control_loops: u64, audio_active: bool) -> Beat {
        Beat { audio_cycles, control_loops, audio_active }
    }

    #[test]
    fn both_threads_advancing_is_healthy() {
        let mut h = Health::default();
        assert!(h.check(beat(0, 0, true)).is_ok());
        assert!(h.check(beat(10, 5, true)).is_ok());
        assert!(h.check(beat(20, 9, true)).is_ok());
    }

    #[test]
    fn a_stuck_audio_callback_is_unhealthy_while_a_client_is_active() {
        let mut h = Health::default();
        h.check(beat(10, 5, true)).unwrap();
        assert_eq!(h.check(beat(10, 9, true)), Err("the audio callback is stuck"));
        assert!(h.check(beat(11, 12, true)).is_ok(), "healthy again once it runs");
    }

    #[test]
    fn waiting_for_a_server_only_the_control_loop_counts() {
        let mut h = Health::default();
        h.check(beat(10, 5, false)).unwrap();
        assert!(h.check(beat(10, 9, false)).is_ok());
        assert!(h.check(beat(10, 12, true)).is_ok(), "a client just came: no callback yet is fine");
        assert_eq!(h.check(beat(10, 12, true)), Err("the control loop is stuck"));
    }

    #[test]
    fn a_stuck_control_loop_is_unhealthy() {
        let mut h = Health::default();
        h.check(beat(10, 5, false)).unwrap();
        assert_eq!(h.check(beat(10, 5, false)), Err("the control loop is stuck"));
    }
}
