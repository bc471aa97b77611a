//! OSC time tags (NTP timestamps) and their exact conversion to and from [`SystemTime`].
//!
//! A time tag is 64 bits: seconds since 1900-01-01T00:00:00Z (32 bits) and a fraction of a second
//! in units of 2⁻³² s (32 bits). The raw values 0 and 1 mean *immediately* (OSC 1.0 defines 1;
//! several tools send 0). The 32-bit seconds wrap on 2036-02-07T06:28:16Z; as in RFC 4330 §3, a
//! tag whose top bit is set is read in era 0 (1968–2036) and one whose top bit is clear in era 1
//! (2036–2104), so tags are unambiguous from 1968-01-20 to 2104-02-26.
//!
//! Conversions are exact integer arithmetic: [`SystemTime`] → tag rounds to the nearest 2⁻³² s,
//! tag → [`SystemTime`] rounds to the nearest nanosecond (halves round up), so
//! `SystemTime → tag → SystemTime` is the identity at nanosecond resolution.

use rosc::OscTime;
use std::cmp::Ordering;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
pub const NTP_UNIX_OFFSET: u64 = 2_208_988_800;

const NANOS: i128 = 1_000_000_000;
const FRAC: i128 = 1 << 32;
/// First and one-past-last representable instant, in 2⁻³² s units since 1900.
const FIRST: i128 = (1 << 31) << 32;
const END: i128 = ((1 << 32) + (1 << 31)) << 32;

/// When a bundle is to be applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimeTag {
    /// As soon as possible (raw tag 0 or 1).
    Immediate,
    /// At an instant. Build from wire values with [`TimeTag::from_raw`] or
    /// [`TimeTag::from_osc`], which map 0/1 to `Immediate`.
    At { seconds: u32, fraction: u32 },
}

/// A time outside what a time tag can hold (1968-01-20 to 2104-02-26), or not finite.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("time {0} cannot be expressed as an OSC time tag (1968-01-20 to 2104-02-26 only)")]
pub struct TimeTagRangeError(pub String);

impl TimeTag {
    /// From the 64 bits on the wire.
    pub fn from_raw(raw: u64) -> TimeTag {
        if raw <= 1 {
            TimeTag::Immediate
        } else {
            TimeTag::At { seconds: (raw >> 32) as u32, fraction: raw as u32 }
        }
    }

    /// The 64 bits on the wire (`Immediate` is 1).
    pub fn to_raw(self) -> u64 {
        match self {
            TimeTag::Immediate => 1,
            TimeTag::At { seconds, fraction } => (u64::from(seconds) << 32) | u64::from(fraction),
        }
    }

    pub fn from_osc(t: OscTime) -> TimeTag {
        TimeTag::from_raw((u64::from(t.seconds) << 32) | u64::from(t.fractional))
    }

    pub fn to_osc(self) -> OscTime {
        let raw = self.to_raw();
        OscTime { seconds: (raw >> 32) as u32, fractional: raw as u32 }
    }

    pub fn is_immediate(self) -> bool {
        matches!(self, TimeTag::Immediate)
    }

    /// 2⁻³² s units since 1900-01-01, era-aware; None for `Immediate`.
    fn units(self) -> Option<i128> {
        match self {
            TimeTag::Immediate => None,
            TimeTag::At { seconds, fraction } => {
                let era = if seconds & 0x8000_0000 != 0 { 0 } else { 1i128 << 32 };
                Some(((era + i128::from(seconds)) << 32) | i128::from(fraction))
            }
        }
    }

    /// The tag nearest to `nanos` nanoseconds after the Unix epoch (negative: before).
    pub fn from_unix_nanos(nanos: i128) -> Result<TimeTag, TimeTagRangeError> {
        let out_of_range = || TimeTagRangeError(format!("{nanos} ns after the Unix epoch"));
        let ntp = nanos.checked_add(i128::from(NTP_UNIX_OFFSET) * NANOS).ok_or_else(out_of_range)?;
        if ntp < 0 {
            return Err(out_of_range());
        }
        let units = ntp.checked_mul(FRAC).map(|u| (u + NANOS / 2) / NANOS).ok_or_else(out_of_range)?;
        if !(FIRST..END).contains(&units) {
            return Err(out_of_range());
        }
        let raw = (units as u128 & u128::from(u64::MAX)) as u64;
        // 2036-02-07T06:28:16Z is raw 0, which means "immediately" on the wire: move it by
        // two units (0.47 ns) so that it stays an instant.
        Ok(TimeTag::from_raw(raw.max(2)))
    }

    /// Nanoseconds after the Unix epoch, rounded to the nearest; None for `Immediate`.
    pub fn unix_nanos(self) -> Option<i128> {
        let units = self.units()?;
        let ntp = (units * NANOS + FRAC / 2) >> 32;
        Some(ntp - i128::from(NTP_UNIX_OFFSET) * NANOS)
    }

    /// The tag nearest to `t`.
    pub fn from_system_time(t: SystemTime) -> Result<TimeTag, TimeTagRangeError> {
        TimeTag::from_unix_nanos(system_nanos(t))
    }

    /// The instant, to the nearest nanosecond; None for `Immediate`.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let n = self.unix_nanos()?;
        if n >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_nanos(u64::try_from(n).ok()?))
        } else {
            UNIX_EPOCH.checked_sub(Duration::from_nanos(u64::try_from(-n).ok()?))
        }
    }

    /// From seconds since the Unix epoch (as Python's `time.time()`), to the nearest nanosecond
    /// that an `f64` resolves (about 0.2 µs today).
    pub fn from_unix_secs_f64(secs: f64) -> Result<TimeTag, TimeTagRangeError> {
        if !secs.is_finite() || secs.abs() > 1e11 {
            return Err(TimeTagRangeError(format!("{secs} s after the Unix epoch")));
        }
        TimeTag::from_unix_nanos((secs * 1e9).round() as i128)
    }

    /// Seconds since the Unix epoch; None for `Immediate`.
    pub fn unix_secs_f64(self) -> Option<f64> {
        self.unix_nanos().map(|n| n as f64 / 1e9)
    }

    /// How far this tag is after `now`, in seconds (negative: the tag has passed, i.e. late);
    /// None for `Immediate`.
    pub fn seconds_after(self, now: SystemTime) -> Option<f64> {
        self.unix_nanos().map(|n| (n - system_nanos(now)) as f64 / 1e9)
    }
}

/// Nanoseconds since the Unix epoch (negative before it).
fn system_nanos(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

/// `Immediate` is earliest; instants compare by time (across the 2036 era boundary).
impl Ord for TimeTag {
    fn cmp(&self, other: &Self) -> Ordering {
        self.units().cmp(&other.units())
    }
}

impl PartialOrd for TimeTag {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// `immediately`, or Unix seconds with nanoseconds: `1700000000.250000000 (Unix time)`.
impl std::fmt::Display for TimeTag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.unix_nanos() {
            None => f.write_str("immediately"),
            Some(n) => {
                let sign = if n < 0 { "-" } else { "" };
                let n = n.unsigned_abs();
                write!(f, "{sign}{}.{:09} (Unix time)", n / 1_000_000_000, n % 1_000_000_000)
            }
        }
    }
}

impl From<OscTime> for TimeTag {
    fn from(t: OscTime) -> TimeTag {
        TimeTag::from_osc(t)
    }
}

impl From<TimeTag> for OscTime {
    fn from(t: TimeTag) -> OscTime {
        t.to_osc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u32, fraction: u32) -> TimeTag {
        TimeTag::At { seconds, fraction }
    }

    #[test]
    fn zero_and_one_are_immediate() {
        assert_eq!(TimeTag::from_raw(0), TimeTag::Immediate);
        assert_eq!(TimeTag::from_raw(1), TimeTag::Immediate);
        assert_eq!(TimeTag::from_raw(2), at(0, 2));
        assert_eq!(TimeTag::Immediate.to_raw(), 1);
        assert_eq!(TimeTag::Immediate.to_system_time(), None);
        assert_eq!(TimeTag::Immediate.seconds_after(SystemTime::now()), None);
        assert!(TimeTag::Immediate < at(0x8000_0000, 0));
    }

    #[test]
    fn unix_epoch_and_fractions_are_exact() {
        let epoch = TimeTag::from_system_time(UNIX_EPOCH).unwrap();
        assert_eq!(epoch, at(NTP_UNIX_OFFSET as u32, 0));
        assert_eq!(epoch.to_system_time(), Some(UNIX_EPOCH));
        let half = TimeTag::from_system_time(UNIX_EPOCH + Duration::from_millis(500)).unwrap();
        assert_eq!(half, at(NTP_UNIX_OFFSET as u32, 1 << 31));
        // 1 ns = 4.294967296 units → 4; 999_999_999 ns = 4294967291.70 units → 4294967292.
        let one = TimeTag::from_unix_nanos(1).unwrap();
        assert_eq!(one, at(NTP_UNIX_OFFSET as u32, 4));
        assert_eq!(one.unix_nanos(), Some(1));
        let last = TimeTag::from_unix_nanos(999_999_999).unwrap();
        assert_eq!(last, at(NTP_UNIX_OFFSET as u32, 4_294_967_292));
        assert_eq!(last.unix_nanos(), Some(999_999_999));
        // The largest fraction is 0.99999999977 s: rounds up into the next second.
        assert_eq!(at(NTP_UNIX_OFFSET as u32, u32::MAX).unix_nanos(), Some(1_000_000_000));
        // 2 units (0.47 ns) round down to 0 ns, 3 units (0.70 ns) up to 1 ns.
        assert_eq!(at(NTP_UNIX_OFFSET as u32, 2).unix_nanos(), Some(0));
        assert_eq!(at(NTP_UNIX_OFFSET as u32, 3).unix_nanos(), Some(1));
    }

    #[test]
    fn eras_and_range() {
        // 2036-02-07T06:28:16Z is the era boundary: raw 0, nudged off "immediately".
        let boundary = (1i128 << 32) - i128::from(NTP_UNIX_OFFSET);
        let t = TimeTag::from_unix_nanos(boundary * NANOS).unwrap();
        assert_eq!(t, at(0, 2));
        assert_eq!(t.unix_nanos(), Some(boundary * NANOS));
        let before = TimeTag::from_unix_nanos(boundary * NANOS - 1_000_000_000).unwrap();
        assert_eq!(before, at(u32::MAX, 0));
        assert!(before < t);
        // Era 1 tag one hour after the boundary.
        let after = TimeTag::from_unix_nanos((boundary + 3600) * NANOS).unwrap();
        assert_eq!(after, at(3600, 0));
        assert!(after > before);
        // 1968-01-20T03:14:08Z is the first instant; one second before is out of range.
        let first = (1i128 << 31) - i128::from(NTP_UNIX_OFFSET);
        assert_eq!(TimeTag::from_unix_nanos(first * NANOS).unwrap(), at(0x8000_0000, 0));
        assert!(TimeTag::from_unix_nanos((first - 1) * NANOS).is_err());
        let end = (1i128 << 32) + (1i128 << 31) - i128::from(NTP_UNIX_OFFSET);
        assert!(TimeTag::from_unix_nanos(end * NANOS).is_err());
        assert!(TimeTag::from_unix_nanos(end * NANOS - 1_000_000_000).is_ok());
        assert!(TimeTag::from_unix_secs_f64(f64::NAN).is_err());
        assert!(TimeTag::from_unix_nanos(i128::MAX).is_err());
        assert!(TimeTag::from_unix_nanos(i128::MIN).is_err());
    }

    #[test]
    fn seconds_and_lateness() {
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let t = TimeTag::from_system_time(now + Duration::from_millis(250)).unwrap();
        assert_eq!(t.seconds_after(now), Some(0.25));
        let late = TimeTag::from_system_time(now - Duration::from_millis(3)).unwrap();
        assert_eq!(late.seconds_after(now), Some(-0.003));
        let f = TimeTag::from_unix_secs_f64(1_700_000_000.5).unwrap();
        assert_eq!(f.unix_secs_f64(), Some(1_700_000_000.5));
        assert_eq!(TimeTag::from_osc(t.to_osc()), t);
        let o: OscTime = t.into();
        assert_eq!(TimeTag::from(o), t);
        assert_eq!(t.to_string(), "1700000000.250000000 (Unix time)");
        assert_eq!(TimeTag::Immediate.to_string(), "immediately");
    }
}
