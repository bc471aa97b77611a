//! The cycle ↔ frame map: piecewise linear, re-anchored at each tempo change so
//! the cycle position never jumps.

use kr_pattern::Time;
use num_traits::ToPrimitive;

/// Query boundaries are rounded down to this grid: a pattern's events keep their exact times;
/// only the edges of the scheduler's windows are quantised.
pub const GRID: i64 = 5760;

/// Tempo state and the map from musical time (cycles) to engine frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub sample_rate: f64,
    /// Beats per minute.
    pub bpm: f64,
    /// Beats per cycle.
    pub meter: f64,
    /// The anchor: `origin_cycle` sounds at `origin_frame`.
    pub origin_frame: f64,
    pub origin_cycle: Time,
}

impl Clock {
    pub fn new(sample_rate: f64, bpm: f64, meter: f64, origin_frame: u64) -> Clock {
        Clock { sample_rate, bpm, meter, origin_frame: origin_frame as f64, origin_cycle: Time::from_integer(0) }
    }

    /// Cycles per second.
    pub fn cps(&self) -> f64 {
        self.bpm / 60.0 / self.meter
    }

    /// The frame at which `cycle` sounds, rounded to the nearest frame.
    pub fn frame_of(&self, cycle: Time) -> u64 {
        self.frame_of_f64(cycle).round().max(0.0) as u64
    }

    /// The (fractional) frame at which `cycle` sounds.
    pub fn frame_of_f64(&self, cycle: Time) -> f64 {
        let dc = (cycle - self.origin_cycle).to_f64().unwrap_or(0.0);
        self.origin_frame + dc / self.cps() * self.sample_rate
    }

    /// The (real-valued) cycle position at `frame`.
    pub fn cycle_at(&self, frame: u64) -> f64 {
        self.origin_cycle.to_f64().unwrap_or(0.0) + (frame as f64 - self.origin_frame) / self.sample_rate * self.cps()
    }

    /// `cycle_at(frame)` rounded down to the scheduling grid.
    pub fn grid_cycle_at(&self, frame: u64) -> Time {
        Time::new((self.cycle_at(frame) * GRID as f64).floor() as i64, GRID)
    }

    /// Change tempo and meter from cycle `at` on: frames before it are unchanged.
    pub fn set_tempo(&mut self, bpm: f64, meter: f64, at: Time) {
        self.origin_frame = self.frame_of_f64(at);
        self.origin_cycle = at;
        self.bpm = bpm;
        self.meter = meter;
    }

    /// Tempo `bpm` from cycle `at` on, with `at` sounding at `frame`: an outside clock (Ableton
    /// Link) says where the beat is. Frames of cycles before `at` are unchanged only when `frame`
    /// is where the old map had `at`; the scheduler has sent nothing past `at`, so nothing sent
    /// moves.
    pub fn anchor(&mut self, bpm: f64, at: Time, frame: f64) {
        self.origin_frame = frame;
        self.origin_cycle = at;
        self.bpm = bpm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_map_to_exact_frames() {
        // 120 bpm, 4 beats per cycle: one cycle every 2 s.
        let c = Clock::new(48000.0, 120.0, 4.0, 1000);
        assert_eq!(c.frame_of(Time::new(1, 2)), 1000 + 48000);
        assert_eq!(c.frame_of(Time::new(3, 2)), 1000 + 144000);
    }

    #[test]
    fn tempo_change_keeps_the_cycle_position() {
        let mut c = Clock::new(48000.0, 120.0, 4.0, 0);
        let at = Time::from_integer(2);
        let before = c.frame_of(at);
        c.set_tempo(240.0, 4.0, at);
        assert_eq!(c.frame_of(at), before);
        // After the change a cycle lasts 1 s.
        assert_eq!(c.frame_of(Time::from_integer(3)), before + 48000);
    }
}
