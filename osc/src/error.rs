use thiserror::Error;

/// Why a packet or message could not become a [`crate::Request`].
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DecodeError {
    #[error("not an OSC packet: {0}")]
    Malformed(String),
    #[error("packet of {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("unknown address {0} (see docs/protocol.md for the address space)")]
    UnknownAddress(String),
    #[error("{address}: expected {expected}, got {got}")]
    Arguments {
        address: String,
        expected: String,
        got: String,
    },
    #[error("{address}: argument '{name}': {problem}")]
    Invalid {
        address: String,
        name: String,
        problem: String,
    },
}
