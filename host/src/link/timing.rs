//! Pairing engine frames with Link time.
//!
//! Link's clock is the host's raw monotonic clock (`link.clock_micros()`); the engine's is JACK's
//! (`jack_get_time`), which may be another clock (PipeWire's libjack counts the NTP-slewed
//! monotonic one). The control thread reads both back to back to learn their offset, and the
//! audio thread's published cycle times (frame, JACK µs, period) map frames to JACK µs; together
//! they map frames to Link µs with no work on the audio thread.

use crate::rt::CycleTimes;

/// The map between engine frames and Link µs, as of one audio cycle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMap {
    frame: f64,
    link_us: f64,
    us_per_frame: f64,
}

impl FrameMap {
    /// From the cycle times the audio thread published and the measured clock offset
    /// ([`crate::clock_pair::ClockPair::offset`]). None when the cycle times carry no period yet.
    pub fn new(cycle: CycleTimes, offset_us: f64) -> Option<FrameMap> {
        if cycle.period_usecs <= 0.0 || cycle.frames == 0 {
            return None;
        }
        Some(FrameMap {
            frame: cycle.frame as f64,
            link_us: cycle.usecs as f64 + offset_us,
            us_per_frame: f64::from(cycle.period_usecs) / f64::from(cycle.frames),
        })
    }

    /// The (fractional) engine frame processed at Link time `us`.
    pub fn frame_at(&self, us: f64) -> f64 {
        self.frame + (us - self.link_us) / self.us_per_frame
    }

    /// The Link time at which engine frame `frame` is processed.
    pub fn link_us_at(&self, frame: f64) -> f64 {
        self.link_us + (frame - self.frame) * self.us_per_frame
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle() -> CycleTimes {
        // 256 frames at 48 kHz: 5333.33 µs per block.
        CycleTimes { frame: 48_000, usecs: 1_000_000, period_usecs: 256.0 / 48_000.0 * 1e6, frames: 256 }
    }

    #[test]
    fn frames_map_to_link_time_through_the_offset() {
        let m = FrameMap::new(cycle(), 250.0).unwrap();
        assert!((m.link_us_at(48_000.0) - 1_000_250.0).abs() < 1e-6);
        // One second of frames later is one second of Link time later (to JACK's f32 period).
        assert!((m.link_us_at(96_000.0) - 2_000_250.0).abs() < 0.1);
        assert!((m.frame_at(m.link_us_at(12_345.5)) - 12_345.5).abs() < 1e-6);
    }

    #[test]
    fn no_map_before_the_first_period_is_known() {
        let c = CycleTimes { period_usecs: 0.0, ..cycle() };
        assert_eq!(FrameMap::new(c, 0.0), None);
    }
}
