//! Patterned arguments: how an operator taking numbers accepts patterns of numbers (Strudel's
//! `register`/`patternify`). Pure arguments are applied directly; otherwise the arguments are
//! combined (structure from the first) and the results inner-joined.

use std::collections::BTreeMap;

use crate::pattern::Pattern;
use crate::time::{from_f64, Time};
use crate::value::Value;

/// Applies `f` to the values of one patterned argument.
pub fn with_arg(arg: &Pattern, f: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
    match arg.as_pure() {
        Some(v) => f(v),
        None => arg.inner_bind(f),
    }
}

/// Applies `f` to the values of several patterned arguments.
pub fn with_args(args: &[Pattern], f: impl Fn(&[Value]) -> Pattern + Send + Sync + 'static) -> Pattern {
    if let Some(vals) = args.iter().map(|a| a.as_pure().cloned()).collect::<Option<Vec<Value>>>() {
        return f(&vals);
    }
    let Some((first, rest)) = args.split_first() else {
        return f(&[]);
    };
    let key = |i: usize| format!("{i:03}");
    let mut acc = first.fmap(move |v| {
        let mut m = BTreeMap::new();
        m.insert(key(0), v.clone());
        Value::Map(m)
    });
    for (i, p) in rest.iter().enumerate() {
        acc = acc.app_left(p, move |a, b| {
            let Value::Map(m) = a else { return None };
            let mut m = m.clone();
            m.insert(key(i + 1), b.clone());
            Some(Value::Map(m))
        });
    }
    acc.inner_bind(move |v| match v {
        Value::Map(m) => {
            let vals: Vec<Value> = m.values().cloned().collect();
            f(&vals)
        }
        _ => crate::constructors::silence(),
    })
}

/// A time from a value (numbers and numeric strings; `None` otherwise).
pub fn time_of(v: &Value) -> Option<Time> {
    v.as_f64().and_then(from_f64)
}

/// Applies a time-taking `f` to a patterned time argument; unusable values give silence.
pub fn with_time_arg(arg: &Pattern, f: impl Fn(Time) -> Pattern + Send + Sync + 'static) -> Pattern {
    with_arg(arg, move |v| match time_of(v) {
        Some(t) => f(t),
        None => crate::constructors::silence(),
    })
}

/// Applies a number-taking `f` to a patterned numeric argument.
pub fn with_num_arg(arg: &Pattern, f: impl Fn(f64) -> Pattern + Send + Sync + 'static) -> Pattern {
    with_arg(arg, move |v| match v.as_f64() {
        Some(x) if x.is_finite() => f(x),
        _ => crate::constructors::silence(),
    })
}
