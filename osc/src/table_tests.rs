//! The command table is consistent, matches the signatures clients have always seen, and every
//! entry round-trips: OSC → [`crate::Command`] → OSC, with [`crate::Command::spec`], the serde
//! form and the entry agreeing.

use crate::fields::Fields;
use crate::{decode_request, encode_request, Kind, Limits, Request, ADDRESSES, TABLE};
use rosc::{OscMessage, OscType};

/// The signatures clients have seen (those of the addresses before the table existed are
/// unchanged), which errors quote.
const SIGNATURES: &[(&str, &str)] = &[
    ("/kr/status", "no arguments"),
    ("/kr/ping", "no arguments"),
    ("/kr/node/new", "name:s source:s [count:i] [gain:f] [meta:s]"),
    ("/kr/compile", "name:s source:s"),
    ("/kr/node/free", "name:s"),
    ("/kr/nodes", "no arguments"),
    ("/kr/node/info", "name:s"),
    ("/kr/set", "path:s value:f"),
    ("/kr/get", "path:s"),
    ("/kr/fade", "path:s target:f cycles:f"),
    ("/kr/route", "from:s to:s [level:f]"),
    ("/kr/unroute", "from:s to:s"),
    ("/kr/play", "target:s pattern:s [from_zero:i]"),
    ("/kr/hush", "[target:s]"),
    ("/kr/mute", "name:s"),
    ("/kr/unmute", "name:s"),
    ("/kr/solo", "name:s"),
    ("/kr/unsolo", "name:s"),
    ("/kr/tempo", "bpm:f"),
    ("/kr/meter", "beats:f"),
    ("/kr/link", "on:i [quantum:f]"),
    ("/kr/master", "gain:f"),
    ("/kr/dump", "no arguments"),
    ("/kr/scene/save", "name:s"),
    ("/kr/scene/recall", "name:s [cycles:f]"),
    ("/kr/scene/list", "no arguments"),
    ("/kr/scene/delete", "name:s"),
    ("/kr/record/start", "file:s [target:s]"),
    ("/kr/record/stop", "[file:s]"),
    ("/kr/notify/subscribe", "[seconds:f]"),
    ("/kr/notify/unsubscribe", "no arguments"),
    ("/kr/samples/load", "bank:s"),
    ("/kr/samples/list", "no arguments"),
    ("/kr/midi/out", "name:s [channel:i] [port:s]"),
    ("/kr/midi/clock", "action:s"),
    ("/kr/midi/follow", "on:i"),
    ("/kr/midi/map", "cc:i path:s [lo:f] [hi:f] [channel:i]"),
    ("/kr/midi/learn", "path:s [lo:f] [hi:f]"),
    ("/kr/midi/notes", "node:s [channel:i]"),
    ("/kr/midi/unmap", "path:s"),
];

#[test]
fn signatures_are_unchanged() {
    let table: Vec<(&str, &str)> = TABLE.iter().map(|s| (s.address, s.signature())).collect();
    assert_eq!(table, SIGNATURES);
    for (address, sig) in SIGNATURES {
        assert_eq!(crate::signature(address), Some(*sig));
    }
}

#[test]
fn the_table_is_well_formed() {
    assert_eq!(ADDRESSES, TABLE.iter().map(|s| s.address).collect::<Vec<_>>());
    for (i, spec) in TABLE.iter().enumerate() {
        assert!(spec.address.starts_with("/kr/"), "{}", spec.address);
        assert!(!TABLE[..i].iter().any(|s| s.address == spec.address), "{} twice", spec.address);
        assert!(!spec.doc.is_empty() && !spec.reply.is_empty(), "{}", spec.address);
        // Entries share a serde tag only when a fixed field tells them apart.
        for other in TABLE[..i].iter().filter(|s| s.cmd == spec.cmd) {
            assert!(spec.fixed.is_some() && spec.fixed != other.fixed, "{} and {}", other.address, spec.address);
        }
        let first_optional = spec.args.iter().position(|a| !a.required()).unwrap_or(spec.args.len());
        assert!(
            spec.args[first_optional..].iter().all(|a| !a.required()),
            "{}: optional arguments come last",
            spec.address
        );
        for a in spec.args {
            let numeric = matches!(a.kind, Kind::Number | Kind::Single | Kind::Int);
            assert!(a.range.is_none() || numeric, "{} {}: a range on a non-number", spec.address, a.name);
        }
    }
}

/// A valid OSC value for an argument of `kind`.
fn sample(kind: Kind, range: Option<(f64, f64)>) -> OscType {
    let number = range.map_or(2.5, |(lo, hi)| (lo + hi) / 2.0);
    match kind {
        Kind::Path => OscType::String("a/b".into()),
        Kind::WavFile => OscType::String("takes/one.wav".into()),
        Kind::Source => OscType::String("faust:drums/kick".into()),
        Kind::Pattern => OscType::String("a2 <c3 e3>".into()),
        Kind::Text => OscType::String("client data".into()),
        Kind::Number => OscType::Double(number),
        Kind::Single => OscType::Float(number as f32),
        Kind::Voices => OscType::Int(3),
        Kind::Int => OscType::Int(number as i32),
        Kind::Flag => OscType::Bool(true),
    }
}

#[test]
fn every_entry_round_trips_and_agrees_with_its_command() {
    let limits = Limits::default();
    for spec in TABLE {
        let required = spec.args.iter().filter(|a| a.required()).count();
        for n in required..=spec.args.len() {
            let args = spec.args[..n].iter().map(|a| sample(a.kind, a.range));
            let msg =
                OscMessage { addr: spec.address.into(), args: std::iter::once(OscType::Long(7)).chain(args).collect() };
            let req = decode_request(&msg, &limits).unwrap_or_else(|e| panic!("{}: {e}", spec.address));
            assert_eq!(req.id, Some(7));
            assert_eq!(req.command.address(), spec.address);
            // The serde form: `cmd` is the entry's tag, and the fields are its arguments (plus
            // the fixed field), so the table tells a JSON client what to send.
            let json = serde_json::to_value(&req.command).unwrap();
            let object = json.as_object().unwrap();
            assert_eq!(object["cmd"], spec.cmd, "{}", spec.address);
            let mut keys: Vec<&str> = object.keys().map(String::as_str).filter(|k| *k != "cmd").collect();
            keys.sort_unstable();
            let mut names: Vec<&str> = spec.args.iter().map(|a| a.name).chain(spec.fixed.map(|f| f.0)).collect();
            names.sort_unstable();
            assert_eq!(keys, names, "{}", spec.address);
            if let Some((field, value)) = spec.fixed {
                assert_eq!(object[field], value, "{}", spec.address);
            }
            let mut with_id = object.clone();
            with_id.insert("id".into(), 7.into());
            let back: Request = serde_json::from_value(serde_json::Value::Object(with_id)).unwrap();
            assert_eq!(back, req);
            // OSC again: same address, same request.
            let again = encode_request(&req);
            assert_eq!(again.addr, spec.address);
            assert_eq!(decode_request(&again, &limits), Ok(req));
        }
    }
}

#[test]
fn a_constructor_given_the_wrong_fields_fails_without_panicking() {
    for spec in TABLE.iter().filter(|s| !s.args.is_empty()) {
        assert_eq!((spec.build)(&mut Fields::new()), None, "{}", spec.address);
    }
}
