//! Replies from `krd` to the sender of a request.

use crate::args::Args;
use crate::{DecodeError, Limits};
use rosc::{OscMessage, OscPacket, OscType};

/// An answer to one request (or, for `Late`, to one packet).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `/kr/done address:s id:h message:s extra...`
    Done { address: String, id: Option<i64>, message: String, extra: Vec<OscType> },
    /// `/kr/fail address:s id:h message:s` (for FAUST errors, message is libfaust's text).
    Fail { address: String, id: Option<i64>, message: String },
    /// `/kr/status.reply json:s`
    Status { json: String },
    /// `/kr/late address:s id:h seconds:f`: a time-tagged packet was applied `seconds` after
    /// its tag. Sent to the packet's sender before its requests' replies; `address` and `id`
    /// are [`crate::Packet::reply_key`].
    Late { address: String, id: Option<i64>, seconds: f64 },
}

/// Reply addresses, as sent by `krd`.
pub const REPLY_ADDRESSES: &[&str] = &["/kr/done", "/kr/fail", "/kr/status.reply", "/kr/late"];

impl Reply {
    pub fn done(address: &str, id: Option<i64>, message: impl Into<String>) -> Reply {
        Reply::Done { address: address.into(), id, message: message.into(), extra: vec![] }
    }

    pub fn fail(address: &str, id: Option<i64>, message: impl Into<String>) -> Reply {
        Reply::Fail { address: address.into(), id, message: message.into() }
    }

    /// The `/kr/fail` for a packet or message that did not decode: the failing message's
    /// address and id (when known) and the error's text.
    pub fn refused(error: &DecodeError) -> Reply {
        Reply::fail(error.address(), error.id(), error.to_string())
    }

    /// The OSC message to send.
    pub fn to_message(&self) -> OscMessage {
        let head =
            |address: &str, id: &Option<i64>| vec![OscType::String(address.into()), OscType::Long(id.unwrap_or(-1))];
        let (addr, args) = match self {
            Reply::Done { address, id, message, extra } => {
                let mut args = head(address, id);
                args.push(OscType::String(message.clone()));
                args.extend(extra.iter().cloned());
                ("/kr/done", args)
            }
            Reply::Fail { address, id, message } => {
                let mut args = head(address, id);
                args.push(OscType::String(message.clone()));
                ("/kr/fail", args)
            }
            Reply::Status { json } => ("/kr/status.reply", vec![OscType::String(json.clone())]),
            Reply::Late { address, id, seconds } => {
                let mut args = head(address, id);
                args.push(OscType::Float(*seconds as f32));
                ("/kr/late", args)
            }
        };
        OscMessage { addr: addr.into(), args }
    }

    /// The encoded bytes of [`Reply::to_message`].
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::to_bytes(&OscPacket::Message(self.to_message()))
    }

    /// Read a reply (for clients and tests). `id` -1 reads as None.
    pub fn from_message(msg: &OscMessage) -> Result<Reply, DecodeError> {
        let address = msg.addr.as_str();
        let sig = match address {
            "/kr/done" => "address:s id:h message:s [extra...]",
            "/kr/fail" => "address:s id:h message:s",
            "/kr/status.reply" => "json:s",
            "/kr/late" => "address:s id:h seconds:f",
            _ => return Err(DecodeError::UnknownAddress(address.chars().take(100).collect())),
        };
        let limits = Limits::default();
        let mut a = Args::new(address, sig, &msg.args, 0, &limits);
        let head = |a: &mut Args<'_>| -> Result<(String, Option<i64>), DecodeError> {
            let address = a.string("address")?.to_string();
            let id = a.long("id")?;
            Ok((address, (id != -1).then_some(id)))
        };
        let reply = match address {
            "/kr/done" => {
                let (address, id) = head(&mut a)?;
                let message = a.string("message")?.to_string();
                let extra = msg.args[a.pos..].to_vec();
                a.pos = msg.args.len();
                Reply::Done { address, id, message, extra }
            }
            "/kr/fail" => {
                let (address, id) = head(&mut a)?;
                Reply::Fail { address, id, message: a.string("message")?.to_string() }
            }
            "/kr/late" => {
                let (address, id) = head(&mut a)?;
                Reply::Late { address, id, seconds: a.number("seconds", None)? }
            }
            _ => Reply::Status { json: a.string("json")?.to_string() },
        };
        a.done()?;
        Ok(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_round_trip() {
        let replies = [
            Reply::done("/kr/ping", Some(3), "pong"),
            Reply::Done {
                address: "/kr/get".into(),
                id: None,
                message: "a/b = 1".into(),
                extra: vec![OscType::Float(1.0)],
            },
            Reply::fail("", None, "not an OSC packet: empty packet"),
            Reply::Status { json: "{}".into() },
            Reply::Late { address: "/kr/set".into(), id: Some(-7), seconds: 0.5 },
        ];
        for r in replies {
            assert_eq!(Reply::from_message(&r.to_message()), Ok(r.clone()));
            let back = crate::decode_packet(&r.to_bytes(), &Limits::default()).unwrap();
            assert_eq!(back, OscPacket::Message(r.to_message()));
        }
    }

    #[test]
    fn wire_form() {
        let m = Reply::Late { address: "/kr/set".into(), id: None, seconds: 0.25 }.to_message();
        assert_eq!(m.addr, "/kr/late");
        assert_eq!(m.args, vec![OscType::String("/kr/set".into()), OscType::Long(-1), OscType::Float(0.25)]);
        let bad = OscMessage { addr: "/kr/fail".into(), args: vec![OscType::String("/kr/x".into())] };
        assert_eq!(
            Reply::from_message(&bad).unwrap_err().to_string(),
            "/kr/fail: expected `address:s id:h message:s`, got no argument 2 'id'"
        );
    }
}
