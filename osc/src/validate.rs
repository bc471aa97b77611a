//! Limits and value rules shared by the decoder and the engine. Each check returns the problem
//! as text; the argument cursor ([`crate::args`]) adds the address, name and position.

/// Bounds on what a client may send. `Default` is what `krd` uses unless configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest packet (UDP datagram or TCP frame).
    pub max_packet_bytes: usize,
    /// Longest name, path or file name.
    pub max_string_bytes: usize,
    /// Longest FAUST source.
    pub max_source_bytes: usize,
    /// Most arguments in one message (the request id included).
    pub max_args: usize,
    /// Most voices of one node.
    pub max_voices: u32,
    /// Deepest bundle nesting (a bundle in a packet is depth 1).
    pub max_bundle_depth: usize,
    /// Most messages in one packet, all bundles together.
    pub max_bundle_messages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_packet_bytes: 1 << 20,
            max_string_bytes: 256,
            max_source_bytes: 256 << 10,
            max_args: 64,
            max_voices: 64,
            max_bundle_depth: 8,
            max_bundle_messages: 1024,
        }
    }
}

/// Deepest OSC array (`[...]` in a type tag string) accepted anywhere. No command takes arrays;
/// the bound only keeps hostile nesting from reaching the OSC parser.
pub const MAX_ARRAY_DEPTH: usize = 8;

/// Longest subscription, in seconds.
pub const MAX_SUBSCRIBE_SECONDS: f64 = 86_400.0;
/// Subscription length when none is given, in seconds.
pub const DEFAULT_SUBSCRIBE_SECONDS: f64 = 60.0;
/// Tempo range, in beats per minute.
pub const BPM_RANGE: (f64, f64) = (1.0, 1000.0);
/// Meter range, in beats per cycle.
pub const METER_RANGE: (f64, f64) = (0.25, 64.0);
/// Link quantum range, in cycles (one Link quantum is `meter × quantum` beats).
pub const LINK_QUANTUM_RANGE: (f64, f64) = (0.25, 64.0);
/// Largest node (and route) gain.
pub const MAX_GAIN: f64 = 16.0;
/// Largest master gain.
pub const MAX_MASTER: f64 = 4.0;
/// Longest fade or scene-recall crossfade, in cycles.
pub const MAX_FADE_CYCLES: f64 = 1024.0;

/// A node name or control path: segments of letters, digits, `_`, `-`, `.` joined by `/`.
pub(crate) fn path(value: &str, limits: &Limits) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > limits.max_string_bytes {
        return Err(format!("is {} bytes long; the limit is {}", value.len(), limits.max_string_bytes));
    }
    for seg in value.split('/') {
        if seg.is_empty() {
            return Err(format!("'{value}' has an empty path segment"));
        }
        if let Some(c) = seg.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
            return Err(format!(
                "'{}' contains '{}'; use letters, digits, '_', '-', '.' and '/'",
                value.escape_debug(),
                c.escape_debug()
            ));
        }
    }
    Ok(())
}

/// A file name relative to a directory of `krd` (dsp directory, recording directory): a
/// [`path`] with no `.` or `..` segment, so it cannot leave that directory.
pub(crate) fn relative_file(value: &str, limits: &Limits) -> Result<(), String> {
    path(value, limits)?;
    if value.split('/').any(|s| s == "." || s == "..") {
        return Err(format!("'{value}' has a '.' or '..' segment; name a file inside the directory"));
    }
    Ok(())
}

/// A recording file: a [`relative_file`] ending in `.wav`.
///
/// An absolute path (`/home/me/take.wav`, no `.` or `..` segments) passes too: krd accepts it
/// from local clients only (the engine, not the decoder, knows who asks).
pub(crate) fn wav_file(value: &str, limits: &Limits) -> Result<(), String> {
    let relative = value.strip_prefix('/').unwrap_or(value);
    relative_file(relative, limits).map_err(|e| e.replace(&format!("'{relative}'"), &format!("'{value}'")))?;
    if !value.to_ascii_lowercase().ends_with(".wav") || value.len() <= 4 {
        return Err(format!("'{value}' does not end in .wav"));
    }
    Ok(())
}

/// A number as written in errors: plain, or in exponent form when very large or small.
pub(crate) fn show(v: f64) -> String {
    if v != 0.0 && v.is_finite() && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A finite number, optionally within `[lo, hi]`.
pub(crate) fn number(v: f64, range: Option<(f64, f64)>) -> Result<(), String> {
    if !v.is_finite() {
        return Err(format!("{v} is not a finite number"));
    }
    if let Some((lo, hi)) = range {
        if v < lo || v > hi {
            return Err(format!("{} is outside {lo}..{hi}", show(v)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let l = Limits::default();
        assert!(path("drums/kick.1", &l).is_ok());
        assert_eq!(path("", &l).unwrap_err(), "is empty");
        assert!(path("a//b", &l).unwrap_err().contains("empty path segment"));
        assert!(path("a b", &l).unwrap_err().contains("contains ' '"));
        assert!(path(&"x".repeat(257), &l).unwrap_err().contains("limit is 256"));
    }

    #[test]
    fn files() {
        let l = Limits::default();
        assert!(wav_file("takes/one.wav", &l).is_ok());
        assert!(wav_file("ONE.WAV", &l).is_ok());
        assert!(wav_file("../x.wav", &l).unwrap_err().contains("'..'"));
        assert!(wav_file("a/./x.wav", &l).unwrap_err().contains("'.'"));
        assert!(wav_file("x.aiff", &l).unwrap_err().contains(".wav"));
        // Absolute paths are for local clients (krd checks); the same segment rules hold.
        assert!(wav_file("/home/me/take.wav", &l).is_ok());
        assert!(wav_file("/home/../etc/x.wav", &l).unwrap_err().contains("'/home/../etc/x.wav' has a '.' or '..'"));
        assert!(wav_file("//x.wav", &l).unwrap_err().contains("empty path segment"));
        assert!(relative_file("drums/kick", &l).is_ok());
    }

    #[test]
    fn numbers() {
        assert!(number(1.0, Some((0.0, 1.0))).is_ok());
        assert_eq!(number(f64::NAN, None).unwrap_err(), "NaN is not a finite number");
        assert_eq!(number(2.0, Some((0.0, 1.0))).unwrap_err(), "2 is outside 0..1");
        assert_eq!(number(-1e300, Some((0.0, 1.0))).unwrap_err(), "-1e300 is outside 0..1");
        assert_eq!(show(0.5), "0.5");
        assert_eq!(show(1e-9), "1e-9");
    }
}
