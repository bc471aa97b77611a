//! # kr-osc: kr's wire format
//!
//! The OSC address space of `krd` as typed values, decoded with validation and encoded back, so
//! that the engine and the Python library (through pyo3) share one implementation.
//! `docs/protocol.md` documents every address; a test checks that the two agree.
//!
//! - [`Request`]: an optional request id and a [`Command`] (one variant per address, listed in
//!   [`ADDRESSES`]); [`decode_request`] / [`encode_request`] for one message.
//! - [`Packet`]: what one UDP datagram or TCP frame asks for — a time ([`TimeTag`]) and its
//!   requests — decoded all-or-nothing by [`decode_bundle`] (nested bundles, limits, and an error
//!   naming the failing message); [`encode_bundle`] builds one.
//! - [`Reply`]: `/kr/done`, `/kr/fail`, `/kr/status.reply`, `/kr/late` to a request's sender.
//! - [`Notification`]: `/kr/notify/...` to subscribers.
//! - [`TimeTag`]: OSC/NTP time tags, exact conversions to and from `SystemTime`.
//! - [`tcp`]: OSC 1.0 stream framing (32-bit big-endian size prefix), incremental and capped.
//! - [`Limits`]: bounds on packet size, nesting, counts, strings, voices.
//! - [`DecodeError`]: what was wrong and where; its text is what `/kr/fail` carries.
//!
//! ## Conventions
//! - Every address is under `/kr/`. Arguments are positional; `i`, `f` and `d` are accepted
//!   wherever a number is expected.
//! - A request may carry an id: an OSC int64 (`h`) as its *first* argument. No command takes an
//!   int64 otherwise, so there is no ambiguity, and `oscsend ... h 7 ...` works.
//! - Every request is answered to its sender with `/kr/done` or `/kr/fail`:
//!   `(address: s, id: h (-1 when none), message: s, extra...)`. A refused packet gets one
//!   `/kr/fail` ([`Reply::refused`]) and nothing of it is applied.
//! - A packet is applied as one unit at one time: the latest time tag in it (see [`bundle`]'s
//!   module docs for nested bundles).
//!
//! ## Robustness
//! No input makes the decoder panic or recurse without bound: nesting is checked on the raw
//! bytes before the OSC parser runs, and property tests (`tests/fuzz.rs`) feed it arbitrary
//! bytes and arbitrary well-formed messages.

mod args;
pub mod bundle;
mod command;
mod decode;
mod encode;
mod error;
mod notify;
mod reply;
pub mod tcp;
mod timetag;
mod validate;

pub use bundle::{decode_bundle, encode_bundle, Packet};
pub use command::{Command, DspSource, Request, ADDRESSES};
pub use decode::{decode_packet, decode_request};
pub use encode::{encode_request, to_bytes};
pub use error::DecodeError;
pub use notify::{Notification, NOTIFICATIONS};
pub use reply::{Reply, REPLY_ADDRESSES};
pub use timetag::{TimeTag, TimeTagRangeError, NTP_UNIX_OFFSET};
pub use validate::{Limits, DEFAULT_SUBSCRIBE_SECONDS, MAX_ARRAY_DEPTH, MAX_FADE_CYCLES, MAX_SUBSCRIBE_SECONDS};

/// Default UDP/TCP port of `krd`.
pub const DEFAULT_PORT: u16 = 57140;

/// The signature of a request address as documented (`"path:s value:f"`), or None.
pub fn signature(address: &str) -> Option<&'static str> {
    decode::signature(address)
}

#[cfg(test)]
mod docs_tests {
    /// docs/protocol.md documents exactly the addresses the decoder accepts and the
    /// notifications `krd` sends: one `### /kr/...` heading each.
    #[test]
    fn every_address_is_documented_and_every_documented_address_exists() {
        let doc = include_str!("../../docs/protocol.md");
        let mut documented: Vec<&str> = doc.lines().filter_map(|l| l.strip_prefix("### ")).map(str::trim).collect();
        documented.sort_unstable();
        let mut code: Vec<&str> = crate::ADDRESSES.to_vec();
        code.extend(crate::NOTIFICATIONS);
        code.sort_unstable();
        let missing: Vec<_> = code.iter().filter(|a| !documented.contains(a)).collect();
        let unknown: Vec<_> = documented.iter().filter(|a| !code.contains(a)).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "undocumented: {missing:?}; documented but unknown: {unknown:?}"
        );
        assert_eq!(documented, code, "duplicate headings");
        for a in crate::ADDRESSES {
            assert!(crate::signature(a).is_some(), "{a} has no signature");
        }
    }
}
