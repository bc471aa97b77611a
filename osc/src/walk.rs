//! The structural pass over a packet's raw bytes, before any OSC parsing: size, bundle headers
//! and element sizes, nesting depth, message count, time-tag order and array nesting. It walks
//! the bytes without copying them and bounds nesting before the recursive OSC parser sees
//! them: the walk itself descends one level per bundle and refuses a bundle nested deeper than
//! `Limits::max_bundle_depth` before descending into it, so no input can exhaust the stack. Both
//! [`crate::decode_packet`] and [`crate::decode_bundle`] start here.

use crate::timetag::TimeTag;
use crate::validate::{Limits, MAX_ARRAY_DEPTH};
use crate::DecodeError;

pub(crate) const BUNDLE_TAG: &[u8] = b"#bundle\0";

/// The result of the structural pass: the packet's time and each message's bytes.
pub(crate) struct Walk<'a> {
    pub time: TimeTag,
    pub bundled: bool,
    pub messages: Vec<&'a [u8]>,
}

struct Walker<'a, 'l> {
    limits: &'l Limits,
    out: Walk<'a>,
}

/// Check a packet's structure (size, nesting, counts, time tags) without parsing arguments.
pub(crate) fn walk<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Walk<'a>, DecodeError> {
    if bytes.len() > limits.max_packet_bytes {
        return Err(DecodeError::TooLarge { size: bytes.len(), limit: limits.max_packet_bytes });
    }
    let mut w = Walker {
        limits,
        out: Walk { time: TimeTag::Immediate, bundled: bytes.starts_with(BUNDLE_TAG), messages: Vec::new() },
    };
    w.element(bytes, 0, 0, TimeTag::Immediate)?;
    Ok(w.out)
}

impl<'a> Walker<'a, '_> {
    fn element(&mut self, bytes: &'a [u8], at: usize, depth: usize, parent: TimeTag) -> Result<(), DecodeError> {
        if bytes.starts_with(BUNDLE_TAG) {
            self.bundle(bytes, at, depth + 1, parent)
        } else if bytes.first() == Some(&b'/') {
            if self.out.messages.len() >= self.limits.max_bundle_messages {
                return Err(DecodeError::Bundle(format!(
                    "more than {} messages in one packet (the limit)",
                    self.limits.max_bundle_messages
                )));
            }
            if let Some(tags) = peek(bytes).tags {
                array_depth(tags, at)?;
            }
            self.out.messages.push(bytes);
            Ok(())
        } else if bytes.is_empty() {
            Err(DecodeError::Malformed("empty packet".into()))
        } else {
            Err(DecodeError::Malformed(format!(
                "the element at byte {at} is neither a message (starting with '/') nor a \
                 bundle (starting with '#bundle')"
            )))
        }
    }

    fn bundle(&mut self, bytes: &'a [u8], at: usize, depth: usize, parent: TimeTag) -> Result<(), DecodeError> {
        if depth > self.limits.max_bundle_depth {
            return Err(DecodeError::Bundle(format!(
                "bundles nested {depth} deep at byte {at}; the limit is {}",
                self.limits.max_bundle_depth
            )));
        }
        let Some(tag) = bytes.get(8..16) else {
            return Err(DecodeError::Malformed(format!(
                "the bundle at byte {at} is {} bytes; its header alone is 16",
                bytes.len()
            )));
        };
        let mut raw = [0u8; 8];
        raw.copy_from_slice(tag);
        let time = TimeTag::from_raw(u64::from_be_bytes(raw));
        if depth > 1 && !time.is_immediate() && time < parent {
            return Err(DecodeError::Bundle(format!(
                "the nested bundle at byte {at} is tagged {time}, earlier than its enclosing \
                 bundle's {parent}; OSC 1.0 requires a nested bundle's time tag to be no \
                 earlier than its parent's"
            )));
        }
        let time = time.max(parent);
        self.out.time = self.out.time.max(time);
        let mut pos = 16;
        let mut k = 0;
        while pos < bytes.len() {
            k += 1;
            let here = at + pos;
            let Some(size) = bytes.get(pos..pos + 4) else {
                return Err(DecodeError::Malformed(format!(
                    "the bundle at byte {at}: element {k} at byte {here} has {} bytes, too few \
                     for its 4-byte size",
                    bytes.len() - pos
                )));
            };
            let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
            let left = bytes.len() - pos - 4;
            let problem = if size == 0 {
                Some("is empty".to_string())
            } else if size & 3 != 0 {
                Some(format!("has size {size}, not a multiple of 4"))
            } else if size > left {
                Some(format!("claims {size} bytes but {left} remain"))
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(DecodeError::Malformed(format!("the bundle at byte {at}: element {k} at byte {here} {p}")));
            }
            self.element(&bytes[pos + 4..pos + 4 + size], here + 4, depth, time)?;
            pos += 4 + size;
        }
        Ok(())
    }
}

/// What can be read of a message without parsing its arguments.
pub(crate) struct Peek<'a> {
    pub address: Option<&'a str>,
    /// The type tags, after the ','.
    pub tags: Option<&'a [u8]>,
    /// The request id, when the first argument is an int64.
    pub id: Option<i64>,
}

pub(crate) fn peek(bytes: &[u8]) -> Peek<'_> {
    let pad = |n: usize| (n + 4) & !3;
    let Some(end) = bytes.iter().position(|&b| b == 0) else {
        return Peek { address: None, tags: None, id: None };
    };
    let address = std::str::from_utf8(&bytes[..end]).ok();
    let start = pad(end);
    let tags = bytes.get(start..).and_then(|rest| {
        let rest = rest.strip_prefix(b",")?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(&rest[..end])
    });
    let id = tags.filter(|t| t.first() == Some(&b'h')).and_then(|t| {
        let at = pad(start + 1 + t.len());
        let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
        Some(i64::from_be_bytes(raw))
    });
    Peek { address, tags, id }
}

fn array_depth(tags: &[u8], at: usize) -> Result<(), DecodeError> {
    let mut depth = 0usize;
    for &t in tags {
        match t {
            b'[' => depth += 1,
            b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_ARRAY_DEPTH {
            return Err(DecodeError::Malformed(format!(
                "the message at byte {at} nests arrays deeper than {MAX_ARRAY_DEPTH}"
            )));
        }
    }
    Ok(())
}
