//! [`Request`] → OSC, the inverse of [`crate::decode_request`].

use crate::command::{Command, Request};
use rosc::{OscMessage, OscPacket, OscType};

fn s(v: &str) -> OscType {
    OscType::String(v.into())
}

/// Encode a request as an OSC message (its id, when present, as the leading int64).
pub fn encode_request(req: &Request) -> OscMessage {
    let mut args: Vec<OscType> = req.id.map(OscType::Long).into_iter().collect();
    match &req.command {
        Command::Status | Command::Ping | Command::Dump | Command::SceneList | Command::Unsubscribe => {}
        Command::NodeNew { name, source, count, gain, meta } => {
            args.extend([s(name), s(&source.to_wire()), OscType::Int(*count as i32), OscType::Float(*gain)]);
            if !meta.is_empty() {
                args.push(s(meta));
            }
        }
        Command::NodeFree { name }
        | Command::Mute { name, .. }
        | Command::Solo { name, .. }
        | Command::SceneSave { name }
        | Command::SceneDelete { name } => args.push(s(name)),
        Command::Set { path, value } => args.extend([s(path), OscType::Float(*value)]),
        Command::Get { path } => args.push(s(path)),
        Command::Route { from, to, level } => args.extend([s(from), s(to), OscType::Float(*level)]),
        Command::Unroute { from, to } => args.extend([s(from), s(to)]),
        Command::Play { target, pattern, from_zero } => {
            args.extend([s(target), s(&pattern.to_json()), OscType::Int(*from_zero as i32)])
        }
        Command::Hush { target } => args.extend(target.as_deref().map(s)),
        Command::Tempo { bpm } => args.push(OscType::Double(*bpm)),
        Command::Meter { beats } => args.push(OscType::Double(*beats)),
        Command::Master { gain } => args.push(OscType::Float(*gain)),
        Command::Fade { path, target, cycles } => {
            args.extend([s(path), OscType::Float(*target), OscType::Double(*cycles)])
        }
        Command::SceneRecall { name, cycles } => {
            args.extend([s(name), OscType::Double(*cycles)]);
        }
        Command::RecordStart { file, target } => {
            args.push(s(file));
            args.extend(target.as_deref().map(s));
        }
        Command::RecordStop { file } => args.extend(file.as_deref().map(s)),
        Command::Subscribe { seconds } => args.push(OscType::Double(*seconds)),
    }
    OscMessage { addr: req.command.address().into(), args }
}

/// Encode any packet to bytes.
pub fn to_bytes(packet: &OscPacket) -> Vec<u8> {
    rosc::encoder::encode(packet).unwrap_or_default()
}
