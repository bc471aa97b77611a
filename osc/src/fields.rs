//! A command's arguments as named values: what the decoder hands a table entry's constructor,
//! and what the encoder puts on the wire in the order the table gives.

use crate::command::DspSource;
use kr_pattern::ir::Ir;
use std::borrow::Cow;

/// One argument's value, already read and checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    /// An optional argument that was not given and has no default value; for the encoder, an
    /// argument to leave out (and every one after it).
    Absent,
    Str(Cow<'a, str>),
    Number(f64),
    Int(i64),
    Flag(bool),
    Source(DspSource),
    Pattern(Ir),
}

/// Values by argument name. Each accessor takes a value out, or returns None when there is no
/// value of that name and type (a table entry that disagrees with its constructor: a bug).
#[derive(Debug, Default)]
pub(crate) struct Fields<'a>(Vec<(&'static str, Value<'a>)>);

impl<'a> Fields<'a> {
    pub fn new() -> Self {
        Fields(Vec::new())
    }

    pub fn push(&mut self, name: &'static str, value: Value<'a>) {
        self.0.push((name, value));
    }

    /// A fields list from `(name, value)` pairs (the encoder's side).
    pub fn of<const N: usize>(pairs: [(&'static str, Value<'a>); N]) -> Self {
        Fields(pairs.into())
    }

    /// The value of `name`, taken out (Absent afterwards); None when there is none.
    pub fn take(&mut self, name: &str) -> Option<Value<'a>> {
        let (_, v) = self.0.iter_mut().find(|(n, _)| *n == name)?;
        Some(std::mem::replace(v, Value::Absent))
    }

    pub fn string(&mut self, name: &str) -> Option<String> {
        match self.take(name)? {
            Value::Str(s) => Some(s.into_owned()),
            _ => None,
        }
    }

    /// An optional string: `Some(None)` when absent.
    pub fn opt_string(&mut self, name: &str) -> Option<Option<String>> {
        match self.take(name)? {
            Value::Str(s) => Some(Some(s.into_owned())),
            Value::Absent => Some(None),
            _ => None,
        }
    }

    pub fn number(&mut self, name: &str) -> Option<f64> {
        match self.take(name)? {
            Value::Number(v) => Some(v),
            _ => None,
        }
    }

    /// A number read as [`crate::Kind::Single`] (so it fits 32 bits).
    pub fn single(&mut self, name: &str) -> Option<f32> {
        self.number(name).map(|v| v as f32)
    }

    pub fn int(&mut self, name: &str) -> Option<i64> {
        match self.take(name)? {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn flag(&mut self, name: &str) -> Option<bool> {
        match self.take(name)? {
            Value::Flag(v) => Some(v),
            _ => None,
        }
    }

    pub fn source(&mut self, name: &str) -> Option<DspSource> {
        match self.take(name)? {
            Value::Source(v) => Some(v),
            _ => None,
        }
    }

    pub fn pattern(&mut self, name: &str) -> Option<Ir> {
        match self.take(name)? {
            Value::Pattern(v) => Some(v),
            _ => None,
        }
    }
}
