//! [`Request`] → OSC, the inverse of [`crate::decode_request`]: a command's fields by name, put
//! on the wire in the order and with the types of its entry in [`crate::TABLE`].

use crate::command::{Command, Request};
use crate::fields::{Fields, Value};
use crate::spec::Kind;
use rosc::{OscMessage, OscPacket, OscType};
use std::borrow::Cow;

/// Encode a request as an OSC message (its id, when present, as the leading int64).
pub fn encode_request(req: &Request) -> OscMessage {
    let spec = req.command.spec();
    let mut fields = fields(&req.command);
    let mut args: Vec<OscType> = req.id.map(OscType::Long).into_iter().collect();
    for arg in spec.args {
        // An absent value ends the message: a later optional argument cannot be given.
        let Some(value) = fields.take(arg.name).and_then(|v| to_osc(arg.kind, v)) else { break };
        args.push(value);
    }
    OscMessage { addr: spec.address.into(), args }
}

/// One argument on the wire: numbers of [`Kind::Single`] as `f`, other numbers as `d`.
fn to_osc(kind: Kind, value: Value<'_>) -> Option<OscType> {
    Some(match value {
        Value::Absent => return None,
        Value::Str(s) => OscType::String(s.into_owned()),
        Value::Source(s) => OscType::String(s.to_wire()),
        Value::Pattern(p) => OscType::String(p.to_json()),
        Value::Number(v) if kind == Kind::Single => OscType::Float(v as f32),
        Value::Number(v) => OscType::Double(v),
        Value::Int(v) => OscType::Int(i32::try_from(v).unwrap_or(i32::MAX)),
        Value::Flag(b) => OscType::Int(i32::from(b)),
    })
}

fn s(v: &str) -> Value<'_> {
    Value::Str(Cow::Borrowed(v))
}

fn opt(v: &Option<String>) -> Value<'_> {
    v.as_deref().map_or(Value::Absent, s)
}

/// The fields of a command that its address's arguments carry, by argument name.
fn fields(c: &Command) -> Fields<'_> {
    let f32 = |v: f32| Value::Number(f64::from(v));
    match c {
        Command::Status
        | Command::Ping
        | Command::Dump
        | Command::SceneList
        | Command::Nodes
        | Command::SamplesList
        | Command::Unsubscribe => Fields::new(),
        Command::SamplesLoad { bank } => Fields::of([("bank", s(bank))]),
        Command::MidiOut { name, channel, port } => {
            Fields::of([("name", s(name)), ("channel", Value::Int(*channel)), ("port", s(port))])
        }
        Command::MidiClock { action } => Fields::of([("action", s(action))]),
        Command::MidiFollow { on } => Fields::of([("on", Value::Flag(*on))]),
        Command::MidiMap { cc, path, lo, hi, channel } => Fields::of([
            ("cc", Value::Int(*cc)),
            ("path", s(path)),
            ("lo", f32(*lo)),
            ("hi", f32(*hi)),
            ("channel", Value::Int(*channel)),
        ]),
        Command::MidiLearn { path, lo, hi } => Fields::of([("path", s(path)), ("lo", f32(*lo)), ("hi", f32(*hi))]),
        Command::MidiNotes { node, channel } => Fields::of([("node", s(node)), ("channel", Value::Int(*channel))]),
        Command::MidiUnmap { path } => Fields::of([("path", s(path))]),
        Command::NodeNew { name, source, count, gain, meta } => Fields::of([
            ("name", s(name)),
            ("source", Value::Str(Cow::Owned(source.to_wire()))),
            ("count", Value::Int(i64::from(*count))),
            ("gain", f32(*gain)),
            ("meta", if meta.is_empty() { Value::Absent } else { s(meta) }),
        ]),
        Command::Compile { name, source } => {
            Fields::of([("name", s(name)), ("source", Value::Str(Cow::Owned(source.to_wire())))])
        }
        Command::NodeFree { name }
        | Command::NodeInfo { name }
        | Command::Mute { name, .. }
        | Command::Solo { name, .. }
        | Command::SceneSave { name }
        | Command::SceneDelete { name } => Fields::of([("name", s(name))]),
        Command::Set { path, value } => Fields::of([("path", s(path)), ("value", f32(*value))]),
        Command::Get { path } => Fields::of([("path", s(path))]),
        Command::Fade { path, target, cycles } => {
            Fields::of([("path", s(path)), ("target", f32(*target)), ("cycles", Value::Number(*cycles))])
        }
        Command::Route { from, to, level } => Fields::of([("from", s(from)), ("to", s(to)), ("level", f32(*level))]),
        Command::Unroute { from, to } => Fields::of([("from", s(from)), ("to", s(to))]),
        Command::Play { target, pattern, from_zero } => Fields::of([
            ("target", s(target)),
            ("pattern", Value::Str(Cow::Owned(pattern.to_json()))),
            ("from_zero", Value::Flag(*from_zero)),
        ]),
        Command::Hush { target } => Fields::of([("target", opt(target))]),
        Command::Tempo { bpm } => Fields::of([("bpm", Value::Number(*bpm))]),
        Command::Meter { beats } => Fields::of([("beats", Value::Number(*beats))]),
        Command::Link { on, quantum } => Fields::of([("on", Value::Flag(*on)), ("quantum", Value::Number(*quantum))]),
        Command::Master { gain } => Fields::of([("gain", f32(*gain))]),
        Command::SceneRecall { name, cycles } => Fields::of([("name", s(name)), ("cycles", Value::Number(*cycles))]),
        Command::RecordStart { file, target } => Fields::of([("file", s(file)), ("target", opt(target))]),
        Command::RecordStop { file } => Fields::of([("file", opt(file))]),
        Command::Subscribe { seconds } => Fields::of([("seconds", Value::Number(*seconds))]),
    }
}

/// Encode any packet to bytes.
pub fn to_bytes(packet: &OscPacket) -> Vec<u8> {
    rosc::encoder::encode(packet).unwrap_or_default()
}
