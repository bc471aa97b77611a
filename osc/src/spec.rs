//! The shape of a request address — its arguments, its reply, one line of documentation — as
//! declared once in [`crate::TABLE`]. The decoder, the encoder, the signature text in errors,
//! the check of `docs/protocol.md` and the Python library all read it from there.

use crate::fields::{Fields, Value};
use crate::Command;
use std::borrow::Cow;

/// How an argument is read and checked. Each kind has one OSC type letter in signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `s`: a node name or control path — segments of letters, digits, `_`, `-`, `.` joined by
    /// `/`, at most `Limits::max_string_bytes`.
    Path,
    /// `s`: a WAV file in the recording directory — a [`Kind::Path`] with no `.` or `..`
    /// segment, ending in `.wav`.
    WavFile,
    /// `s`: FAUST source, or `faust:<type>` naming a file of the dsp directory; not blank, at
    /// most `Limits::max_source_bytes`.
    Source,
    /// `s`: mini-notation, or the pattern IR as JSON (`{...}`).
    Pattern,
    /// `s`: the client's own text, at most `Limits::max_source_bytes`.
    Text,
    /// `f` (`i`, `f`, `d` accepted): a finite number; encoded as `d`.
    Number,
    /// `f` (`i`, `f`, `d` accepted): a finite number that fits 32 bits; encoded as `f`.
    Single,
    /// `i` (or `f`, `d` holding a whole number): a voice count, 1 to `Limits::max_voices`.
    Voices,
    /// `i` (or `f`, `d` holding a whole number): an integer within the argument's range.
    Int,
    /// `i`: a flag; non-zero is true (`f`, `d`, `T` and `F` are accepted too).
    Flag,
}

impl Kind {
    /// The OSC type letter shown in signatures.
    pub const fn letter(self) -> char {
        match self {
            Kind::Path | Kind::WavFile | Kind::Source | Kind::Pattern | Kind::Text => 's',
            Kind::Number | Kind::Single => 'f',
            Kind::Voices | Kind::Int | Kind::Flag => 'i',
        }
    }

    /// The kind's name, as the Python library shows it (`"wav_file"`).
    pub const fn rule(self) -> &'static str {
        match self {
            Kind::Path => "path",
            Kind::WavFile => "wav_file",
            Kind::Source => "source",
            Kind::Pattern => "pattern",
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Single => "single",
            Kind::Voices => "voices",
            Kind::Int => "int",
            Kind::Flag => "flag",
        }
    }
}

/// The value an optional argument takes when the message ends before it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DefaultValue {
    /// No value: the command's field is `None`.
    None,
    Number(f64),
    Int(i64),
    Flag(bool),
    Text(&'static str),
}

/// One argument of a request address.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArgSpec {
    /// The name in errors, signatures and the command's serde form.
    pub name: &'static str,
    pub kind: Kind,
    /// `None`: required. `Some`: optional, with the value it takes when absent. Optional
    /// arguments come last, and an absent one ends the message (later ones cannot be given).
    pub default: Option<DefaultValue>,
    /// Inclusive bounds of a numeric value, when they are fixed (not a `Limits` field).
    pub range: Option<(f64, f64)>,
}

impl ArgSpec {
    /// A required argument without a range.
    pub(crate) const fn new(name: &'static str, kind: Kind) -> ArgSpec {
        ArgSpec { name, kind, default: None, range: None }
    }

    /// This argument, limited to `lo..=hi`.
    pub(crate) const fn range(self, lo: f64, hi: f64) -> ArgSpec {
        ArgSpec { range: Some((lo, hi)), ..self }
    }

    /// This argument, optional with `default`.
    pub(crate) const fn or(self, default: DefaultValue) -> ArgSpec {
        ArgSpec { default: Some(default), ..self }
    }

    pub fn required(&self) -> bool {
        self.default.is_none()
    }

    /// `name:s`, or `[name:s]` when optional.
    pub fn signature(&self) -> String {
        let word = format!("{}:{}", self.name, self.kind.letter());
        if self.required() {
            word
        } else {
            format!("[{word}]")
        }
    }
}

/// One request address: everything the code and the documentation say about it.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub address: &'static str,
    /// The serde tag of its [`Command`] (`"node_new"`): `cmd` in the JSON form.
    pub cmd: &'static str,
    /// The serde field that tells apart addresses sharing one `cmd`, and its value here:
    /// `("on", false)` for `/kr/unmute`.
    pub fixed: Option<(&'static str, bool)>,
    /// The arguments after the optional request id, in order.
    pub args: &'static [ArgSpec],
    /// What the answer carries, for people: `` `/kr/done` extra: value:f `` for `/kr/get`.
    pub reply: &'static str,
    /// One line of documentation; the address's section of `docs/protocol.md` contains it.
    pub doc: &'static str,
    /// The command from its arguments, read and checked as `args` says (in a [`Fields`] by
    /// name). None only when this entry and the builder disagree: a bug, which the table's
    /// tests rule out.
    pub(crate) build: fn(&mut Fields<'_>) -> Option<Command>,
}

impl From<DefaultValue> for Value<'_> {
    fn from(d: DefaultValue) -> Self {
        match d {
            DefaultValue::None => Value::Absent,
            DefaultValue::Number(v) => Value::Number(v),
            DefaultValue::Int(v) => Value::Int(v),
            DefaultValue::Flag(v) => Value::Flag(v),
            DefaultValue::Text(s) => Value::Str(Cow::Borrowed(s)),
        }
    }
}
