//! Validating IR: limits, finite numbers, positive constant factors, parsable mini-notation.

use super::{Ir, IrError, MAX_DEPTH, MAX_FACTOR, MAX_NODES, MAX_STR};
use crate::value::Value;

impl Ir {
    pub(super) fn check(&self, path: &str, depth: usize, count: &mut usize, opaque: bool) -> Result<(), IrError> {
        *count += 1;
        if *count > MAX_NODES {
            return Err(IrError::new(path, format!("more than {MAX_NODES} nodes")));
        }
        if depth > MAX_DEPTH {
            return Err(IrError::new(path, format!("deeper than {MAX_DEPTH} levels")));
        }
        match self {
            Ir::Opaque { .. } if !opaque => {
                return Err(IrError::new(
                    path,
                    "this pattern uses a Python function (fmap) and exists only in Python; \
                     use add/sub/mul/div or mini-notation to send it to the engine",
                ))
            }
            Ir::Pure { value } => check_value(path, value, 0)?,
            Ir::Mini { src } => {
                if src.len() > MAX_STR {
                    return Err(IrError::new(path, format!("mini source longer than {MAX_STR}")));
                }
                crate::mini::parse(src).map_err(|e| IrError::new(path, e.to_string()))?;
            }
            Ir::Control { name, .. } if name.is_empty() || name.len() > 256 => {
                return Err(IrError::new(path, "control name must be 1..256 bytes"));
            }
            Ir::Timecat { parts } => {
                for (i, p) in parts.iter().enumerate() {
                    if !(p.w.is_finite() && p.w >= 0.0 && p.w <= MAX_FACTOR) {
                        return Err(IrError::new(
                            &format!("{path}.parts[{i}].w"),
                            format!("weight must be finite and in 0..{MAX_FACTOR}, got {}", p.w),
                        ));
                    }
                }
            }
            Ir::Compress { begin, end, .. } | Ir::Zoom { begin, end, .. }
                if !(begin.is_finite() && end.is_finite() && *begin >= 0.0 && end <= &1.0 && begin < end) =>
            {
                return Err(IrError::new(path, "need 0 <= begin < end <= 1"));
            }
            Ir::Fast { factor: f, .. } | Ir::Slow { factor: f, .. } | Ir::Ply { factor: f, .. } => {
                check_positive(&format!("{path}.factor"), f)?
            }
            Ir::Segment { n, .. } | Ir::Iter { n, .. } | Ir::IterBack { n, .. } => {
                check_positive(&format!("{path}.n"), n)?
            }
            Ir::RepeatCycles { n, .. } | Ir::FirstOf { n, .. } | Ir::LastOf { n, .. } => {
                check_positive(&format!("{path}.n"), n)?
            }
            Ir::Lib { name, args } => {
                crate::library::check(name, args.len()).map_err(|e| IrError::new(path, e))?;
            }
            Ir::Irand { n } | Ir::Run { n } => check_positive(&format!("{path}.n"), n)?,
            _ => {}
        }
        for (i, (name, child)) in self.children().into_iter().enumerate() {
            let p = if name == "pats" || name == "parts" || name == "args" {
                format!("{path}.{name}[{i}]")
            } else {
                format!("{path}.{name}")
            };
            child.check(&p, depth + 1, count, opaque)?;
        }
        Ok(())
    }
}

fn check_value(path: &str, v: &Value, depth: usize) -> Result<(), IrError> {
    if depth > 8 {
        return Err(IrError::new(path, "value nested too deeply"));
    }
    match v {
        Value::Num(x) if !x.is_finite() => Err(IrError::new(path, format!("number not finite: {x}"))),
        Value::Str(s) if s.len() > MAX_STR => Err(IrError::new(path, "string too long")),
        Value::Map(m) => {
            if m.len() > 256 {
                return Err(IrError::new(path, "map has more than 256 keys"));
            }
            for (k, x) in m {
                if k.len() > 256 {
                    return Err(IrError::new(path, "map key too long"));
                }
                check_value(&format!("{path}.value.{k}"), x, depth + 1)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A constant factor must be a positive finite number no larger than [`MAX_FACTOR`]; patterned
/// factors are checked per event when queried (bad values give silence).
fn check_positive(path: &str, ir: &Ir) -> Result<(), IrError> {
    if let Ir::Pure { value } = ir {
        match value.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 && x <= MAX_FACTOR => Ok(()),
            Some(x) => Err(IrError::new(path, format!("must be a positive number up to {MAX_FACTOR}, got {x}"))),
            None => Err(IrError::new(path, format!("must be a number, got {}", value.short()))),
        }
    } else {
        Ok(())
    }
}
