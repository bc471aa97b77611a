//! Replies from `krd` to the sender of a request.

use rosc::{OscMessage, OscType};

/// An answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `/kr/done address id message extra...`
    Done {
        address: String,
        id: Option<i64>,
        message: String,
        extra: Vec<OscType>,
    },
    /// `/kr/fail address id message` (for FAUST errors, message is libfaust's text).
    Fail {
        address: String,
        id: Option<i64>,
        message: String,
    },
    /// `/kr/status.reply json`
    Status { json: String },
}

impl Reply {
    pub fn done(address: &str, id: Option<i64>, message: impl Into<String>) -> Reply {
        Reply::Done {
            address: address.into(),
            id,
            message: message.into(),
            extra: vec![],
        }
    }

    pub fn fail(address: &str, id: Option<i64>, message: impl Into<String>) -> Reply {
        Reply::Fail {
            address: address.into(),
            id,
            message: message.into(),
        }
    }

    /// The OSC message to send.
    pub fn to_message(&self) -> OscMessage {
        match self {
            Reply::Done {
                address,
                id,
                message,
                extra,
            } => {
                let mut args = vec![
                    OscType::String(address.clone()),
                    OscType::Long(id.unwrap_or(-1)),
                    OscType::String(message.clone()),
                ];
                args.extend(extra.iter().cloned());
                OscMessage {
                    addr: "/kr/done".into(),
                    args,
                }
            }
            Reply::Fail {
                address,
                id,
                message,
            } => OscMessage {
                addr: "/kr/fail".into(),
                args: vec![
                    OscType::String(address.clone()),
                    OscType::Long(id.unwrap_or(-1)),
                    OscType::String(message.clone()),
                ],
            },
            Reply::Status { json } => OscMessage {
                addr: "/kr/status.reply".into(),
                args: vec![OscType::String(json.clone())],
            },
        }
    }
}
