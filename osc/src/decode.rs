//! OSC → [`Request`]: the generic reading of a message by its entry in [`crate::TABLE`]
//! (arity, types, optional arguments, ranges, each argument's checks), then the entry's
//! constructor.

use crate::args::Args;
use crate::command::{DspSource, Request};
use crate::fields::{Fields, Value};
use crate::spec::{ArgSpec, Kind};
use crate::table::command_spec;
use crate::validate::{self, Limits};
use crate::DecodeError;
use kr_pattern::ir::Ir;
use rosc::{OscMessage, OscPacket, OscType};
use std::borrow::Cow;

/// Decode raw bytes into an OSC packet, refusing oversized input, bundles nested deeper than
/// `limits.max_bundle_depth`, more than `limits.max_bundle_messages` messages, arrays nested
/// deeper than [`validate::MAX_ARRAY_DEPTH`] and trailing bytes. Requests should go through
/// [`crate::decode_bundle`], which also validates every message.
pub fn decode_packet(bytes: &[u8], limits: &Limits) -> Result<OscPacket, DecodeError> {
    // The structural walk bounds nesting before the recursive parser sees the bytes.
    crate::walk::walk(bytes, limits)?;
    match rosc::decoder::decode_udp(bytes) {
        Ok(([], packet)) => Ok(packet),
        Ok((rest, _)) => Err(DecodeError::Malformed(format!("{} bytes after the end of the packet", rest.len()))),
        Err(e) => Err(DecodeError::Malformed(format!("{e:?}"))),
    }
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
    let spec = command_spec(address).ok_or_else(|| DecodeError::UnknownAddress(address.chars().take(100).collect()))?;
    let sig = spec.signature();
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
    let mut fields = Fields::new();
    for arg in spec.args {
        let value = match arg.default {
            Some(default) if !a.has_more() => default.into(),
            _ => read(&mut a, arg)?,
        };
        fields.push(arg.name, value);
    }
    a.done()?;
    let command = (spec.build)(&mut fields).ok_or_else(|| DecodeError::Internal {
        address: address.into(),
        problem: "its table entry and its constructor disagree".into(),
    })?;
    Ok(Request { id, command })
}

/// Read and check the next argument as `arg` says.
fn read<'a>(a: &mut Args<'a>, arg: &ArgSpec) -> Result<Value<'a>, DecodeError> {
    let name = arg.name;
    Ok(match arg.kind {
        Kind::Path => Value::Str(Cow::Borrowed(a.path(name)?)),
        Kind::WavFile => Value::Str(Cow::Borrowed(a.checked(name, validate::wav_file)?)),
        Kind::Text => Value::Str(Cow::Borrowed(a.text(name, a.limits.max_source_bytes)?)),
        Kind::Source => Value::Source(source(a, name)?),
        Kind::Pattern => Value::Pattern(pattern(a, name)?),
        Kind::Number => Value::Number(a.number(name, arg.range)?),
        Kind::Single => Value::Number(f64::from(a.number_f32(name, arg.range)?)),
        Kind::Voices => Value::Int(a.integer(name, 1, i64::from(a.limits.max_voices))?),
        Kind::Int => {
            let (lo, hi) = arg.range.unwrap_or((i32::MIN.into(), i32::MAX.into()));
            Value::Int(a.integer(name, lo as i64, hi as i64)?)
        }
        Kind::Flag => Value::Flag(a.flag(name)?),
    })
}

/// A pattern: pattern IR as JSON (`{...}`) or mini-notation.
fn pattern(a: &mut Args<'_>, name: &str) -> Result<Ir, DecodeError> {
    let src = a.string(name)?;
    let ir = if src.trim_start().starts_with('{') {
        Ir::from_json(src).map_err(|e| a.invalid(name, e.to_string()))?
    } else {
        Ir::mini(src)
    };
    ir.to_pattern().map_err(|e| a.invalid(name, e.to_string()))?;
    Ok(ir)
}

/// A node's DSP: FAUST source, or `faust:<type>` naming a file of the dsp directory.
fn source(a: &mut Args<'_>, name: &str) -> Result<DspSource, DecodeError> {
    let limit = a.limits.max_source_bytes;
    let text = a.text(name, limit)?;
    if text.trim().is_empty() {
        return Err(a.invalid(name, "is empty"));
    }
    let source = DspSource::parse(text);
    if let DspSource::File(t) = &source {
        validate::relative_file(t, a.limits).map_err(|p| a.invalid(name, format!("dsp name after 'faust:' {p}")))?;
    }
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Command;

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
    fn every_address_has_a_signature() {
        for a in crate::ADDRESSES {
            assert!(crate::signature(a).is_some(), "{a}");
        }
        assert_eq!(crate::signature("/kr/nope"), None);
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
