//! OSC → [`Request`], with validation.

use crate::args::Args;
use crate::command::{Command, DspSource, Request};
use crate::validate::{self, Limits, MAX_FADE_CYCLES, MAX_SUBSCRIBE_SECONDS};
use crate::DecodeError;
use kr_pattern::ir::Ir;
use rosc::{OscMessage, OscPacket, OscType};

/// Decode raw bytes into an OSC packet, refusing oversized input, bundles nested deeper than
/// `limits.max_bundle_depth`, more than `limits.max_bundle_messages` messages, arrays nested
/// deeper than [`validate::MAX_ARRAY_DEPTH`] and trailing bytes. Requests should go through
/// [`crate::decode_bundle`], which also validates every message.
pub fn decode_packet(bytes: &[u8], limits: &Limits) -> Result<OscPacket, DecodeError> {
    // The structural walk bounds nesting before the recursive parser sees the bytes.
    crate::bundle::walk(bytes, limits)?;
    match rosc::decoder::decode_udp(bytes) {
        Ok(([], packet)) => Ok(packet),
        Ok((rest, _)) => Err(DecodeError::Malformed(format!("{} bytes after the end of the packet", rest.len()))),
        Err(e) => Err(DecodeError::Malformed(format!("{e:?}"))),
    }
}

/// Signature text of each request address, as printed in errors and docs.
pub(crate) fn signature(address: &str) -> Option<&'static str> {
    Some(match address {
        "/kr/status" | "/kr/ping" | "/kr/dump" | "/kr/scene/list" | "/kr/notify/unsubscribe" => "no arguments",
        "/kr/node/new" => "name:s source:s [count:i] [gain:f] [meta:s]",
        "/kr/node/free" | "/kr/mute" | "/kr/unmute" | "/kr/solo" | "/kr/unsolo" => "name:s",
        "/kr/set" => "path:s value:f",
        "/kr/get" => "path:s",
        "/kr/fade" => "path:s target:f cycles:f",
        "/kr/route" => "from:s to:s [level:f]",
        "/kr/unroute" => "from:s to:s",
        "/kr/play" => "target:s pattern:s [from_zero:i]",
        "/kr/hush" => "[target:s]",
        "/kr/tempo" => "bpm:f",
        "/kr/meter" => "beats:f",
        "/kr/master" => "gain:f",
        "/kr/scene/save" | "/kr/scene/delete" => "name:s",
        "/kr/scene/recall" => "name:s [cycles:f]",
        "/kr/record/start" => "file:s [target:s]",
        "/kr/record/stop" => "[file:s]",
        "/kr/notify/subscribe" => "[seconds:f]",
        _ => return None,
    })
}

/// Parse a pattern argument: pattern IR as JSON (`{...}`) or mini-notation.
fn pattern(a: &mut Args<'_>) -> Result<Ir, DecodeError> {
    let src = a.string("pattern")?;
    let ir = if src.trim_start().starts_with('{') {
        Ir::from_json(src).map_err(|e| a.invalid("pattern", e.to_string()))?
    } else {
        Ir::mini(src)
    };
    ir.to_pattern().map_err(|e| a.invalid("pattern", e.to_string()))?;
    Ok(ir)
}

/// A node's DSP: FAUST source, or `faust:<type>` naming a file of the dsp directory.
fn source(a: &mut Args<'_>) -> Result<DspSource, DecodeError> {
    let limit = a.limits.max_source_bytes;
    let text = a.text("source", limit)?;
    if text.trim().is_empty() {
        return Err(a.invalid("source", "is empty"));
    }
    let source = DspSource::parse(text);
    if let DspSource::File(t) = &source {
        validate::relative_file(t, a.limits)
            .map_err(|p| a.invalid("source", format!("dsp name after 'faust:' {p}")))?;
    }
    Ok(source)
}

/// The request id: an int64 as the first argument.
pub(crate) fn request_id(msg: &OscMessage) -> Option<i64> {
    match msg.args.first() {
        Some(OscType::Long(id)) => Some(*id),
        _ => None,
    }
}

/// Decode and validate one message.
pub fn decode_request(msg: &OscMessage, limits: &Limits) -> Result<Request, DecodeError> {
    let address = msg.addr.as_str();
    let sig = signature(address).ok_or_else(|| DecodeError::UnknownAddress(address.chars().take(100).collect()))?;
    if msg.args.len() > limits.max_args {
        return Err(DecodeError::Arguments {
            address: address.into(),
            expected: sig.into(),
            got: format!("{} arguments (the limit is {})", msg.args.len(), limits.max_args),
        });
    }
    let id = request_id(msg);
    let offset = usize::from(id.is_some());
    let mut a = Args::new(address, sig, &msg.args[offset..], offset, limits);
    let command = command(address, &mut a)?;
    a.done()?;
    Ok(Request { id, command })
}

fn command(address: &str, a: &mut Args<'_>) -> Result<Command, DecodeError> {
    const GAIN: Option<(f64, f64)> = Some((0.0, 16.0));
    const CYCLES: Option<(f64, f64)> = Some((0.0, MAX_FADE_CYCLES));
    Ok(match address {
        "/kr/status" => Command::Status,
        "/kr/ping" => Command::Ping,
        "/kr/dump" => Command::Dump,
        "/kr/scene/list" => Command::SceneList,
        "/kr/notify/unsubscribe" => Command::Unsubscribe,
        "/kr/node/new" => {
            let name = a.path("name")?.into();
            let source = source(a)?;
            let count = if a.has_more() { a.integer("count", 1, i64::from(a.limits.max_voices))? as u32 } else { 1 };
            let gain = a.opt_number("gain", 1.0, GAIN)? as f32;
            let meta = if a.has_more() { a.string("meta")? } else { "" };
            if meta.len() > a.limits.max_source_bytes {
                return Err(
                    a.invalid("meta", format!("{} bytes; the limit is {}", meta.len(), a.limits.max_source_bytes))
                );
            }
            Command::NodeNew { name, source, count, gain, meta: meta.into() }
        }
        "/kr/node/free" => Command::NodeFree { name: a.path("name")?.into() },
        "/kr/mute" | "/kr/unmute" => Command::Mute { name: a.path("name")?.into(), on: address == "/kr/mute" },
        "/kr/solo" | "/kr/unsolo" => Command::Solo { name: a.path("name")?.into(), on: address == "/kr/solo" },
        "/kr/set" => Command::Set { path: a.path("path")?.into(), value: a.number_f32("value")? },
        "/kr/get" => Command::Get { path: a.path("path")?.into() },
        "/kr/fade" => Command::Fade {
            path: a.path("path")?.into(),
            target: a.number_f32("target")?,
            cycles: a.number("cycles", CYCLES)?,
        },
        "/kr/route" => Command::Route {
            from: a.path("from")?.into(),
            to: a.path("to")?.into(),
            level: a.opt_number("level", 1.0, GAIN)? as f32,
        },
        "/kr/unroute" => Command::Unroute { from: a.path("from")?.into(), to: a.path("to")?.into() },
        "/kr/play" => {
            let target = a.path("target")?.into();
            let pattern = pattern(a)?;
            let from_zero = a.has_more() && a.flag("from_zero")?;
            Command::Play { target, pattern, from_zero }
        }
        "/kr/hush" => Command::Hush { target: a.opt_path("target")?.map(Into::into) },
        "/kr/tempo" => Command::Tempo { bpm: a.number("bpm", Some((1.0, 1000.0)))? },
        "/kr/meter" => Command::Meter { beats: a.number("beats", Some((0.25, 64.0)))? },
        "/kr/master" => Command::Master { gain: a.number("gain", Some((0.0, 4.0)))? as f32 },
        "/kr/scene/save" => Command::SceneSave { name: a.path("name")?.into() },
        "/kr/scene/delete" => Command::SceneDelete { name: a.path("name")?.into() },
        "/kr/scene/recall" => {
            Command::SceneRecall { name: a.path("name")?.into(), cycles: a.opt_number("cycles", 0.0, CYCLES)? }
        }
        "/kr/record/start" => Command::RecordStart {
            file: a.checked("file", validate::wav_file)?.into(),
            target: a.opt_path("target")?.map(Into::into),
        },
        "/kr/record/stop" => Command::RecordStop {
            file: if a.has_more() { Some(a.checked("file", validate::wav_file)?.into()) } else { None },
        },
        "/kr/notify/subscribe" => Command::Subscribe {
            seconds: a.opt_number(
                "seconds",
                validate::DEFAULT_SUBSCRIBE_SECONDS,
                Some((1.0, MAX_SUBSCRIBE_SECONDS)),
            )?,
        },
        _ => return Err(DecodeError::UnknownAddress(address.into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(addr: &str, args: Vec<OscType>) -> OscMessage {
        OscMessage { addr: addr.into(), args }
    }

    fn s(v: &str) -> OscType {
        OscType::String(v.into())
    }

    fn err(addr: &str, args: Vec<OscType>) -> String {
        decode_request(&msg(addr, args), &Limits::default()).unwrap_err().to_string()
    }

    fn ok(addr: &str, args: Vec<OscType>) -> Request {
        decode_request(&msg(addr, args), &Limits::default()).unwrap()
    }

    #[test]
    fn every_address_has_a_signature_and_decodes_with_its_arguments() {
        for a in crate::ADDRESSES {
            assert!(signature(a).is_some(), "{a}");
        }
        assert_eq!(signature("/kr/nope"), None);
    }

    #[test]
    fn new_commands_decode() {
        assert_eq!(
            ok("/kr/fade", vec![s("bass/cutoff"), OscType::Int(800), OscType::Float(4.0)]).command,
            Command::Fade { path: "bass/cutoff".into(), target: 800.0, cycles: 4.0 }
        );
        assert_eq!(ok("/kr/unsolo", vec![s("bass")]).command, Command::Solo { name: "bass".into(), on: false });
        assert_eq!(
            ok("/kr/scene/recall", vec![OscType::Long(9), s("verse")]),
            Request { id: Some(9), command: Command::SceneRecall { name: "verse".into(), cycles: 0.0 } }
        );
        assert_eq!(
            ok("/kr/record/start", vec![s("take1.wav"), s("bass")]).command,
            Command::RecordStart { file: "take1.wav".into(), target: Some("bass".into()) }
        );
        assert_eq!(ok("/kr/record/stop", vec![]).command, Command::RecordStop { file: None });
        assert_eq!(ok("/kr/notify/subscribe", vec![]).command, Command::Subscribe { seconds: 60.0 });
        assert_eq!(
            ok("/kr/play", vec![s("bass"), s("a2 c3"), OscType::Bool(true)]).command,
            Command::Play { target: "bass".into(), pattern: Ir::mini("a2 c3"), from_zero: true }
        );
    }

    #[test]
    fn errors_name_the_argument_its_position_and_the_signature() {
        assert_eq!(
            err("/kr/set", vec![s("bass/cutoff"), s("high")]),
            "/kr/set: expected `path:s value:f`, got string (s) as argument 2 'value'"
        );
        assert_eq!(
            err("/kr/set", vec![OscType::Long(3), s("bass/cutoff"), OscType::Float(f32::NAN)]),
            "/kr/set: argument 3 'value': NaN is not a finite number"
        );
        assert_eq!(
            err("/kr/set", vec![s("a/b"), OscType::Double(1e300)]),
            "/kr/set: argument 2 'value': 1e300 is beyond the 32-bit float range (±3.4e38)"
        );
        assert_eq!(
            err("/kr/fade", vec![s("bass/cutoff"), OscType::Float(1.0)]),
            "/kr/fade: expected `path:s target:f cycles:f`, got no argument 3 'cycles'"
        );
        assert_eq!(
            err("/kr/ping", vec![OscType::Int(1), OscType::Int(2)]),
            "/kr/ping: expected `no arguments`, got 2 extra argument(s) from argument 1"
        );
        assert_eq!(
            err("/kr/node/new", vec![s("a"), s("faust:x"), OscType::Float(1.5)]),
            "/kr/node/new: argument 3 'count': 1.5 is not a whole number"
        );
        assert_eq!(
            err("/kr/node/new", vec![s("a"), s("faust:../secret")]),
            "/kr/node/new: argument 2 'source': dsp name after 'faust:' '../secret' has a '.' or '..' segment; name a file inside the directory"
        );
        assert_eq!(
            err("/kr/record/start", vec![s("../x.wav")]),
            "/kr/record/start: argument 1 'file': '../x.wav' has a '.' or '..' segment; name a file inside the directory"
        );
        assert_eq!(
            err("/kr/notify/subscribe", vec![OscType::Float(0.5)]),
            "/kr/notify/subscribe: argument 1 'seconds': 0.5 is outside 1..86400"
        );
        assert!(err("/kr/play", vec![s("bass"), s("[a b")]).starts_with("/kr/play: argument 2 'pattern': "));
        assert_eq!(err("/kr/nope", vec![]), "unknown address /kr/nope (see docs/protocol.md for the address space)");
        let many = vec![OscType::Int(0); 65];
        assert_eq!(err("/kr/ping", many), "/kr/ping: expected `no arguments`, got 65 arguments (the limit is 64)");
    }
}
