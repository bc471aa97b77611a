//! A readable, Strudel-like rendering of the IR (`"a b".fast(2).every(4, ...)`), used by the
//! Python `repr`.

use std::fmt::{self, Display, Formatter};

use super::{Ir, SignalKind};
use crate::value::{fmt_num, Op, Value};

fn value(v: &Value) -> String {
    match v {
        Value::Num(x) => fmt_num(*x),
        Value::Str(s) => format!("'{s}'"),
        Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Value::Map(m) => {
            let inner: Vec<String> = m.iter().map(|(k, v)| format!("'{k}': {}", value(v))).collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// An argument: plain numbers and mini strings print bare.
struct Arg<'a>(&'a Ir);

impl Display for Arg<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            Ir::Pure { value: v } => f.write_str(&value(v)),
            other => write!(f, "{other}"),
        }
    }
}

fn list(pats: &[Ir]) -> String {
    pats.iter().map(|p| format!("{}", Arg(p))).collect::<Vec<_>>().join(", ")
}

impl Display for Ir {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        use Ir::*;
        match self {
            Silence => f.write_str("silence"),
            Pure { value: v } => write!(f, "pure({})", value(v)),
            Mini { src } => write!(f, "{}", serde_json::to_string(src).unwrap_or_default()),
            Seq { pats } => write!(f, "seq({})", list(pats)),
            Cat { pats } => write!(f, "cat({})", list(pats)),
            Stack { pats } => write!(f, "stack({})", list(pats)),
            Timecat { parts } => {
                let inner: Vec<String> = parts.iter().map(|p| format!("({}, {})", fmt_num(p.w), Arg(&p.p))).collect();
                write!(f, "timecat({})", inner.join(", "))
            }
            Signal { kind } => f.write_str(match kind {
                SignalKind::Sine => "sine",
                SignalKind::Cosine => "cosine",
                SignalKind::Saw => "saw",
                SignalKind::Isaw => "isaw",
                SignalKind::Tri => "tri",
                SignalKind::Square => "square",
                SignalKind::Rand => "rand",
            }),
            Irand { n } => write!(f, "irand({})", Arg(n)),
            Run { n } => write!(f, "run({})", Arg(n)),
            Fast { factor, pat } => write!(f, "{pat}.fast({})", Arg(factor)),
            Slow { factor, pat } => write!(f, "{pat}.slow({})", Arg(factor)),
            Early { by, pat } => write!(f, "{pat}.early({})", Arg(by)),
            Late { by, pat } => write!(f, "{pat}.late({})", Arg(by)),
            Rev { pat } => write!(f, "{pat}.rev()"),
            Ply { factor, pat } => write!(f, "{pat}.ply({})", Arg(factor)),
            Segment { n, pat } => write!(f, "{pat}.segment({})", Arg(n)),
            Iter { n, pat } => write!(f, "{pat}.iter({})", Arg(n)),
            IterBack { n, pat } => write!(f, "{pat}.iter_back({})", Arg(n)),
            Palindrome { pat } => write!(f, "{pat}.palindrome()"),
            FirstOf { n, then, base } => write!(f, "{base}.first_of({}, then={then})", Arg(n)),
            LastOf { n, then, base } => write!(f, "{base}.last_of({}, then={then})", Arg(n)),
            Euclid { pulses, steps, rotation, pat } => {
                if matches!(rotation.as_ref(), Pure { value: Value::Num(x) } if *x == 0.0) {
                    write!(f, "{pat}.euclid({}, {})", Arg(pulses), Arg(steps))
                } else {
                    write!(f, "{pat}.euclid_rot({}, {}, {})", Arg(pulses), Arg(steps), Arg(rotation))
                }
            }
            Struct { bools, pat } => write!(f, "{pat}.struct({})", Arg(bools)),
            Mask { bools, pat } => write!(f, "{pat}.mask({})", Arg(bools)),
            SwingBy { amount, n, pat } => write!(f, "{pat}.swing_by({}, {})", Arg(amount), Arg(n)),
            DegradeBy { amount, pat } => write!(f, "{pat}.degrade_by({})", Arg(amount)),
            UndegradeBy { amount, pat } => write!(f, "{pat}.undegrade_by({})", Arg(amount)),
            SometimesBy { prob, then, base } => {
                write!(f, "{base}.sometimes_by({}, then={then})", Arg(prob))
            }
            Seed { seed, pat } => write!(f, "{pat}.seed({})", Arg(seed)),
            Range { lo, hi, pat } => write!(f, "{pat}.range({}, {})", Arg(lo), Arg(hi)),
            Arith { arith, pat, other } => match (arith, other.as_ref()) {
                (Op::Set, Control { name, pat: inner }) => {
                    write!(f, "{pat}.{name}({})", Arg(inner))
                }
                _ => {
                    let name = match arith {
                        Op::Add => "add",
                        Op::Sub => "sub",
                        Op::Mul => "mul",
                        Op::Div => "div",
                        Op::Mod => "mod",
                        Op::Set => "set",
                        Op::Keep => "keep",
                    };
                    write!(f, "{pat}.{name}({})", Arg(other))
                }
            },
            Control { name, pat } => write!(f, "{name}({})", Arg(pat)),
            ToMidi { pat } => write!(f, "midi({})", Arg(pat)),
            Notes { pat } => write!(f, "note({})", Arg(pat)),
            Compress { begin, end, pat } => {
                write!(f, "{pat}.compress({}, {})", fmt_num(*begin), fmt_num(*end))
            }
            Zoom { begin, end, pat } => {
                write!(f, "{pat}.zoom({}, {})", fmt_num(*begin), fmt_num(*end))
            }
            RepeatCycles { n, pat } => write!(f, "{pat}.repeat_cycles({})", Arg(n)),
            Lib { name, args } => match args.split_first() {
                Some((first, rest)) => write!(f, "{first}.{name}({})", list(rest)),
                None => write!(f, "{name}()"),
            },
            Opaque { .. } => f.write_str("<python fmap>"),
        }
    }
}
