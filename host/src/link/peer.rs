//! krd as a Link peer: one `AblLink` and its session state, used from the control thread only.

use super::timing::FrameMap;
use super::Reading;
use crate::clock::Clock;
use kr_pattern::Time;
use num_traits::ToPrimitive;
use rusty_link::{AblLink, SessionState};

/// A drift of the session's beat line from krd's clock smaller than this is left alone: it is
/// below what anyone hears, and re-placing the clock for it would only add the jitter of each
/// reading.
const TOLERANCE_US: f64 = 100.0;

/// Where krd's clock stands against the session at one poll.
pub struct Placement {
    /// The first cycle not yet scheduled: the clock moves from here on.
    pub anchor: Time,
    pub map: FrameMap,
    /// Link quantum in cycles.
    pub quantum: f64,
    pub latency_us: f64,
    /// Link's clock now.
    pub now_us: i64,
}

pub struct Joined {
    link: AblLink,
    state: SessionState,
    /// Whether krd's beat was placed on the session's timeline since joining (or since the
    /// quantum changed).
    placed: bool,
    /// Tempo and meter of krd's clock after the last poll: a difference is krd's own change
    /// (`/kr/tempo`, `/kr/meter`), which goes to the session.
    seen_bpm: f64,
    seen_meter: f64,
}

impl Joined {
    /// Join with krd's tempo: alone it stays, with peers the session's wins.
    pub fn new(clock: &Clock) -> Joined {
        let link = AblLink::new(clock.bpm);
        link.enable(true);
        Joined { link, state: SessionState::new(), placed: false, seen_bpm: clock.bpm, seen_meter: clock.meter }
    }

    /// Place krd's beat again at the next poll (the quantum changed).
    pub fn replace(&mut self) {
        self.placed = false;
    }

    pub fn clock_micros(&self) -> i64 {
        self.link.clock_micros()
    }

    /// Send krd's own changes to the session, then move `clock` onto the session's beat line.
    pub fn follow(&mut self, clock: &mut Clock, at: &Placement) -> Reading {
        let q = clock.meter * at.quantum;
        let beat = |c: Time, meter: f64| c.to_f64().unwrap_or(0.0) * meter;
        // When the anchor cycle sounds by krd's clock as it stands (Link time is sounding time).
        let anchor_us = (at.map.link_us_at(clock.frame_of_f64(at.anchor)) + at.latency_us).round() as i64;
        self.link.capture_app_session_state(&mut self.state);
        let mut commit = false;
        if !self.placed || clock.meter != self.seen_meter {
            // Request (not force): alone, krd's beat stays where it is; with peers, it moves to
            // the next time whose phase matches the session's.
            self.state.request_beat_at_time(beat(at.anchor, clock.meter), anchor_us, q);
            self.placed = true;
            commit = true;
        }
        if clock.bpm != self.seen_bpm {
            self.state.set_tempo(clock.bpm, anchor_us);
            commit = true;
        }
        if commit {
            self.link.commit_app_session_state(&self.state);
            self.link.capture_app_session_state(&mut self.state);
        }
        let tempo = self.state.tempo();
        let target_us = self.state.time_at_beat(beat(at.anchor, clock.meter), q) as f64 - at.latency_us;
        let target_frame = at.map.frame_at(target_us);
        let drift_us = at.map.link_us_at(target_frame) - at.map.link_us_at(clock.frame_of_f64(at.anchor));
        if tempo != clock.bpm || drift_us.abs() > TOLERANCE_US {
            clock.anchor(tempo, at.anchor, target_frame);
        }
        self.seen_bpm = clock.bpm;
        self.seen_meter = clock.meter;
        Reading { peers: self.link.num_peers(), tempo, beat: self.state.beat_at_time(at.now_us, q), quantum_beats: q }
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        self.link.enable(false);
    }
}
