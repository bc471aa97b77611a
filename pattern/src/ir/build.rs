//! Compiling IR to patterns.

use super::{Ir, IrError, SignalKind};
use crate::constructors::{fastcat, pure, silence, slowcat, stack, timecat};
use crate::note::note_to_midi;
use crate::pattern::Pattern;
use crate::signals;
use crate::time::from_f64;
use crate::value::Value;

impl Ir {
    pub(super) fn build(&self, path: &str, ext: &dyn Fn(u64) -> Option<Pattern>) -> Result<Pattern, IrError> {
        use Ir::*;
        let b = |name: &str, ir: &Ir| ir.build(&format!("{path}.{name}"), ext);
        Ok(match self {
            Silence => silence(),
            Pure { value } => pure(value.clone()),
            Mini { src } => crate::mini::mini(src).map_err(|e| IrError::new(path, e.to_string()))?,
            Seq { pats } => fastcat(build_all(path, pats, ext)?),
            Cat { pats } => slowcat(build_all(path, pats, ext)?),
            Stack { pats } => stack(build_all(path, pats, ext)?),
            Timecat { parts } => {
                let mut v = Vec::new();
                for (i, p) in parts.iter().enumerate() {
                    let w = from_f64(p.w).ok_or_else(|| IrError::new(path, "bad weight"))?;
                    v.push((w, p.p.build(&format!("{path}.parts[{i}]"), ext)?));
                }
                timecat(v)
            }
            Signal { kind } => match kind {
                SignalKind::Sine => signals::sine(),
                SignalKind::Cosine => signals::cosine(),
                SignalKind::Saw => signals::saw(),
                SignalKind::Isaw => signals::isaw(),
                SignalKind::Tri => signals::tri(),
                SignalKind::Square => signals::square(),
                SignalKind::Rand => signals::rand(),
            },
            Irand { n } => signals::irand(&b("n", n)?),
            Run { n } => signals::run_p(&b("n", n)?),
            Fast { factor, pat } => b("pat", pat)?.fast_p(&b("factor", factor)?),
            Slow { factor, pat } => b("pat", pat)?.slow_p(&b("factor", factor)?),
            Early { by, pat } => b("pat", pat)?.early_p(&b("by", by)?),
            Late { by, pat } => b("pat", pat)?.late_p(&b("by", by)?),
            Rev { pat } => b("pat", pat)?.rev(),
            Ply { factor, pat } => b("pat", pat)?.ply_p(&b("factor", factor)?),
            Segment { n, pat } => b("pat", pat)?.segment_p(&b("n", n)?),
            Iter { n, pat } => b("pat", pat)?.iter_p(&b("n", n)?),
            IterBack { n, pat } => b("pat", pat)?.iter_back_p(&b("n", n)?),
            Palindrome { pat } => b("pat", pat)?.palindrome(),
            FirstOf { n, then, base } => b("base", base)?.first_of_p(&b("n", n)?, &b("then", then)?),
            LastOf { n, then, base } => b("base", base)?.last_of_p(&b("n", n)?, &b("then", then)?),
            Euclid { pulses, steps, rotation, pat } => {
                b("pat", pat)?.euclid_p(&b("pulses", pulses)?, &b("steps", steps)?, &b("rotation", rotation)?)
            }
            Struct { bools, pat } => b("pat", pat)?.struct_(&b("bools", bools)?),
            Mask { bools, pat } => b("pat", pat)?.mask(&b("bools", bools)?),
            SwingBy { amount, n, pat } => b("pat", pat)?.swing_by(&b("amount", amount)?, &b("n", n)?),
            DegradeBy { amount, pat } => b("pat", pat)?.degrade_by_p(&b("amount", amount)?),
            UndegradeBy { amount, pat } => b("pat", pat)?.undegrade_by_p(&b("amount", amount)?),
            SometimesBy { prob, then, base } => {
                b("base", base)?.sometimes_by_with(&b("prob", prob)?, &b("then", then)?)
            }
            Seed { seed, pat } => b("pat", pat)?.seed_p(&b("seed", seed)?),
            Range { lo, hi, pat } => b("pat", pat)?.range(&b("lo", lo)?, &b("hi", hi)?),
            Arith { arith, pat, other } => b("pat", pat)?.op(*arith, &b("other", other)?),
            Control { name, pat } => b("pat", pat)?.as_control(name),
            ToMidi { pat } => b("pat", pat)?.fmap(to_midi),
            Compress { begin, end, pat } => {
                let (bb, ee) = times(path, *begin, *end)?;
                b("pat", pat)?.compress(bb, ee)
            }
            Zoom { begin, end, pat } => {
                let (bb, ee) = times(path, *begin, *end)?;
                b("pat", pat)?.zoom(bb, ee)
            }
            RepeatCycles { n, pat } => {
                let p = b("pat", pat)?;
                crate::ops::args::with_num_arg(&b("n", n)?, move |n| p.repeat_cycles(n as i64))
            }
            Notes { pat } => b("pat", pat)?.fmap(as_note),
            Lib { name, args } => {
                let a: Vec<Pattern> = args
                    .iter()
                    .enumerate()
                    .map(|(i, x)| x.build(&format!("{path}.args[{i}]"), ext))
                    .collect::<Result<_, _>>()?;
                crate::library::call(name, &a).map_err(|e| IrError::new(path, format!("{name}: {e}")))?
            }
            Opaque { id } => ext(*id).ok_or_else(|| IrError::new(path, format!("unknown opaque pattern {id}")))?,
        })
    }
}

fn build_all(path: &str, pats: &[Ir], ext: &dyn Fn(u64) -> Option<Pattern>) -> Result<Vec<Pattern>, IrError> {
    pats.iter().enumerate().map(|(i, p)| p.build(&format!("{path}.pats[{i}]"), ext)).collect()
}

/// The seed API's reading of a value as a note: numbers and note names become
/// `{"note": midi}`, `x`/`X` and `true` are hits (`true`), maps get their `note` converted.
pub fn as_note(v: &Value) -> Value {
    match v {
        Value::Num(_) => Value::control("note", v.clone()),
        Value::Str(s) if s == "x" || s == "X" => Value::Bool(true),
        Value::Str(s) => match note_to_midi(s) {
            Some(m) => Value::control("note", Value::Num(m)),
            None => v.clone(),
        },
        Value::Map(_) => to_midi(v),
        Value::Bool(_) => v.clone(),
    }
}

fn times(path: &str, b: f64, e: f64) -> Result<(crate::time::Time, crate::time::Time), IrError> {
    match (from_f64(b), from_f64(e)) {
        (Some(b), Some(e)) => Ok((b, e)),
        _ => Err(IrError::new(path, "bad time")),
    }
}

/// Note names (as strings, or under a map's `note` key) become MIDI numbers.
pub fn to_midi(v: &Value) -> Value {
    match v {
        Value::Str(s) => note_to_midi(s).map_or_else(|| v.clone(), Value::Num),
        Value::Map(m) => {
            let mut m = m.clone();
            if let Some(n) = m.get("note").map(to_midi) {
                m.insert("note".to_string(), n);
            }
            Value::Map(m)
        }
        _ => v.clone(),
    }
}
