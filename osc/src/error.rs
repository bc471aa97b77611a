//! [`DecodeError`]: what was wrong with a packet or a message, and where.

use thiserror::Error;

/// Why a packet or message could not become a [`crate::Request`] (or a [`crate::Packet`],
/// [`crate::Reply`], [`crate::Notification`]). The `Display` text is the message a client gets
/// in `/kr/fail`; it names the address, the argument (name and 1-based position on the wire,
/// counting the request id) and, for type errors, the expected signature.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DecodeError {
    /// Not OSC at all, or OSC whose structure is broken (sizes, padding, strings).
    #[error("not an OSC packet: {0}")]
    Malformed(String),
    /// Over `Limits::max_packet_bytes`.
    #[error("packet of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// A bundle that breaks a rule: nesting depth, message count, time tag order.
    #[error("bundle refused (nothing applied): {0}")]
    Bundle(String),
    #[error("unknown address {0} (see docs/protocol.md for the address space)")]
    UnknownAddress(String),
    /// Wrong argument types or count.
    #[error("{address}: expected `{expected}`, got {got}")]
    Arguments { address: String, expected: String, got: String },
    /// An argument of the right type with a bad value.
    #[error("{address}: argument {index} '{name}': {problem}")]
    Invalid {
        address: String,
        name: String,
        /// 1-based position of the argument in the message (the request id, when present, is 1).
        index: usize,
        problem: String,
    },
    /// A bug: the command table and the code disagree about an address.
    #[error("{address}: internal error (a bug: please report it): {problem}")]
    Internal { address: String, problem: String },
    /// One message of a packet failed, so the whole packet is refused. For a bare message
    /// (`bundled` false) the text is exactly the inner error's.
    #[error("{}{error}", bundle_prefix(*bundled, *index, *count))]
    Message {
        /// 0-based position of the message in the packet, depth first (the order it was added).
        index: usize,
        /// Number of messages in the packet.
        count: usize,
        /// The message came in a bundle (and so nothing of the bundle is applied).
        bundled: bool,
        /// Its address (at most 100 characters; empty when unreadable).
        address: String,
        /// Its request id, when it carried one.
        id: Option<i64>,
        error: Box<DecodeError>,
    },
}

fn bundle_prefix(bundled: bool, index: usize, count: usize) -> String {
    if bundled {
        format!("bundle refused (nothing applied): message {} of {count}: ", index + 1)
    } else {
        String::new()
    }
}

impl DecodeError {
    /// The address the error is about (empty when none is known): what `/kr/fail` carries.
    pub fn address(&self) -> &str {
        match self {
            DecodeError::Message { address, .. }
            | DecodeError::Arguments { address, .. }
            | DecodeError::Invalid { address, .. }
            | DecodeError::Internal { address, .. }
            | DecodeError::UnknownAddress(address) => address,
            _ => "",
        }
    }

    /// The request id of the failing message, when known.
    pub fn id(&self) -> Option<i64> {
        match self {
            DecodeError::Message { id, .. } => *id,
            _ => None,
        }
    }

    /// The innermost error (what was wrong with the message itself).
    pub fn root(&self) -> &DecodeError {
        match self {
            DecodeError::Message { error, .. } => error.root(),
            e => e,
        }
    }
}
