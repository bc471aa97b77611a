//! Arithmetic on values with patterned operands (`add`, `sub`, `mul`, `div`, `range`), and
//! control patterns (`note`, `s`, any name).

use crate::constructors::silence;
use crate::ops::args::with_args;
use crate::pattern::Pattern;
use crate::value::{Op, Value};

/// Where the structure of a combination of two patterns comes from (Strudel's `op.in`,
/// `op.out`, `op.mix`, `op.squeeze`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum How {
    /// From the left pattern (the default).
    In,
    /// From the right pattern.
    Out,
    /// From both: wholes intersect.
    Mix,
    /// A cycle of the right pattern squeezed into each event of the left.
    Squeeze,
}

impl Pattern {
    /// Combines values with `other`'s, structure from `self` (Strudel's default `op.in`).
    pub fn op(&self, op: Op, other: &Pattern) -> Pattern {
        self.app_left(other, move |a, b| Some(a.apply(op, b)))
    }

    /// Combines values with `other`'s, structure from `other` (Strudel `op.out`).
    pub fn op_out(&self, op: Op, other: &Pattern) -> Pattern {
        self.app_right(other, move |a, b| Some(a.apply(op, b)))
    }

    /// Combines values with `other`'s, structure from both (wholes intersect; Strudel `op.mix`).
    pub fn op_mix(&self, op: Op, other: &Pattern) -> Pattern {
        self.app_both(other, move |a, b| Some(a.apply(op, b)))
    }

    /// Squeezes a cycle of `other` into each event, combining values (Strudel `op.squeeze`).
    pub fn op_squeeze(&self, op: Op, other: &Pattern) -> Pattern {
        let o = other.clone();
        self.squeeze_bind(move |a| {
            let a = a.clone();
            o.fmap(move |b| a.apply(op, b))
        })
    }

    /// Combines with `other` the given way.
    pub fn op_how(&self, op: Op, how: How, other: &Pattern) -> Pattern {
        match how {
            How::In => self.op(op, other),
            How::Out => self.op_out(op, other),
            How::Mix => self.op_mix(op, other),
            How::Squeeze => self.op_squeeze(op, other),
        }
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

    /// Wraps every value as a control: `{name: value}`. For `s`, a `"name:index"` string is
    /// split as Strudel splits its `"bd:3"` values: `{s: "bd", n: 3}` (a third part is `gain`).
    pub fn as_control(&self, name: &str) -> Pattern {
        let name = name.to_string();
        if name == "s" {
            return self.fmap(split_sound);
        }
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

/// `"bd:3:0.5"` as `{s: "bd", n: 3, gain: 0.5}`; other values as `{s: value}`.
fn split_sound(v: &Value) -> Value {
    let Value::Str(s) = v else { return Value::control("s", v.clone()) };
    let mut parts = s.split(':');
    let (Some(name), Some(n)) = (parts.next(), parts.next()) else { return Value::control("s", v.clone()) };
    let num = |x: &str| crate::mini::parser::parse_number(x).map_or_else(|| Value::Str(x.to_string()), Value::Num);
    let mut m = std::collections::BTreeMap::new();
    m.insert("s".to_string(), Value::Str(name.to_string()));
    m.insert("n".to_string(), num(n));
    if let Some(g) = parts.next() {
        m.insert("gain".to_string(), num(g));
    }
    Value::Map(m)
}

/// A control pattern: each value of `values` becomes `{name: value}` (Strudel `note`, `s`, ...).
pub fn control(name: &str, values: &Pattern) -> Pattern {
    values.as_control(name)
}
