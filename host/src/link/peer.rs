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
        let j = Joined::local(clock);
        j.link.enable(true);
        j
    }

    /// A session of one that is not on the network.
    fn local(clock: &Clock) -> Joined {
        let link = AblLink::new(clock.bpm);
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

#[cfg(test)]
mod tests {
    //! A Link session of one, never enabled (nothing goes on the network): krd's clock against
    //! Link's own timeline.
    use super::*;
    use crate::rt::CycleTimes;

    const RATE: f64 = 48_000.0;

    /// krd at 120 bpm, 4/4 (a cycle is 2 s = 96000 frames), frame 0 at cycle 0; the engine's
    /// last cycle began at frame 48000, now by Link's clock (the backend clock is Link's).
    fn setup() -> (Joined, Clock, FrameMap, i64) {
        let clock = Clock::new(RATE, 120.0, 4.0, 0);
        let j = Joined::local(&clock);
        let now = j.clock_micros();
        let period = (256.0 / RATE * 1e6) as f32;
        let cycle = CycleTimes { frame: 48_000, usecs: now as u64, period_usecs: period, frames: 256 };
        (j, clock, FrameMap::new(cycle, 0.0).unwrap(), now)
    }

    fn at(map: FrameMap, now_us: i64, latency_us: f64) -> Placement {
        Placement { anchor: Time::from_integer(1), map, quantum: 1.0, latency_us, now_us }
    }

    #[test]
    fn alone_krd_keeps_its_beat_and_its_tempo() {
        let (mut j, mut clock, map, now) = setup();
        let r = j.follow(&mut clock, &at(map, now, 0.0));
        assert_eq!((r.peers, r.tempo, r.quantum_beats), (0, 120.0, 4.0));
        // Cycle 1 (beat 4) stays at frame 96000, to within Link's microsecond.
        assert!((clock.frame_of_f64(Time::from_integer(1)) - 96_000.0).abs() < 0.1, "{clock:?}");
        assert_eq!(clock.bpm, 120.0);
        // Now (frame 48000, half a cycle) is beat 2 on Link's timeline.
        assert!((r.beat - 2.0).abs() < 1e-3, "{}", r.beat);
    }

    #[test]
    fn krds_tempo_goes_to_the_session_and_the_sessions_comes_back() {
        let (mut j, mut clock, map, now) = setup();
        j.follow(&mut clock, &at(map, now, 0.0));
        clock.set_tempo(90.0, 4.0, Time::from_integer(1));
        assert_eq!(j.follow(&mut clock, &at(map, now, 0.0)).tempo, 90.0);
        // Another peer's change: the session's tempo becomes 150 at the anchor.
        let anchor_us = map.link_us_at(clock.frame_of_f64(Time::from_integer(1))).round() as i64;
        j.link.capture_app_session_state(&mut j.state);
        j.state.set_tempo(150.0, anchor_us);
        j.link.commit_app_session_state(&j.state);
        let r = j.follow(&mut clock, &at(map, now, 0.0));
        assert_eq!((r.tempo, clock.bpm), (150.0, 150.0));
        // The anchor stays where it was; a cycle after it now lasts 4 beats at 150 bpm (1.6 s).
        let one = clock.frame_of_f64(Time::from_integer(1));
        assert!((one - 96_000.0).abs() < 0.1, "{one}");
        assert!((clock.frame_of_f64(Time::from_integer(2)) - one - 1.6 * RATE).abs() < 0.5);
    }

    #[test]
    fn output_latency_places_onsets_early() {
        let (mut j, mut clock, map, now) = setup();
        j.follow(&mut clock, &at(map, now, 0.0));
        let on_time = clock.frame_of_f64(Time::from_integer(1));
        j.follow(&mut clock, &at(map, now, 5_000.0));
        let early = clock.frame_of_f64(Time::from_integer(1));
        assert!((on_time - early - 0.005 * RATE).abs() < 0.5, "{on_time} → {early}");
    }
}
