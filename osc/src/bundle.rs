//! A packet as one unit: a bare message, or a tree of bundles, becomes a [`Packet`] — one time
//! and the requests in order — or one error, and then nothing of it is applied.
//!
//! ## Nested bundles
//! OSC 1.0 requires a bundle inside a bundle to carry a time tag no earlier than its enclosing
//! bundle's. `kr` refuses a packet that breaks that rule (naming the bundle), reads an inner
//! `immediately` (0/1) as "at the enclosing bundle's time", and applies the whole packet at one
//! frame: the **latest** time tag in it. That is the only instant at which every message's own
//! bundle time has arrived, so no message runs early, and it keeps the packet atomic. Clients
//! that want different times send separate packets, as TidalCycles and sclang do (one bundle
//! per event); scsynth itself does not support nested bundles.
//!
//! ## Checks, in order
//! Packet size (`max_packet_bytes`); structure: bundle header and element sizes (multiples of
//! 4, inside their bundle), nesting depth (`max_bundle_depth`, a bundle in a packet is depth 1),
//! message count (`max_bundle_messages`), time-tag order, OSC array nesting
//! ([`crate::validate::MAX_ARRAY_DEPTH`]); then each message in order: known address, argument
//! count (`max_args`), OSC syntax, and [`crate::decode_request`]'s validation. The first failure
//! is returned; nesting is bounded before any recursive parsing, so no input can exhaust the
//! stack.

use crate::decode::{decode_request, request_id};
use crate::encode::encode_request;
use crate::table::signature;
use crate::timetag::TimeTag;
use crate::validate::Limits;
use crate::walk::{peek, walk};
use crate::{DecodeError, Reply, Request};
use rosc::{OscBundle, OscMessage, OscPacket};

/// What one packet asks for, validated: apply `requests` in order, all at `time`.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    /// `Immediate` for a bare message or a bundle tagged 0/1.
    pub time: TimeTag,
    /// The requests in packet order (depth first). Empty for an empty bundle.
    pub requests: Vec<Request>,
}

/// Parse one message's bytes (known to start with '/').
fn parse_message(bytes: &[u8]) -> Result<OscMessage, DecodeError> {
    match rosc::decoder::decode_udp(bytes) {
        Ok(([], OscPacket::Message(m))) => Ok(m),
        Ok((rest, OscPacket::Message(_))) => {
            Err(DecodeError::Malformed(format!("{} bytes after the message's arguments", rest.len())))
        }
        Ok((_, OscPacket::Bundle(_))) => Err(DecodeError::Malformed("not a message".into())),
        Err(e) => Err(DecodeError::Malformed(e.to_string())),
    }
}

/// Decode and validate a whole packet (bare message or bundle tree): all of it, or an error
/// naming the first failing message (index, address, id, why) or structural problem.
pub fn decode_bundle(bytes: &[u8], limits: &Limits) -> Result<Packet, DecodeError> {
    let walk = walk(bytes, limits)?;
    let count = walk.messages.len();
    let mut requests = Vec::with_capacity(count);
    for (index, &bytes) in walk.messages.iter().enumerate() {
        let peek = peek(bytes);
        let address: String = peek.address.unwrap_or("").chars().take(100).collect();
        let fail = |id: Option<i64>, error: DecodeError| DecodeError::Message {
            index,
            count,
            bundled: walk.bundled,
            address: address.clone(),
            id,
            error: Box::new(error),
        };
        // Refuse what needs no argument parsing first, so hostile messages cost nothing.
        let Some(sig) = signature(&address) else {
            return Err(fail(peek.id, DecodeError::UnknownAddress(address.clone())));
        };
        if let Some(tags) = peek.tags {
            if tags.len() > limits.max_args {
                return Err(fail(
                    peek.id,
                    DecodeError::Arguments {
                        address: address.clone(),
                        expected: sig.into(),
                        got: format!("{} arguments (the limit is {})", tags.len(), limits.max_args),
                    },
                ));
            }
        }
        let msg = parse_message(bytes).map_err(|e| fail(peek.id, e))?;
        let request = decode_request(&msg, limits).map_err(|e| fail(request_id(&msg), e))?;
        requests.push(request);
    }
    Ok(Packet { time: walk.time, requests })
}

/// A bundle of requests, to be applied together at `time`.
pub fn encode_bundle(time: TimeTag, requests: &[Request]) -> OscPacket {
    OscPacket::Bundle(OscBundle {
        timetag: time.to_osc(),
        content: requests.iter().map(|r| OscPacket::Message(encode_request(r))).collect(),
    })
}

impl Packet {
    /// This packet as one bundle (the inverse of [`decode_bundle`]).
    pub fn to_osc(&self) -> OscPacket {
        encode_bundle(self.time, &self.requests)
    }

    /// The address and id that speak for the whole packet in a reply: the first request that
    /// carries an id, else the first request (`("", None)` for an empty bundle).
    pub fn reply_key(&self) -> (&'static str, Option<i64>) {
        self.requests
            .iter()
            .find(|r| r.id.is_some())
            .or(self.requests.first())
            .map_or(("", None), |r| (r.command.address(), r.id))
    }

    /// `/kr/late` for this packet, applied `seconds` after its time tag.
    pub fn late(&self, seconds: f64) -> Reply {
        let (address, id) = self.reply_key();
        Reply::Late { address: address.into(), id, seconds }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::BUNDLE_TAG;
    use crate::{to_bytes, Command};
    use rosc::{OscTime, OscType};

    fn req(id: Option<i64>, command: Command) -> Request {
        Request { id, command }
    }

    fn set(id: i64, path: &str, value: f32) -> Request {
        req(Some(id), Command::Set { path: path.into(), value })
    }

    fn at(s: u32) -> OscTime {
        OscTime { seconds: 0xE000_0000 + s, fractional: 0 }
    }

    fn bundle(t: OscTime, content: Vec<OscPacket>) -> OscPacket {
        OscPacket::Bundle(OscBundle { timetag: t, content })
    }

    fn msg(addr: &str, args: Vec<OscType>) -> OscPacket {
        OscPacket::Message(OscMessage { addr: addr.into(), args })
    }

    fn decode(p: &OscPacket) -> Result<Packet, DecodeError> {
        decode_bundle(&to_bytes(p), &Limits::default())
    }

    #[test]
    fn a_bare_message_is_an_immediate_packet() {
        let r = set(4, "bass/cutoff", 300.0);
        let p = decode(&OscPacket::Message(encode_request(&r))).unwrap();
        assert_eq!(p, Packet { time: TimeTag::Immediate, requests: vec![r] });
    }

    #[test]
    fn bundles_round_trip() {
        let p = Packet {
            time: TimeTag::from_osc(at(5)),
            requests: vec![set(1, "a/x", 1.0), req(None, Command::Ping), set(2, "b/y", -2.5)],
        };
        assert_eq!(decode(&p.to_osc()).unwrap(), p);
        assert_eq!(p.reply_key(), ("/kr/set", Some(1)));
        let empty = Packet { time: TimeTag::Immediate, requests: vec![] };
        assert_eq!(decode(&empty.to_osc()).unwrap(), empty);
        assert_eq!(empty.reply_key(), ("", None));
    }

    #[test]
    fn nested_bundles_apply_at_the_latest_tag() {
        let inner = bundle(at(7), vec![OscPacket::Message(encode_request(&set(2, "b", 1.0)))]);
        let now =
            bundle(OscTime { seconds: 0, fractional: 1 }, vec![OscPacket::Message(encode_request(&set(3, "c", 1.0)))]);
        let outer = bundle(at(5), vec![OscPacket::Message(encode_request(&set(1, "a", 1.0))), inner, now]);
        let p = decode(&outer).unwrap();
        assert_eq!(p.time, TimeTag::from_osc(at(7)));
        let ids: Vec<_> = p.requests.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![Some(1), Some(2), Some(3)]);
        // An immediate outer bundle takes the inner instant.
        let outer = bundle(OscTime { seconds: 0, fractional: 1 }, vec![bundle(at(9), vec![msg("/kr/ping", vec![])])]);
        assert_eq!(decode(&outer).unwrap().time, TimeTag::from_osc(at(9)));
    }

    #[test]
    fn a_nested_bundle_earlier_than_its_parent_is_refused() {
        let outer = bundle(at(5), vec![bundle(at(4), vec![msg("/kr/ping", vec![])])]);
        let e = decode(&outer).unwrap_err().to_string();
        assert!(e.starts_with("bundle refused (nothing applied): the nested bundle at byte 20 is tagged"), "{e}");
        assert!(e.contains("no earlier than its parent's"), "{e}");
    }

    #[test]
    fn one_bad_message_refuses_the_bundle_naming_it() {
        let p = bundle(
            at(1),
            vec![
                OscPacket::Message(encode_request(&set(1, "a", 1.0))),
                msg("/kr/set", vec![OscType::Long(8), OscType::String("b".into()), OscType::Float(f32::INFINITY)]),
                msg("/kr/ping", vec![]),
            ],
        );
        let e = decode(&p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bundle refused (nothing applied): message 2 of 3: /kr/set: argument 3 'value': inf is not a finite number"
        );
        assert_eq!(e.address(), "/kr/set");
        assert_eq!(e.id(), Some(8));
        assert_eq!(Reply::refused(&e), Reply::fail("/kr/set", Some(8), e.to_string()));
        let e = decode(&bundle(at(1), vec![msg("/kr/nope", vec![])])).unwrap_err();
        assert_eq!(e.to_string(), "bundle refused (nothing applied): message 1 of 1: unknown address /kr/nope (see docs/protocol.md for the address space)");
        let e = decode(&msg("/kr/nope", vec![OscType::Long(12), OscType::Nil])).unwrap_err();
        assert_eq!((e.address(), e.id()), ("/kr/nope", Some(12)));
        let e = decode(&msg("/kr/ping", vec![OscType::Long(13), OscType::Nil])).unwrap_err();
        assert_eq!((e.address(), e.id()), ("/kr/ping", Some(13)));
        let e = decode(&msg("/kr/x", vec![OscType::Int(13), OscType::Long(2)])).unwrap_err();
        assert_eq!(e.id(), None);
        // A bare message's error reads as before, and keeps its id.
        let e = decode(&msg("/kr/get", vec![OscType::Long(5)])).unwrap_err();
        assert_eq!(e.to_string(), "/kr/get: expected `path:s`, got no argument 2 'path'");
        assert_eq!((e.address(), e.id()), ("/kr/get", Some(5)));
    }

    #[test]
    fn limits_depth_count_and_size() {
        let l = Limits { max_bundle_depth: 2, max_bundle_messages: 2, ..Limits::default() };
        let ping = || msg("/kr/ping", vec![]);
        let two = bundle(at(1), vec![bundle(at(1), vec![ping()])]);
        assert!(decode_bundle(&to_bytes(&two), &l).is_ok());
        let three = bundle(at(1), vec![two]);
        assert_eq!(
            decode_bundle(&to_bytes(&three), &l).unwrap_err().to_string(),
            "bundle refused (nothing applied): bundles nested 3 deep at byte 40; the limit is 2"
        );
        let many = bundle(at(1), vec![ping(), ping(), ping()]);
        assert_eq!(
            decode_bundle(&to_bytes(&many), &l).unwrap_err().to_string(),
            "bundle refused (nothing applied): more than 2 messages in one packet (the limit)"
        );
        let small = Limits { max_packet_bytes: 8, ..Limits::default() };
        assert_eq!(decode_bundle(&to_bytes(&ping()), &small), Err(DecodeError::TooLarge { size: 16, limit: 8 }));
        let wide = msg("/kr/ping", vec![OscType::Nil; 65]);
        assert_eq!(
            decode(&wide).unwrap_err().to_string(),
            "/kr/ping: expected `no arguments`, got 65 arguments (the limit is 64)"
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        // 40,000 nested bundle headers: far too deep for a recursive parser's stack.
        let n = 40_000;
        let ping = to_bytes(&msg("/kr/ping", vec![]));
        let mut bytes = Vec::new();
        for i in 0..n {
            bytes.extend_from_slice(BUNDLE_TAG);
            bytes.extend_from_slice(&1u64.to_be_bytes());
            let inner = (n - i - 1) * 20 + ping.len();
            bytes.extend_from_slice(&(inner as u32).to_be_bytes());
        }
        bytes.extend_from_slice(&ping);
        let e = decode_bundle(&bytes, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("bundles nested 9 deep"), "{e}");
        assert!(crate::decode_packet(&bytes, &Limits::default()).is_err());
        // Deeply nested arrays likewise.
        let mut m = b"/kr/ping\0\0\0\0,".to_vec();
        m.extend(std::iter::repeat_n(b'[', 100_000));
        m.extend(std::iter::repeat_n(b']', 100_000));
        m.extend_from_slice(&[0; 4][..(4 - m.len() % 4)]);
        let e = decode_bundle(&m, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("nests arrays deeper than 8"), "{e}");
    }

    #[test]
    fn broken_structure_is_malformed() {
        let good = to_bytes(&bundle(at(1), vec![msg("/kr/ping", vec![])]));
        let mut long = good.clone();
        long[19] = 200;
        assert_eq!(
            decode_bundle(&long, &Limits::default()).unwrap_err().to_string(),
            "not an OSC packet: the bundle at byte 0: element 1 at byte 16 claims 200 bytes but 16 remain"
        );
        let mut odd = good.clone();
        odd.push(0);
        assert!(decode_bundle(&odd, &Limits::default()).is_err());
        assert!(decode_bundle(&good[..10], &Limits::default()).is_err());
        assert_eq!(decode_bundle(b"", &Limits::default()).unwrap_err().to_string(), "not an OSC packet: empty packet");
        // Trailing bytes after a bare message.
        let mut trail = to_bytes(&msg("/kr/ping", vec![]));
        trail.extend_from_slice(&[1, 2, 3, 4]);
        assert!(decode_bundle(&trail, &Limits::default()).is_err());
    }

    #[test]
    fn late_replies_speak_for_the_packet() {
        let p = Packet { time: TimeTag::from_osc(at(1)), requests: vec![req(None, Command::Ping), set(6, "a/b", 1.0)] };
        assert_eq!(p.late(0.25), Reply::Late { address: "/kr/set".into(), id: Some(6), seconds: 0.25 });
    }
}
