//! Notifications: messages from `krd` to subscribed clients (`/kr/notify/subscribe`), not
//! answers to a request.

use crate::args::Args;
use crate::{DecodeError, Limits};
use rosc::{OscMessage, OscPacket, OscType};

/// A notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// `/kr/notify/state seq:h address:s message:s` — the session changed: `seq` counts changes
    /// (a gap means notifications were lost: fetch `/kr/dump`), `address` is the command that
    /// changed it and `message` its `/kr/done` text.
    State { seq: i64, address: String, message: String },
    /// `/kr/notify/reload node:s ok:i message:s` — a node's DSP was recompiled because its
    /// file in the dsp directory changed; `ok` 0 carries libfaust's error (the old DSP keeps
    /// playing).
    Reload { node: String, ok: bool, message: String },
    /// `/kr/notify/xrun total:h` — JACK reported an xrun; `total` since `krd` started.
    Xrun { total: i64 },
    /// `/kr/notify/late what:s seconds:f` — something happened `seconds` after its time: a
    /// time-tagged packet (`what` is its address) or a pattern event (`what` is
    /// `pattern <target>`).
    Late { what: String, seconds: f64 },
    /// `/kr/notify/error message:s` — a problem not tied to a request (a failed state write,
    /// a lost JACK connection).
    Error { message: String },
}

/// Every notification address, for documentation checks.
pub const NOTIFICATIONS: &[&str] =
    &["/kr/notify/state", "/kr/notify/reload", "/kr/notify/xrun", "/kr/notify/late", "/kr/notify/error"];

fn signature(address: &str) -> Option<&'static str> {
    Some(match address {
        "/kr/notify/state" => "seq:h address:s message:s",
        "/kr/notify/reload" => "node:s ok:i message:s",
        "/kr/notify/xrun" => "total:h",
        "/kr/notify/late" => "what:s seconds:f",
        "/kr/notify/error" => "message:s",
        _ => return None,
    })
}

fn s(v: &str) -> OscType {
    OscType::String(v.into())
}

impl Notification {
    pub fn address(&self) -> &'static str {
        match self {
            Notification::State { .. } => "/kr/notify/state",
            Notification::Reload { .. } => "/kr/notify/reload",
            Notification::Xrun { .. } => "/kr/notify/xrun",
            Notification::Late { .. } => "/kr/notify/late",
            Notification::Error { .. } => "/kr/notify/error",
        }
    }

    pub fn to_message(&self) -> OscMessage {
        let args = match self {
            Notification::State { seq, address, message } => vec![OscType::Long(*seq), s(address), s(message)],
            Notification::Reload { node, ok, message } => {
                vec![s(node), OscType::Int(i32::from(*ok)), s(message)]
            }
            Notification::Xrun { total } => vec![OscType::Long(*total)],
            Notification::Late { what, seconds } => vec![s(what), OscType::Float(*seconds as f32)],
            Notification::Error { message } => vec![s(message)],
        };
        OscMessage { addr: self.address().into(), args }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        crate::to_bytes(&OscPacket::Message(self.to_message()))
    }

    /// Read a notification (for clients and tests).
    pub fn from_message(msg: &OscMessage) -> Result<Notification, DecodeError> {
        let address = msg.addr.as_str();
        let sig = signature(address).ok_or_else(|| DecodeError::UnknownAddress(address.chars().take(100).collect()))?;
        let limits = Limits::default();
        let mut a = Args::new(address, sig, &msg.args, 0, &limits);
        let n = match address {
            "/kr/notify/state" => Notification::State {
                seq: a.long("seq")?,
                address: a.string("address")?.into(),
                message: a.string("message")?.into(),
            },
            "/kr/notify/reload" => Notification::Reload {
                node: a.string("node")?.into(),
                ok: a.flag("ok")?,
                message: a.string("message")?.into(),
            },
            "/kr/notify/xrun" => Notification::Xrun { total: a.long("total")? },
            "/kr/notify/late" => {
                Notification::Late { what: a.string("what")?.into(), seconds: a.number("seconds", None)? }
            }
            _ => Notification::Error { message: a.string("message")?.into() },
        };
        a.done()?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_round_trip() {
        let all = [
            Notification::State { seq: 42, address: "/kr/set".into(), message: "bass/cutoff = 300".into() },
            Notification::Reload {
                node: "bass".into(),
                ok: false,
                message: "bass : 3 : ERROR : undefined symbol : foo".into(),
            },
            Notification::Xrun { total: 3 },
            Notification::Late { what: "pattern bass".into(), seconds: 0.125 },
            Notification::Error { message: "state not written: disk full".into() },
        ];
        assert_eq!(all.len(), NOTIFICATIONS.len());
        for n in all {
            assert!(NOTIFICATIONS.contains(&n.address()));
            assert_eq!(Notification::from_message(&n.to_message()), Ok(n.clone()));
            let p = crate::decode_packet(&n.to_bytes(), &Limits::default()).unwrap();
            assert_eq!(p, OscPacket::Message(n.to_message()));
        }
    }

    #[test]
    fn bad_notifications_are_explained() {
        let m = OscMessage { addr: "/kr/notify/xrun".into(), args: vec![OscType::String("3".into())] };
        assert_eq!(
            Notification::from_message(&m).unwrap_err().to_string(),
            "/kr/notify/xrun: expected `total:h`, got string (s) as argument 1 'total'"
        );
    }
}
