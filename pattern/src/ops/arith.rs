//! Arithmetic on values with patterned operands (`add`, `sub`, `mul`, `div`, `range`), and
//! control patterns (`note`, `s`, any name).

use crate::constructors::silence;
use crate::ops::args::with_args;
use crate::pattern::Pattern;
use crate::value::{Op, Value};

impl Pattern {
    /// Combines values with `other`'s, structure from `self` (Strudel's default `op.in`).
    pub fn op(&self, op: Op, other: &Pattern) -> Pattern {
        self.app_left(other, move |a, b| Some(a.apply(op, b)))
    }

    /// Adds (numbers; note names count as MIDI numbers; strings concatenate).
    pub fn add(&self, other: &Pattern) -> Pattern {
        self.op(Op::Add, other)
    }

    /// Subtracts.
    pub fn sub(&self, other: &Pattern) -> Pattern {
        self.op(Op::Sub, other)
    }

    /// Multiplies.
    pub fn mul(&self, other: &Pattern) -> Pattern {
        self.op(Op::Mul, other)
    }

    /// Divides.
    pub fn div(&self, other: &Pattern) -> Pattern {
        self.op(Op::Div, other)
    }

    /// Scales values from `[0, 1]` to `[lo, hi]`: `self * (hi - lo) + lo`.
    pub fn range_num(&self, lo: f64, hi: f64) -> Pattern {
        self.fmap(move |v| v.apply(Op::Mul, &Value::Num(hi - lo)).apply(Op::Add, &Value::Num(lo)))
    }

    /// `range` with patterned bounds.
    pub fn range(&self, lo: &Pattern, hi: &Pattern) -> Pattern {
        let p = self.clone();
        with_args(&[lo.clone(), hi.clone()], move |v| match (v[0].as_f64(), v[1].as_f64()) {
            (Some(lo), Some(hi)) => p.range_num(lo, hi),
            _ => silence(),
        })
    }

    /// Wraps every value as a control: `{name: value}`.
    pub fn as_control(&self, name: &str) -> Pattern {
        let name = name.to_string();
        self.fmap(move |v| Value::control(&name, v.clone()))
    }

    /// Sets the control `name` from `values` (structure from `self`), like Strudel's chained
    /// `.s("bd")`: `self` maps are merged with `{name: value}`.
    pub fn set_control(&self, name: &str, values: &Pattern) -> Pattern {
        self.op(Op::Set, &values.as_control(name))
    }

    /// Sets `legato` (the fraction of each event's duration the gate stays up).
    pub fn legato(&self, x: &Pattern) -> Pattern {
        self.set_control("legato", x)
    }
}

/// A control pattern: each value of `values` becomes `{name: value}` (Strudel `note`, `s`, ...).
pub fn control(name: &str, values: &Pattern) -> Pattern {
    values.as_control(name)
}
