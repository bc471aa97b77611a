//! The pattern IR: the tree of constructors and operators (never closures) that Python sends to
//! the engine and the engine stores. JSON, versioned (`{"v":1,"p":<node>}`), validated on
//! decode, compiled to a [`Pattern`] on demand.
//!
//! Operators that take a function in Python (`every`, `sometimes_by`, `off`, `inside`, ...) are
//! stored with the function already applied: Python calls `f` on the pattern and the resulting
//! subtree is stored (e.g. [`Ir::FirstOf`] holds `then` = `f(base)`). A Python-lambda `fmap` has no
//! IR form; arithmetic (`add`, `sub`, `mul`, `div`) does ([`Ir::Arith`]).

mod build;
mod display;
mod validate;

pub use build::{as_note, to_midi};

use serde::{Deserialize, Serialize};

use crate::pattern::Pattern;
use crate::value::{Op, Value};

/// The IR format version this crate reads and writes.
pub const VERSION: u32 = 1;
/// Deepest accepted tree.
pub const MAX_DEPTH: usize = 64;
/// Most nodes accepted in one tree.
pub const MAX_NODES: usize = 10_000;
/// Longest accepted string (mini-notation source, names, values).
pub const MAX_STR: usize = 16 * 1024;
/// Largest accepted speed factor or count.
pub const MAX_FACTOR: f64 = 1e6;

/// A continuous signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignalKind {
    /// `sine`, 0..1
    Sine,
    /// `cosine`, 0..1
    Cosine,
    /// `saw`, 0..1
    Saw,
    /// `isaw`, 1..0
    Isaw,
    /// `tri`, 0..1..0
    Tri,
    /// `square`, 0 then 1
    Square,
    /// `rand`, random in 0..1
    Rand,
}

/// A `timecat` part: a relative duration and a pattern.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// Relative duration (> 0).
    pub w: f64,
    /// The pattern.
    pub p: Ir,
}

/// One IR node. Argument fields holding `Box<Ir>` accept any pattern (patterned arguments);
/// a plain number is `{"op":"pure","value":2}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ir {
    /// Nothing.
    Silence,
    /// One event per cycle.
    Pure { value: Value },
    /// Mini-notation source, parsed when compiled.
    Mini { src: String },
    /// `seq`/`fastcat`: all in one cycle.
    Seq { pats: Vec<Ir> },
    /// `cat`/`slowcat`: one per cycle.
    Cat { pats: Vec<Ir> },
    /// All at once.
    Stack { pats: Vec<Ir> },
    /// Weighted sequence.
    Timecat { parts: Vec<Part> },
    /// A continuous signal.
    Signal { kind: SignalKind },
    /// Random integers `0..n`.
    Irand { n: Box<Ir> },
    /// `0 1 .. n-1`.
    Run { n: Box<Ir> },
    /// Speed up.
    Fast { factor: Box<Ir>, pat: Box<Ir> },
    /// Slow down.
    Slow { factor: Box<Ir>, pat: Box<Ir> },
    /// Shift earlier.
    Early { by: Box<Ir>, pat: Box<Ir> },
    /// Shift later.
    Late { by: Box<Ir>, pat: Box<Ir> },
    /// Reverse each cycle.
    Rev { pat: Box<Ir> },
    /// Repeat each event.
    Ply { factor: Box<Ir>, pat: Box<Ir> },
    /// Sample `n` times per cycle.
    Segment { n: Box<Ir>, pat: Box<Ir> },
    /// Rotate by `1/n` each cycle.
    Iter { n: Box<Ir>, pat: Box<Ir> },
    /// `iter` backwards.
    IterBack { n: Box<Ir>, pat: Box<Ir> },
    /// Forwards, then backwards.
    Palindrome { pat: Box<Ir> },
    /// `then` in the first of every `n` cycles, else `base` (`every`).
    FirstOf { n: Box<Ir>, then: Box<Ir>, base: Box<Ir> },
    /// `then` in the last of every `n` cycles, else `base`.
    LastOf { n: Box<Ir>, then: Box<Ir>, base: Box<Ir> },
    /// Euclidean rhythm.
    Euclid { pulses: Box<Ir>, steps: Box<Ir>, rotation: Box<Ir>, pat: Box<Ir> },
    /// Structure from `bools` (truthy events only).
    Struct { bools: Box<Ir>, pat: Box<Ir> },
    /// Keep `pat` where `bools` is truthy.
    Mask { bools: Box<Ir>, pat: Box<Ir> },
    /// `inside(n, late(seq(0, amount/2)))`.
    SwingBy { amount: Box<Ir>, n: Box<Ir>, pat: Box<Ir> },
    /// Remove events with probability `amount`.
    DegradeBy { amount: Box<Ir>, pat: Box<Ir> },
    /// Keep events with probability `amount`, complement of `degrade_by(1 - amount)`.
    UndegradeBy { amount: Box<Ir>, pat: Box<Ir> },
    /// `then` (= `f(base)`) with probability `prob`, else `base`.
    SometimesBy { prob: Box<Ir>, then: Box<Ir>, base: Box<Ir> },
    /// Random seed for everything inside.
    Seed { seed: Box<Ir>, pat: Box<Ir> },
    /// Scale 0..1 to `lo..hi`.
    Range { lo: Box<Ir>, hi: Box<Ir>, pat: Box<Ir> },
    /// Arithmetic with a patterned operand, structure from `pat`.
    Arith { arith: Op, pat: Box<Ir>, other: Box<Ir> },
    /// Each value becomes `{name: value}`.
    Control { name: String, pat: Box<Ir> },
    /// Note names become MIDI numbers (also inside maps' `note`).
    ToMidi { pat: Box<Ir> },
    /// Squeeze each cycle into `[begin, end)`.
    Compress { begin: f64, end: f64, pat: Box<Ir> },
    /// Play `[begin, end)` of each cycle stretched to a cycle.
    Zoom { begin: f64, end: f64, pat: Box<Ir> },
    /// Repeat each cycle `n` times.
    RepeatCycles { n: Box<Ir>, pat: Box<Ir> },
    /// Values as notes: numbers become `{"note": n}`, note names `{"note": midi}`, `x`/`X`
    /// hits (`true`); maps get their `note` name converted. The seed API's `note`/`p`.
    Notes { pat: Box<Ir> },
    /// A library operator by name (see [`crate::library`]): `args[0]` is the transformed
    /// pattern, functions arrive applied. E.g. `{"op":"lib","name":"chunk","args":[p, 4, then]}`.
    Lib { name: String, args: Vec<Ir> },
    /// A pattern only the creating process can evaluate (a Python-function `fmap`), resolved by
    /// [`Ir::to_pattern_with`]. Never valid on the wire: [`Ir::validate`] rejects it.
    Opaque { id: u64 },
}

/// An IR decoding, validation or compilation error: what, and where (a path such as
/// `p.pat.factor`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("pattern IR error at {path}: {msg}")]
pub struct IrError {
    /// Where in the tree.
    pub path: String,
    /// What was wrong.
    pub msg: String,
}

impl IrError {
    pub(crate) fn new(path: &str, msg: impl Into<String>) -> Self {
        IrError { path: path.to_string(), msg: msg.into() }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    v: u32,
    p: Ir,
}

#[derive(Serialize)]
struct EnvelopeRef<'a> {
    v: u32,
    p: &'a Ir,
}

impl Ir {
    /// Decodes `{"v":1,"p":...}` and validates it.
    pub fn from_json(s: &str) -> Result<Ir, IrError> {
        if s.len() > 4 * 1024 * 1024 {
            return Err(IrError::new("$", "IR larger than 4 MiB"));
        }
        let v: serde_json::Value = serde_json::from_str(s).map_err(|e| IrError::new("$", format!("bad JSON: {e}")))?;
        match v.get("v").and_then(serde_json::Value::as_u64) {
            Some(n) if n == u64::from(VERSION) => {}
            Some(n) => {
                return Err(IrError::new("v", format!("unsupported IR version {n} (this engine reads {VERSION})")))
            }
            None => return Err(IrError::new("v", "missing version field \"v\"")),
        }
        let env: Envelope =
            serde_json::from_value(v).map_err(|e| IrError::new("p", format!("bad pattern node: {e}")))?;
        env.p.validate()?;
        Ok(env.p)
    }

    /// Encodes as `{"v":1,"p":...}`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&EnvelopeRef { v: VERSION, p: self }).unwrap_or_default()
    }

    /// Checks limits (depth, node count, string sizes), that numbers are finite, that constant
    /// factors are positive and in range, and that mini-notation parses.
    pub fn validate(&self) -> Result<(), IrError> {
        let mut count = 0;
        self.check("p", 1, &mut count, false)
    }

    /// Compiles the tree to a queryable pattern (validating first).
    pub fn to_pattern(&self) -> Result<Pattern, IrError> {
        self.validate()?;
        self.build("p", &|_| None)
    }

    /// Compiles a tree that may hold [`Ir::Opaque`] leaves, resolved by `ext`. Used by the
    /// Python binding to compile one new node over already-compiled children.
    pub fn to_pattern_with(&self, ext: &dyn Fn(u64) -> Option<Pattern>) -> Result<Pattern, IrError> {
        let mut count = 0;
        self.check("p", 1, &mut count, true)?;
        self.build("p", ext)
    }

    /// True if the tree holds an [`Ir::Opaque`] leaf (and so cannot be sent to the engine).
    pub fn has_opaque(&self) -> bool {
        matches!(self, Ir::Opaque { .. }) || self.children().iter().any(|(_, c)| c.has_opaque())
    }

    /// The direct children, with their field names.
    pub fn child_nodes(&self) -> Vec<(&'static str, &Ir)> {
        self.children()
    }

    fn children(&self) -> Vec<(&'static str, &Ir)> {
        use Ir::*;
        match self {
            Silence | Pure { .. } | Mini { .. } | Signal { .. } | Opaque { .. } => vec![],
            Seq { pats } | Cat { pats } | Stack { pats } => pats.iter().map(|p| ("pats", p)).collect(),
            Lib { args, .. } => args.iter().map(|p| ("args", p)).collect(),
            Timecat { parts } => parts.iter().map(|p| ("parts", &p.p)).collect(),
            Irand { n } | Run { n } => vec![("n", n)],
            Fast { factor, pat } | Slow { factor, pat } | Ply { factor, pat } => {
                vec![("factor", factor), ("pat", pat)]
            }
            Early { by, pat } | Late { by, pat } => vec![("by", by), ("pat", pat)],
            Rev { pat } | Palindrome { pat } | ToMidi { pat } | Notes { pat } => vec![("pat", pat)],
            Compress { pat, .. } | Zoom { pat, .. } | Control { pat, .. } => vec![("pat", pat)],
            Segment { n, pat } | Iter { n, pat } | IterBack { n, pat } | RepeatCycles { n, pat } => {
                vec![("n", n), ("pat", pat)]
            }
            FirstOf { n, then, base } | LastOf { n, then, base } => {
                vec![("n", n), ("then", then), ("base", base)]
            }
            Euclid { pulses, steps, rotation, pat } => {
                vec![("pulses", pulses), ("steps", steps), ("rotation", rotation), ("pat", pat)]
            }
            Struct { bools, pat } | Mask { bools, pat } => vec![("bools", bools), ("pat", pat)],
            SwingBy { amount, n, pat } => vec![("amount", amount), ("n", n), ("pat", pat)],
            DegradeBy { amount, pat } | UndegradeBy { amount, pat } => {
                vec![("amount", amount), ("pat", pat)]
            }
            SometimesBy { prob, then, base } => {
                vec![("prob", prob), ("then", then), ("base", base)]
            }
            Seed { seed, pat } => vec![("seed", seed), ("pat", pat)],
            Range { lo, hi, pat } => vec![("lo", lo), ("hi", hi), ("pat", pat)],
            Arith { pat, other, .. } => vec![("pat", pat), ("other", other)],
        }
    }
}

/// Shorthand constructors for building IR in Rust.
impl Ir {
    /// `{"op":"pure","value":x}` for a number.
    pub fn num(x: f64) -> Ir {
        Ir::Pure { value: Value::Num(x) }
    }

    /// `{"op":"mini","src":...}`.
    pub fn mini(src: &str) -> Ir {
        Ir::Mini { src: src.to_string() }
    }
}
