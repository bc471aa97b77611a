//! Limits and name rules shared by the decoder and the engine.

use crate::DecodeError;

/// Bounds on what a client may send. `Default` is what `krd` uses unless configured.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub max_packet_bytes: usize,
    pub max_string_bytes: usize,
    pub max_source_bytes: usize,
    pub max_args: usize,
    pub max_voices: u32,
    pub max_bundle_depth: usize,
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
        }
    }
}

fn invalid(address: &str, name: &str, problem: impl Into<String>) -> DecodeError {
    DecodeError::Invalid {
        address: address.into(),
        name: name.into(),
        problem: problem.into(),
    }
}

/// A node name or control path: segments of letters, digits, `_`, `-`, `.` joined by `/`.
pub(crate) fn path(
    address: &str,
    name: &str,
    value: &str,
    limits: &Limits,
) -> Result<(), DecodeError> {
    if value.is_empty() {
        return Err(invalid(address, name, "is empty"));
    }
    if value.len() > limits.max_string_bytes {
        return Err(invalid(
            address,
            name,
            format!(
                "is {} bytes long; the limit is {}",
                value.len(),
                limits.max_string_bytes
            ),
        ));
    }
    for seg in value.split('/') {
        if seg.is_empty() {
            return Err(invalid(
                address,
                name,
                format!("'{value}' has an empty path segment"),
            ));
        }
        if let Some(c) = seg
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(invalid(
                address,
                name,
                format!("'{value}' contains '{c}'; use letters, digits, '_', '-', '.' and '/'"),
            ));
        }
    }
    Ok(())
}

/// A finite number, optionally within `[lo, hi]`.
pub(crate) fn number(
    address: &str,
    name: &str,
    v: f64,
    range: Option<(f64, f64)>,
) -> Result<(), DecodeError> {
    if !v.is_finite() {
        return Err(invalid(
            address,
            name,
            format!("{v} is not a finite number"),
        ));
    }
    if let Some((lo, hi)) = range {
        if v < lo || v > hi {
            return Err(invalid(address, name, format!("{v} is outside {lo}..{hi}")));
        }
    }
    Ok(())
}
