//! Event values: numbers, strings, booleans and maps of controls, with Strudel's arithmetic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::note::note_to_midi;

/// The value of an event. The engine reads a `Num` as a MIDI note, a `Map` as controls (`note`
/// as a number or note name, `freq` in Hz, any other key a control name) and `Bool(true)` as a
/// bare hit (gate only). Serialised as plain JSON (number, string, bool, object).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    /// A number (MIDI note when played as a note).
    Num(f64),
    /// A string: a word from the mini-notation, a sample name, a note name.
    Str(String),
    /// A boolean (mini-notation `t`/`true`/`f`/`false`, or a hit).
    Bool(bool),
    /// Named controls, e.g. `{"note": 45, "legato": 0.8}`.
    Map(BTreeMap<String, Value>),
}

/// An arithmetic operator on values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// `a + b` (numbers add, strings concatenate, note names become MIDI numbers first).
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a % b` (floor modulo).
    Mod,
    /// `b` if the right value is present (used by `set`-like operators).
    Set,
    /// `a`, taking only keys it lacks from a right-hand map (Strudel `keep`).
    Keep,
}

impl Op {
    fn num(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Mod => a - b * (a / b).floor(),
            Op::Set => b,
            Op::Keep => a,
        }
    }
}

impl Value {
    /// Truthiness as the structure operators see it (`struct`, `mask`): `false`, `0`, NaN, the
    /// empty string and the words `"f"`/`"false"` are false (deviation 2: Tidal reads `f` in a
    /// boolean pattern as false, Strudel as a truthy string).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Num(x) => *x != 0.0 && !x.is_nan(),
            Value::Str(s) => !(s.is_empty() || s == "f" || s == "false"),
            Value::Map(_) => true,
        }
    }

    /// The value as a number: numbers, booleans (1/0) and note names (as MIDI numbers).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Num(x) => Some(*x),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Str(s) => s.parse::<f64>().ok().or_else(|| note_to_midi(s)),
            Value::Map(_) => None,
        }
    }

    /// Combines two values with `op`, Strudel-style: maps combine key by key (union, the
    /// operator applied where both have a key), a map with a scalar applies the operator to each
    /// numeric entry, strings concatenate under `Add`, and note names count as MIDI numbers.
    pub fn apply(&self, op: Op, other: &Value) -> Value {
        if op == Op::Set {
            return match (self, other) {
                (Value::Map(a), Value::Map(b)) => {
                    let mut m = a.clone();
                    m.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
                    Value::Map(m)
                }
                // A bare note (number or name) keeps its pitch under `note`; a hit (bool) is
                // just the controls.
                (Value::Num(_) | Value::Str(_), Value::Map(b)) => {
                    let mut m = b.clone();
                    m.entry("note".to_string()).or_insert_with(|| self.clone());
                    Value::Map(m)
                }
                _ => other.clone(),
            };
        }
        if op == Op::Keep {
            return match (self, other) {
                (Value::Map(a), Value::Map(b)) => {
                    let mut m = b.clone();
                    m.extend(a.iter().map(|(k, v)| (k.clone(), v.clone())));
                    Value::Map(m)
                }
                // As for `Set`: a bare note keeps its pitch under `note`, the controls join it.
                (Value::Num(_) | Value::Str(_), Value::Map(b)) => {
                    let mut m = b.clone();
                    m.insert("note".to_string(), self.clone());
                    Value::Map(m)
                }
                _ => self.clone(),
            };
        }
        match (self, other) {
            (Value::Map(a), Value::Map(b)) => {
                let mut m = a.clone();
                for (k, v) in b {
                    let nv = match a.get(k) {
                        Some(old) => old.apply(op, v),
                        None => v.clone(),
                    };
                    m.insert(k.clone(), nv);
                }
                Value::Map(m)
            }
            (Value::Map(a), b) => Value::Map(a.iter().map(|(k, v)| (k.clone(), v.apply(op, b))).collect()),
            (a, Value::Map(b)) => Value::Map(b.iter().map(|(k, v)| (k.clone(), a.apply(op, v))).collect()),
            (Value::Str(a), Value::Str(b)) if op == Op::Add => Value::Str(format!("{a}{b}")),
            (a, b) => match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => Value::Num(op.num(x, y)),
                _ => a.clone(),
            },
        }
    }

    /// A stable text form used for sorting and display (JSON).
    pub fn sort_key(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The one-entry map `{name: v}`, the building block of control patterns.
    pub fn control(name: &str, v: Value) -> Value {
        let mut m = BTreeMap::new();
        m.insert(name.to_string(), v);
        Value::Map(m)
    }

    /// Short human-readable text (numbers without a trailing `.0`).
    pub fn short(&self) -> String {
        match self {
            Value::Num(x) => fmt_num(*x),
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Map(m) => {
                let inner: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{}", v.short())).collect();
                inner.join(" ")
            }
        }
    }
}

/// Formats a number the way JavaScript prints it (`1`, `1.5`, `-2`).
pub fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Num(x)
    }
}
impl From<i64> for Value {
    fn from(x: i64) -> Self {
        Value::Num(x as f64)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_takes_only_missing_keys() {
        let a = Value::Map(BTreeMap::from([("n".to_string(), Value::Num(1.0))]));
        let b = Value::Map(BTreeMap::from([
            ("n".to_string(), Value::Num(9.0)),
            ("s".to_string(), Value::Str("bd".into())),
        ]));
        let kept = a.apply(Op::Keep, &b);
        assert_eq!(
            kept,
            Value::Map(BTreeMap::from([
                ("n".to_string(), Value::Num(1.0)),
                ("s".to_string(), Value::Str("bd".into()))
            ]))
        );
        assert_eq!(Value::Num(3.0).apply(Op::Keep, &Value::Num(4.0)), Value::Num(3.0));
        let note = Value::Num(60.0).apply(Op::Keep, &Value::control("gain", Value::Num(0.5)));
        assert_eq!(
            note,
            Value::Map(BTreeMap::from([("gain".to_string(), Value::Num(0.5)), ("note".to_string(), Value::Num(60.0))]))
        );
    }

    #[test]
    fn arithmetic() {
        assert_eq!(Value::Num(1.0).apply(Op::Add, &Value::Num(2.0)), Value::Num(3.0));
        assert_eq!(Value::from("c4").apply(Op::Add, &Value::Num(12.0)), Value::Num(72.0));
        let m = Value::control("note", Value::Num(60.0));
        assert_eq!(m.apply(Op::Add, &Value::Num(7.0)), Value::control("note", Value::Num(67.0)));
        assert_eq!(Value::from("a").apply(Op::Add, &Value::from("b")), Value::from("ab"));
    }

    #[test]
    fn json_is_plain() {
        let v: Value = serde_json::from_str(r#"{"n": 0, "s": "bd"}"#).unwrap();
        assert_eq!(v.sort_key(), r#"{"n":0.0,"s":"bd"}"#);
        assert_eq!(Value::Num(-2.0).short(), "-2");
    }
}
