//! The library operators by name, for the IR's generic [`crate::ir::Ir::Lib`] node: each takes
//! a list of argument patterns (the transformed pattern first) and checks what must be a
//! constant. Functions given in Python or Strudel (`chunk(4, f)`) arrive already applied
//! (`then`), as for `every` (see each operator's doc for the pattern `f` is applied to).

use std::collections::BTreeMap;

use crate::constructors::stack;
use crate::ops::arith::How;
use crate::ops::chance::wchoose_cycles;
use crate::ops::pick::{Lookup, PickJoin, Wrap};
use crate::ops::reshape::polymeter;
use crate::pattern::Pattern;
use crate::value::{Op, Value};
use crate::{signals, tonal};

/// Names and argument counts (`min..=max`, `usize::MAX` for "any") of the library operators.
const ARITY: &[(&str, usize, usize)] = &[
    ("chunk", 3, 3),
    ("chunk_back", 3, 3),
    ("fast_chunk", 3, 3),
    ("linger", 2, 2),
    ("echo", 4, 4),
    ("superimpose", 1, usize::MAX),
    ("brak", 1, 1),
    ("press", 1, 1),
    ("press_by", 2, 2),
    ("hurry", 2, 2),
    ("fast_gap", 2, 2),
    ("inv", 1, 1),
    ("when", 3, 3),
    ("within", 4, 4),
    ("within_inside", 3, 3),
    ("euclid_legato", 4, 4),
    ("ribbon", 3, 3),
    ("ply_with", 1, usize::MAX),
    ("some_cycles_by", 3, 3),
    ("some_cycles_base", 2, 2),
    ("some_cycles_applied", 3, 3),
    ("sometimes_applied", 3, 3),
    ("shuffle", 2, 2),
    ("scramble", 2, 2),
    ("wchoose_cycles", 2, usize::MAX),
    ("pick", 1, usize::MAX),
    ("pick_mod", 1, usize::MAX),
    ("inhabit", 1, usize::MAX),
    ("inhabit_mod", 1, usize::MAX),
    ("squeeze", 1, usize::MAX),
    ("pick_named", 1, usize::MAX),
    ("inhabit_named", 1, usize::MAX),
    ("bite", 3, 3),
    ("range2", 3, 3),
    ("rangex", 3, 3),
    ("perlin", 0, 0),
    ("polymeter", 0, usize::MAX),
    ("arp", 2, 2),
    ("chop", 2, 2),
    ("striate", 2, 2),
    ("slice", 3, 3),
    ("splice", 3, 3),
    ("loop_at", 2, 2),
    ("fit", 1, 1),
    ("jux_by", 3, 3),
    ("pan_shift", 2, 2),
    ("op", 4, 4),
    ("scale", 2, 2),
    ("transpose", 2, 2),
    ("scale_transpose", 3, 3),
    ("voicing", 1, 1),
    ("root_notes", 2, 2),
];

/// The names of all library operators.
pub fn names() -> impl Iterator<Item = &'static str> {
    ARITY.iter().map(|(k, _, _)| *k)
}

/// Checks that `name` is a library operator taking `n` arguments.
pub fn check(name: &str, n: usize) -> Result<(), String> {
    let Some((_, lo, hi)) = ARITY.iter().find(|(k, _, _)| *k == name) else {
        return Err(format!("unknown library operator {name:?}"));
    };
    if n < *lo || n > *hi {
        return Err(format!(
            "{name} takes {lo}..{} arguments, got {n}",
            if *hi == usize::MAX { "".into() } else { hi.to_string() }
        ));
    }
    Ok(())
}

fn constant(a: &[Pattern], i: usize, what: &str) -> Result<Value, String> {
    a[i].as_pure().cloned().ok_or_else(|| format!("argument {} ({what}) must be a constant", i + 1))
}

fn number(a: &[Pattern], i: usize, what: &str) -> Result<f64, String> {
    constant(a, i, what)?
        .as_f64()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("argument {} ({what}) must be a number", i + 1))
}

fn integer(a: &[Pattern], i: usize, what: &str) -> Result<i64, String> {
    let x = number(a, i, what)?;
    if x.fract() != 0.0 || x.abs() > 1e6 {
        return Err(format!("argument {} ({what}) must be a whole number, got {x}", i + 1));
    }
    Ok(x as i64)
}

fn string(a: &[Pattern], i: usize, what: &str) -> Result<String, String> {
    match constant(a, i, what)? {
        Value::Str(s) => Ok(s),
        other => Ok(other.short()),
    }
}

fn named(a: &[Pattern]) -> Result<Lookup, String> {
    if !a.len().is_multiple_of(2) {
        return Err("named choices come in (name, pattern) pairs".into());
    }
    let mut m = BTreeMap::new();
    for i in (0..a.len()).step_by(2) {
        m.insert(string(a, i, "name")?, a[i + 1].clone());
    }
    Ok(Lookup::Named(m))
}

/// Parses an operator and structure name such as `"add"` / `"squeeze"`.
pub fn op_how(op: &str, how: &str) -> Result<(Op, How), String> {
    let op = match op {
        "add" => Op::Add,
        "sub" => Op::Sub,
        "mul" => Op::Mul,
        "div" => Op::Div,
        "mod" => Op::Mod,
        "set" => Op::Set,
        "keep" => Op::Keep,
        other => return Err(format!("unknown operator {other:?}")),
    };
    let how = match how {
        "in" => How::In,
        "out" => How::Out,
        "mix" => How::Mix,
        "squeeze" => How::Squeeze,
        other => return Err(format!("unknown structure {other:?} (in, out, mix, squeeze)")),
    };
    Ok((op, how))
}

/// Builds library operator `name` over `a` (checked by [`check`] first).
pub fn call(name: &str, a: &[Pattern]) -> Result<Pattern, String> {
    check(name, a.len())?;
    let p = || a[0].clone();
    Ok(match name {
        "chunk" | "chunk_back" | "fast_chunk" => {
            p().chunk_with(integer(a, 1, "n")?, &a[2], name == "chunk_back", name == "fast_chunk")
        }
        "linger" => p().linger_p(&a[1]),
        "echo" => p().echo_p(&a[1], &a[2], &a[3]),
        "superimpose" => p().superimpose_with(&a[1..]),
        "brak" => p().brak(),
        "press" => p().press(),
        "press_by" => p().press_by_p(&a[1]),
        "hurry" => p().hurry(&a[1]),
        "fast_gap" => {
            let q = p();
            crate::ops::args::with_time_arg(&a[1], move |f| q.fast_gap(f))
        }
        "inv" => p().inv(),
        "when" => p().when_with(&a[1], &a[2]),
        "within" => p().within_with(number(a, 1, "begin")?, number(a, 2, "end")?, &a[3]),
        "within_inside" => p().within_inside(number(a, 1, "begin")?, number(a, 2, "end")?),
        "euclid_legato" => p().euclid_legato_p(&a[1], &a[2], &a[3]),
        "ribbon" => p().ribbon_p(&a[1], &a[2]),
        "ply_with" => Pattern::ply_with_layers(a.to_vec()),
        "some_cycles_by" => p().some_cycles_by_with(&a[1], &a[2]),
        "some_cycles_base" => p().some_cycles_base(number(a, 1, "probability")?),
        "some_cycles_applied" => p().some_cycles_by_applied(number(a, 1, "probability")?, &a[2]),
        "sometimes_applied" => p().sometimes_by_applied(number(a, 1, "probability")?, &a[2]),
        "shuffle" => p().shuffle_p(&a[1]),
        "scramble" => p().scramble_p(&a[1]),
        "wchoose_cycles" => {
            if !a.len().is_multiple_of(2) {
                return Err("wchoose_cycles takes (pattern, weight) pairs".into());
            }
            let mut pairs = Vec::new();
            for i in (0..a.len()).step_by(2) {
                pairs.push((a[i].clone(), number(a, i + 1, "weight")?));
            }
            wchoose_cycles(pairs)
        }
        "pick" => p().pick(Lookup::List(a[1..].to_vec()), Wrap::Clamp, PickJoin::Inner),
        "pick_mod" => p().pick(Lookup::List(a[1..].to_vec()), Wrap::Modulo, PickJoin::Inner),
        "inhabit" => p().pick(Lookup::List(a[1..].to_vec()), Wrap::Clamp, PickJoin::Squeeze),
        "inhabit_mod" | "squeeze" => p().pick(Lookup::List(a[1..].to_vec()), Wrap::Modulo, PickJoin::Squeeze),
        "pick_named" => p().pick(named(&a[1..])?, Wrap::Clamp, PickJoin::Inner),
        "inhabit_named" => p().pick(named(&a[1..])?, Wrap::Clamp, PickJoin::Squeeze),
        "bite" => p().bite(&a[1], &a[2]),
        "range2" => p().range2(&a[1], &a[2]),
        "rangex" => p().rangex(&a[1], &a[2]),
        "perlin" => signals::perlin(),
        "polymeter" => {
            if !a.len().is_multiple_of(2) {
                return Err("polymeter takes (steps, pattern) pairs".into());
            }
            let mut layers = Vec::new();
            for i in (0..a.len()).step_by(2) {
                layers.push((a[i + 1].clone(), integer(a, i, "steps")?));
            }
            polymeter(layers)
        }
        "arp" => p().arp(&a[1]),
        "chop" => p().chop_p(&a[1]),
        "striate" => p().striate_p(&a[1]),
        "slice" => p().slice(&a[1], &a[2]),
        "splice" => p().splice(&a[1], &a[2]),
        "loop_at" => p().loop_at_p(&a[1]),
        "fit" => p().fit(),
        "pan_shift" => p().pan_shift(number(a, 1, "shift")?),
        "jux_by" => p().jux_by_with(number(a, 1, "by")?, &a[2]),
        "op" => {
            let (op, how) = op_how(&string(a, 1, "operator")?, &string(a, 2, "structure")?)?;
            p().op_how(op, how, &a[3])
        }
        "scale" => tonal::scale(&a[0], &a[1]),
        "transpose" => tonal::transpose(&a[0], &a[1]),
        "scale_transpose" => tonal::scale_transpose(&a[0], &a[1], &a[2]),
        "voicing" => tonal::voicing(&a[0]),
        "root_notes" => tonal::root_notes(&a[0], &a[1]),
        other => return Err(format!("unknown library operator {other:?}")),
    })
}

/// `stack` of the given layers (Strudel `layer`: the transformed copies without the original).
pub fn layer(thens: Vec<Pattern>) -> Pattern {
    stack(thens)
}
