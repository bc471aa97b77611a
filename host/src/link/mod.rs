//! Ableton Link: krd's tempo and beat phase follow a Link session (`/kr/link`).
//!
//! Link is GPL-2.0-or-later, so it is compiled in only with the cargo feature `link` (off by
//! default); without it `/kr/link 1` is refused with a message saying how to build it.
//!
//! The mapping is TidalCycles' and SuperCollider's: Link beat = kr cycle × meter, and the Link
//! quantum is `meter × quantum` beats (`quantum` in cycles, default 1: peers agree on where a
//! cycle starts). krd follows the session — it requests its beat, never forces it — and its own
//! tempo changes go to the session.
//!
//! Everything runs on the control thread, polled from the scheduler's tick at most
//! [`POLL_EVERY`] apart; rusty_link's callbacks are not used (they keep a pointer to a closure
//! that no longer exists). Nothing runs on the audio thread: frames are paired with Link time
//! through the cycle times it already publishes ([`timing`]).

pub mod timing;

#[cfg(feature = "link")]
mod peer;

use crate::clock::Clock;
use crate::rt::CycleTimes;
use kr_pattern::Time;
use std::time::{Duration, Instant};
use thiserror::Error;

/// How often the session is read (50 Hz): a peer's tempo change reaches the scheduler within
/// this, well inside its lookahead.
pub const POLL_EVERY: Duration = Duration::from_millis(20);

/// Why `/kr/link` was refused.
#[derive(Debug, Error, PartialEq)]
pub enum LinkError {
    #[error("krd was built without Link (cargo build --features link); Link is GPL-2.0-or-later, so krd leaves it out unless asked: build krd with that feature to join a Link session")]
    NotBuilt,
    #[error("Link needs the audio clock of a live engine (JACK); `krd render` has none")]
    NoClock,
}

/// What was last read from the session, for `/kr/status`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub peers: u64,
    pub tempo: f64,
    /// The beat (on krd's own beat line: cycle × meter) now.
    pub beat: f64,
    /// The quantum in beats (meter × quantum cycles).
    pub quantum_beats: f64,
}

/// Whether krd follows a Link session, and the session while it does.
pub struct LinkSync {
    /// Link quantum in cycles.
    quantum: f64,
    /// How long after a frame is processed it is heard (config `engine.link_latency_ms`): onsets
    /// are placed this much early so that they sound on the beat.
    latency_us: f64,
    #[cfg(feature = "link")]
    joined: Option<peer::Joined>,
    #[cfg(not(feature = "link"))]
    joined: Option<std::convert::Infallible>,
    last_poll: Option<Instant>,
    reading: Option<Reading>,
}

impl LinkSync {
    pub fn new(latency_seconds: f64) -> LinkSync {
        LinkSync { quantum: 1.0, latency_us: latency_seconds * 1e6, joined: None, last_poll: None, reading: None }
    }

    /// Whether this krd was built with Link.
    pub const fn built() -> bool {
        cfg!(feature = "link")
    }

    pub fn is_on(&self) -> bool {
        self.joined.is_some()
    }

    /// The quantum (cycles) while on: what the state file keeps.
    pub fn saved(&self) -> Option<f64> {
        self.is_on().then_some(self.quantum)
    }

    /// Whether [`LinkSync::set`] would succeed. `live` says whether the engine has an audio
    /// clock to pair with Link's.
    pub fn check(on: bool, live: bool) -> Result<(), LinkError> {
        match (on, Self::built(), live) {
            (false, _, _) => Ok(()),
            (true, false, _) => Err(LinkError::NotBuilt),
            (true, true, false) => Err(LinkError::NoClock),
            (true, true, true) => Ok(()),
        }
    }

    /// Join the session (`on`) with `quantum` cycles per Link quantum, or leave it.
    pub fn set(&mut self, on: bool, quantum: f64, clock: &Clock, live: bool) -> Result<String, LinkError> {
        Self::check(on, live)?;
        if !on {
            let was = self.joined.take().is_some();
            self.reading = None;
            return Ok(if was { "left the Link session".into() } else { "Link is off".into() });
        }
        self.quantum = quantum;
        self.join(clock);
        self.last_poll = None;
        Ok(format!(
            "following Link: quantum {quantum} cycle(s) = {} beats (meter {})",
            quantum * clock.meter,
            clock.meter
        ))
    }

    #[cfg(feature = "link")]
    fn join(&mut self, clock: &Clock) {
        match self.joined.as_mut() {
            // Already in: the new quantum places krd's beat again at the next poll.
            Some(j) => j.replace(),
            None => self.joined = Some(peer::Joined::new(clock)),
        }
    }

    #[cfg(not(feature = "link"))]
    fn join(&mut self, _: &Clock) {}

    /// Read the session (at most every [`POLL_EVERY`]) and move `clock` so that cycles from
    /// `anchor` on (what is not yet scheduled) sound on the session's beats, at its tempo.
    /// `cycle` is the audio thread's last cycle times; `backend_now` reads the backend's clock.
    pub fn poll(
        &mut self,
        clock: &mut Clock,
        anchor: Time,
        cycle: Option<CycleTimes>,
        backend_now: &dyn Fn() -> Option<u64>,
    ) {
        if self.joined.is_none() || self.last_poll.is_some_and(|t| t.elapsed() < POLL_EVERY) {
            return;
        }
        self.last_poll = Some(Instant::now());
        let Some(cycle) = cycle else { return };
        self.follow(clock, anchor, cycle, backend_now);
    }

    #[cfg(feature = "link")]
    fn follow(&mut self, clock: &mut Clock, anchor: Time, cycle: CycleTimes, backend_now: &dyn Fn() -> Option<u64>) {
        let Some(j) = self.joined.as_mut() else { return };
        let Some(pair) = crate::clock_pair::read(backend_now, &mut || j.clock_micros()) else { return };
        let Some(map) = timing::FrameMap::new(cycle, pair.offset()) else { return };
        let at =
            peer::Placement { anchor, map, quantum: self.quantum, latency_us: self.latency_us, now_us: pair.other };
        self.reading = Some(j.follow(clock, &at));
    }

    #[cfg(not(feature = "link"))]
    fn follow(&mut self, _: &mut Clock, _: Time, _: CycleTimes, _: &dyn Fn() -> Option<u64>) {}

    /// The `link` object of `/kr/status`.
    pub fn status(&self) -> serde_json::Value {
        let r = self.reading;
        serde_json::json!({
            "built": Self::built(),
            "enabled": self.is_on(),
            "quantum": self.quantum,
            "quantum_beats": r.map(|r| r.quantum_beats),
            "peers": r.map(|r| r.peers),
            "tempo": r.map(|r| r.tempo),
            "beat": r.map(|r| r.beat),
            "latency_ms": self.latency_us / 1000.0,
        })
    }
}
