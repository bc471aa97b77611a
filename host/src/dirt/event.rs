//! One `/dirt/play` event: flat key/value pairs, in any order, with every numeric OSC type
//! coerced to a number and the aliases Tidal and Strudel use mapped to SuperDirt's names.

use rosc::OscType;
use std::collections::BTreeMap;

/// A parameter's value: a number (every numeric type tag) or a string.
#[derive(Debug, Clone, PartialEq)]
pub enum DirtValue {
    Num(f64),
    Str(String),
}

/// An event's parameters by SuperDirt name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DirtEvent {
    params: BTreeMap<String, DirtValue>,
}

/// Why a `/dirt/play` message cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    #[error("argument {position} should be a parameter name (a string), not {found}")]
    NotAKey { position: usize, found: String },
    #[error("parameter '{key}' has no value (the arguments are name/value pairs)")]
    MissingValue { key: String },
    #[error("parameter '{key}' has a value of an unsupported type ({found})")]
    BadValue { key: String, found: String },
    #[error("the event has no 's' (the sound to play)")]
    NoSound,
    #[error("the event has {0} parameters; at most {MAX_PARAMS} are read")]
    TooMany(usize),
}

/// More parameters than any real event has: a bound on what one packet can make krd hold.
pub const MAX_PARAMS: usize = 256;

/// Strudel's and Tidal's alternative names, and SuperDirt's name for each.
const ALIASES: &[(&str, &str)] = &[
    ("lpf", "cutoff"),
    ("ctf", "cutoff"),
    ("lp", "cutoff"),
    ("lpq", "resonance"),
    ("res", "resonance"),
    ("hpf", "hcutoff"),
    ("hp", "hcutoff"),
    ("hpq", "hresonance"),
    ("bpf", "bandf"),
    ("bp", "bandf"),
    ("bpq", "bandq"),
    ("sz", "size"),
    ("roomsize", "size"),
    ("delayfb", "delayfeedback"),
    ("delayt", "delaytime"),
    ("up", "note"),
    ("sound", "s"),
    ("att", "attack"),
    ("rel", "release"),
    ("accel", "accelerate"),
];

/// SuperDirt's name for a parameter.
pub fn canonical(key: &str) -> &str {
    ALIASES.iter().find(|(a, _)| *a == key).map_or(key, |(_, c)| c)
}

fn type_name(v: &OscType) -> String {
    let s = format!("{v:?}");
    s.split('(').next().unwrap_or("?").to_lowercase()
}

impl DirtEvent {
    /// Read the arguments of `/dirt/play` (or `/play2`).
    pub fn from_args(args: &[OscType]) -> Result<DirtEvent, EventError> {
        if args.len() > 2 * MAX_PARAMS {
            return Err(EventError::TooMany(args.len() / 2));
        }
        let mut ev = DirtEvent::default();
        let mut it = args.iter().enumerate();
        while let Some((i, k)) = it.next() {
            let OscType::String(key) = k else {
                return Err(EventError::NotAKey { position: i + 1, found: type_name(k) });
            };
            let Some((_, v)) = it.next() else {
                return Err(EventError::MissingValue { key: key.clone() });
            };
            let value = match v {
                OscType::Int(x) => DirtValue::Num(*x as f64),
                OscType::Long(x) => DirtValue::Num(*x as f64),
                OscType::Float(x) => DirtValue::Num(*x as f64),
                OscType::Double(x) => DirtValue::Num(*x),
                OscType::Bool(b) => DirtValue::Num(if *b { 1.0 } else { 0.0 }),
                OscType::String(s) => DirtValue::Str(s.clone()),
                OscType::Char(c) => DirtValue::Str(c.to_string()),
                // Nil and "infinitum" carry no value: the parameter is absent.
                OscType::Nil | OscType::Inf => continue,
                other => return Err(EventError::BadValue { key: key.clone(), found: type_name(other) }),
            };
            ev.insert(key, value);
        }
        ev.split_sound();
        match ev.params.get("s") {
            Some(DirtValue::Str(s)) if !s.is_empty() => Ok(ev),
            _ => Err(EventError::NoSound),
        }
    }

    /// Set `key` (an alias is stored under SuperDirt's name).
    pub fn insert(&mut self, key: &str, value: DirtValue) {
        self.params.insert(canonical(key).to_string(), value);
    }

    /// `s "bd:3"` is bank `bd`, `n` 3 (as Tidal's `sound` does), unless `n` is given.
    pub fn split_sound(&mut self) {
        let Some(DirtValue::Str(s)) = self.params.get("s") else { return };
        let Some((bank, n)) = s.split_once(':') else { return };
        let (bank, n) = (bank.to_string(), n.trim().parse::<f64>().ok());
        self.params.insert("s".into(), DirtValue::Str(bank));
        if let (Some(n), false) = (n, self.params.contains_key("n")) {
            self.params.insert("n".into(), DirtValue::Num(n));
        }
    }

    /// The sound's name (`s`).
    pub fn sound(&self) -> &str {
        match self.params.get("s") {
            Some(DirtValue::Str(s)) => s,
            _ => "",
        }
    }

    /// A numeric parameter, if present and finite.
    pub fn num(&self, key: &str) -> Option<f64> {
        match self.params.get(key) {
            Some(DirtValue::Num(x)) if x.is_finite() => Some(*x),
            _ => None,
        }
    }

    /// A string parameter, if present.
    pub fn text(&self, key: &str) -> Option<&str> {
        match self.params.get(key) {
            Some(DirtValue::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn params(&self) -> impl Iterator<Item = (&str, &DirtValue)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> OscType {
        OscType::String(x.into())
    }

    #[test]
    fn tidal_datagram_pairs_any_type() {
        let args = vec![
            s("_id_"),
            s("1"),
            s("cps"),
            OscType::Float(0.5625),
            s("n"),
            OscType::Int(3),
            s("orbit"),
            OscType::Long(2),
            s("loop"),
            OscType::Bool(true),
            s("s"),
            s("bd"),
            s("lpf"),
            OscType::Double(800.0),
        ];
        let ev = DirtEvent::from_args(&args).unwrap();
        assert_eq!(ev.sound(), "bd");
        assert_eq!(ev.num("n"), Some(3.0));
        assert_eq!(ev.num("orbit"), Some(2.0));
        assert_eq!(ev.num("loop"), Some(1.0));
        assert_eq!(ev.num("cutoff"), Some(800.0));
        assert_eq!(ev.text("_id_"), Some("1"));
    }

    #[test]
    fn sound_with_index() {
        let ev = DirtEvent::from_args(&[s("s"), s("bd:3")]).unwrap();
        assert_eq!((ev.sound(), ev.num("n")), ("bd", Some(3.0)));
        let ev = DirtEvent::from_args(&[s("n"), OscType::Float(1.0), s("s"), s("bd:3")]).unwrap();
        assert_eq!(ev.num("n"), Some(1.0));
    }

    #[test]
    fn bad_messages_say_what_is_wrong() {
        assert_eq!(
            DirtEvent::from_args(&[OscType::Int(1), s("x")]),
            Err(EventError::NotAKey { position: 1, found: "int".into() })
        );
        assert_eq!(DirtEvent::from_args(&[s("s")]), Err(EventError::MissingValue { key: "s".into() }));
        assert_eq!(DirtEvent::from_args(&[s("n"), OscType::Float(1.0)]), Err(EventError::NoSound));
        assert!(matches!(DirtEvent::from_args(&[s("s"), OscType::Blob(vec![1])]), Err(EventError::BadValue { .. })));
    }
}
