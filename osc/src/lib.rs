//! # kr-osc: kr's wire format
//!
//! The OSC address space of `krd` as typed values: [`Request`] (an optional request id and a
//! [`Command`]) and [`Reply`]. Each is decoded from OSC with validation ([`DecodeError`] says
//! exactly what was wrong and where) and encoded back, so the engine and the Python library
//! (through pyo3) share one implementation. `docs/protocol.md` documents every address; a test
//! checks that the two agree.
//!
//! ## Conventions
//! - Every address is under `/kr/`. Arguments are positional.
//! - A request may carry an id: an OSC int64 (`h`) as its *first* argument. No command takes an
//!   int64 otherwise, so there is no ambiguity, and `oscsend ... h 7 ...` works.
//! - Every request is answered to its sender with `/kr/done` or `/kr/fail`:
//!   `(address: s, id: h (-1 when none), message: s, extra...)`.

mod command;
mod decode;
mod encode;
mod error;
mod reply;
mod validate;

pub use command::{Command, DspSource, Request, ADDRESSES};
pub use decode::{decode_packet, decode_request};
pub use encode::{encode_request, to_bytes};
pub use error::DecodeError;
pub use reply::Reply;
pub use validate::Limits;

/// Default UDP/TCP port of `krd`.
pub const DEFAULT_PORT: u16 = 57140;

#[cfg(test)]
mod docs_tests {
    /// docs/protocol.md documents exactly the addresses the decoder accepts.
    #[test]
    fn every_address_is_documented_and_every_documented_address_exists() {
        let doc = include_str!("../../docs/protocol.md");
        let mut documented: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .map(str::trim)
            .collect();
        documented.sort_unstable();
        let mut code: Vec<&str> = crate::ADDRESSES.to_vec();
        code.sort_unstable();
        assert_eq!(documented, code);
        for a in crate::ADDRESSES {
            assert!(
                crate::decode::signature(a).is_some(),
                "{a} has no signature"
            );
        }
    }
}
