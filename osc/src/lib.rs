//! # kr-osc: kr's wire format
//!
//! The OSC address space of `krd` as typed values, decoded with validation and encoded back, so
//! that the engine and the Python library (through pyo3) share one implementation.
//! `docs/protocol.md` documents every address; a test checks that the two agree.
//!
//! - [`TABLE`]: the command table — every request address declared once ([`CommandSpec`]: its
//!   serde `cmd` tag, arguments as [`ArgSpec`]s, reply, one line of documentation). Signatures
//!   ([`signature`]), [`ADDRESSES`], decoding, encoding, the check of `docs/protocol.md` and the
//!   Python library's `kr._kr.command_table()` all derive from it.
//! - [`Request`]: an optional request id and a [`Command`] (whose table entry is
//!   [`Command::spec`]); [`decode_request`] / [`encode_request`] for one message.
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
//! ## Modules
//! - `table`: the command table ([`TABLE`], [`ADDRESSES`], [`Command::spec`]).
//! - `spec`: the types of a table entry ([`CommandSpec`], [`ArgSpec`], [`Kind`],
//!   [`DefaultValue`]), signatures and lookup by address.
//! - `command`: [`Command`], [`Request`], [`DspSource`].
//! - `decode`: a message read by its table entry ([`decode_request`]); [`decode_packet`].
//! - `encode`: the inverse ([`encode_request`]); [`to_bytes`].
//! - `fields`: a command's arguments as named values, between the table and a [`Command`].
//! - `args`: a cursor over a message's arguments that reads typed values and explains every
//!   mismatch.
//! - `validate`: [`Limits`] and the value rules (names, paths, files, numbers).
//! - `walk`: the structural pass over a packet's raw bytes (size, nesting, counts, time-tag
//!   order), before any OSC parsing.
//! - [`bundle`]: a packet as one unit ([`Packet`], [`decode_bundle`], [`encode_bundle`]).
//! - `reply`: [`Reply`]; `notify`: [`Notification`].
//! - `timetag`: [`TimeTag`].
//! - [`tcp`]: stream framing.
//! - `error`: [`DecodeError`].
//! - `table_tests`, `docs_tests` (tests only): the table checked for consistency and round trips,
//!   and `docs/protocol.md` checked against it.
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
#[cfg(test)]
mod docs_tests;
mod encode;
mod error;
mod fields;
mod notify;
mod reply;
mod spec;
mod table;
#[cfg(test)]
mod table_tests;
pub mod tcp;
mod timetag;
mod validate;
mod walk;

pub use bundle::{decode_bundle, encode_bundle, Packet};
pub use command::{Command, DspSource, Request};
pub use decode::{decode_packet, decode_request};
pub use encode::{encode_request, to_bytes};
pub use error::DecodeError;
pub use notify::{Notification, NOTIFICATIONS};
pub use reply::{Reply, REPLY_ADDRESSES};
pub use spec::{ArgSpec, CommandSpec, DefaultValue, Kind};
pub use table::{command_spec, signature, ADDRESSES, TABLE};
pub use timetag::{TimeTag, TimeTagRangeError, NTP_UNIX_OFFSET};
pub use validate::{
    Limits, BPM_RANGE, DEFAULT_SUBSCRIBE_SECONDS, LINK_QUANTUM_RANGE, MAX_ARRAY_DEPTH, MAX_FADE_CYCLES, MAX_GAIN,
    MAX_MASTER, MAX_SUBSCRIBE_SECONDS, METER_RANGE,
};

/// Check a node name or control path as every command does (segments of letters, digits, `_`,
/// `-`, `.` joined by `/`, within the length limit); the problem as text.
pub fn check_name(value: &str, limits: &Limits) -> Result<(), String> {
    validate::path(value, limits).map_err(|p| format!("the name {p}"))
}

/// Default UDP/TCP port of `krd`.
pub const DEFAULT_PORT: u16 = 57140;
