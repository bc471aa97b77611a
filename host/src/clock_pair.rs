//! Reading another clock at the same instant as the backend's (JACK's).
//!
//! The other clock (Link's, or the wall clock a time tag is in) is read between two reads of the
//! backend's; of a few such readings the tightest is kept, the one least disturbed by a thread
//! preempted between the reads. The offset between the two clocks is what maps a time on one to
//! a time on the other.

/// One reading: the backend clock read just before and just after the other clock, in µs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockPair {
    pub backend_before: u64,
    pub backend_after: u64,
    /// The other clock, in µs.
    pub other: i64,
}

impl ClockPair {
    /// How far apart the two backend readings are: the uncertainty of the offset, in µs.
    pub fn spread(&self) -> u64 {
        self.backend_after.saturating_sub(self.backend_before)
    }

    /// The other clock's µs minus the backend's at the same instant.
    pub fn offset(&self) -> f64 {
        self.other as f64 - (self.backend_before as f64 + self.backend_after as f64) / 2.0
    }
}

/// The tightest of several readings.
pub fn tightest(pairs: impl IntoIterator<Item = ClockPair>) -> Option<ClockPair> {
    pairs.into_iter().min_by_key(ClockPair::spread)
}

/// The tightest of three readings of `other` between reads of `backend` (None without a
/// backend clock).
pub fn read(backend: &dyn Fn() -> Option<u64>, other: &mut dyn FnMut() -> i64) -> Option<ClockPair> {
    let readings: Vec<ClockPair> = (0..3)
        .filter_map(|_| {
            let backend_before = backend()?;
            let other = other();
            let backend_after = backend()?;
            Some(ClockPair { backend_before, backend_after, other })
        })
        .collect();
    tightest(readings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tightest_reading_wins() {
        let loose = ClockPair { backend_before: 100, backend_after: 180, other: 1_140 };
        let tight = ClockPair { backend_before: 150, backend_after: 152, other: 1_151 };
        let best = tightest([loose, tight]).unwrap();
        assert_eq!(best, tight);
        assert_eq!(best.offset(), 1_000.0);
    }

    #[test]
    fn no_reading_without_a_backend_clock() {
        assert_eq!(read(&|| None, &mut || 5), None);
        let mut t = 0;
        let pair = read(&|| Some(100), &mut || {
            t += 1;
            t
        })
        .unwrap();
        assert_eq!((pair.spread(), pair.offset()), (0, -99.0));
    }
}
