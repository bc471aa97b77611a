//! Tonal patterns, as Strudel's `@strudel/tonal` does them: `scale` (scale degrees to spelled
//! note names), `transpose` (by semitones or intervals, keeping spelling), `scale_transpose`
//! (by scale steps), `chord` + `voicing` (chord symbols to voiced notes) and `root_notes`.
//! Scales, intervals and voicings are data ([`scales`], [`voicings`]); results are note-name
//! strings, as in Strudel (`{"note": "E3"}`), which the engine turns into pitches.

pub mod pitch;
pub mod scales;
pub mod voicings;

use std::collections::BTreeMap;

use crate::constructors::{pure, silence, stack};
use crate::ops::args::with_arg;
use crate::pattern::Pattern;
use crate::value::Value;
use pitch::{Interval, Note};
use scales::Scale;

/// The default octave of a note name without one.
const DEFAULT_OCTAVE: i64 = 3;

fn note_of(v: &Value) -> Option<&Value> {
    match v {
        Value::Map(m) => m.get("note"),
        other => Some(other),
    }
}

fn with_note(v: &Value, note: Value) -> Value {
    match v {
        Value::Map(m) => {
            let mut m = m.clone();
            m.insert("note".to_string(), note);
            Value::Map(m)
        }
        _ => note,
    }
}

/// Drops events whose value `f` maps to `None`.
fn filter_map(pat: &Pattern, f: impl Fn(&Value) -> Option<Value> + Send + Sync + 'static) -> Pattern {
    pat.with_haps(move |haps, _| {
        haps.into_iter()
            .filter_map(|mut h| {
                h.value = f(&h.value)?;
                Some(h)
            })
            .collect()
    })
}

/// A scale step, `"3"`, `"-1"`, or with sharps/flats `"2#"`, `"4b"`: (degree, semitones).
fn parse_step(v: &Value) -> Option<(i64, i64)> {
    if let Value::Num(x) = v {
        return Some((x.ceil() as i64, 0));
    }
    let Value::Str(s) = v else { return None };
    if let Ok(x) = s.parse::<f64>() {
        return Some((x.ceil() as i64, 0));
    }
    let digits = s.trim_end_matches(['#', 'b']);
    let acc = &s[digits.len()..];
    let n: i64 = digits.parse().ok()?;
    if acc.chars().any(|c| c != acc.chars().next().unwrap_or('#')) {
        return None;
    }
    let semis = if acc.starts_with('#') { acc.len() as i64 } else { -(acc.len() as i64) };
    Some((n, semis))
}

/// Scale degrees (`n` of a control map, or bare numbers) become note names of `scale`
/// (`"C:major"`, patternable) under `note` (Strudel `scale`). Unknown scales and bad steps
/// give no event.
pub fn scale(pat: &Pattern, scale_name: &Pattern) -> Pattern {
    let p = pat.clone();
    with_arg(scale_name, move |name| {
        let Value::Str(name) = name else { return silence() };
        let Ok(sc) = Scale::parse(name) else { return silence() };
        filter_map(&p, move |v| {
            let step = match v {
                Value::Map(m) => match m.get("n") {
                    Some(n) => n,
                    // A note already given stays as it is.
                    None => return Some(v.clone()),
                },
                other => other,
            };
            if let Value::Str(s) = step {
                if Note::parse(s).is_some() {
                    return Some(step.clone());
                }
            }
            let (degree, semis) = parse_step(step)?;
            let mut note = sc.step(degree);
            if semis != 0 {
                note = note.transpose(Interval::from_semitones(semis));
            }
            let name = Value::Str(note.name());
            Some(match v {
                Value::Map(m) => {
                    let mut m = m.clone();
                    m.remove("n");
                    m.insert("note".to_string(), name);
                    Value::Map(m)
                }
                _ => name,
            })
        })
    })
}

/// Transposes notes by `amount`: semitones (a number) or an interval (`"3M"`, `"-8P"`).
/// Numeric notes add semitones; note names are transposed with their spelling kept and
/// simplified (Strudel `transpose`). Anything else is left as it is.
pub fn transpose(pat: &Pattern, amount: &Pattern) -> Pattern {
    let p = pat.clone();
    with_arg(amount, move |a| {
        let a = a.clone();
        p.fmap(move |v| {
            let Some(note) = note_of(v) else { return v.clone() };
            match note {
                Value::Num(x) => {
                    let semis = match &a {
                        Value::Num(s) => *s,
                        Value::Str(s) => Interval::parse(s).map_or(0.0, |i| i.semitones as f64),
                        _ => 0.0,
                    };
                    with_note(v, Value::Num(x + semis))
                }
                Value::Str(name) => {
                    let Some(n) = Note::parse(name) else { return v.clone() };
                    let iv = match &a {
                        Value::Num(s) => Interval::from_semitones(*s as i64),
                        Value::Str(s) => match s.parse::<f64>() {
                            Ok(x) => Interval::from_semitones(x as i64),
                            Err(_) => match Interval::parse(s) {
                                Some(iv) => iv,
                                None => return v.clone(),
                            },
                        },
                        _ => return v.clone(),
                    };
                    with_note(v, Value::Str(n.transpose(iv).simplify()))
                }
                _ => v.clone(),
            }
        })
    })
}

/// Moves note names `offset` steps along `scale` (Strudel `scaleTranspose`; Strudel takes the
/// scale from the preceding `.scale(...)`, kr takes it as an argument). Notes not in the
/// scale give no event.
pub fn scale_transpose(pat: &Pattern, scale_name: &Pattern, offset: &Pattern) -> Pattern {
    let p = pat.clone();
    let off = offset.clone();
    with_arg(scale_name, move |name| {
        let Value::Str(name) = name else { return silence() };
        let Ok(sc) = Scale::parse(name) else { return silence() };
        let pcs: Vec<Note> = sc.pitch_classes();
        let p = p.clone();
        with_arg(&off, move |o| {
            let Some(offset) = o.as_f64().filter(|x| x.is_finite()) else { return silence() };
            let pcs = pcs.clone();
            filter_map(&p, move |v| {
                let Some(Value::Str(name)) = note_of(v) else { return None };
                let moved = step_in(&pcs, name, offset as i64)?;
                Some(with_note(v, Value::Str(moved)))
            })
        })
    })
}

/// Strudel's `scaleOffset`: walks `offset` steps through the scale's pitch classes, changing
/// octave when passing C.
fn step_in(pcs: &[Note], note: &str, offset: i64) -> Option<String> {
    let n = Note::parse(note)?;
    let from = Note { oct: None, ..n };
    let start = pcs.iter().position(|p| p.chroma() == from.chroma() && p.letter == from.letter)?;
    let len = pcs.len() as i64;
    let (mut i, mut oct, mut cur) = (start as i64, n.oct.unwrap_or(DEFAULT_OCTAVE), pcs[start]);
    let dir = offset.signum();
    while (i - start as i64).abs() < offset.abs() {
        i += dir;
        if dir < 0 && cur.letter == 0 {
            oct -= 1;
        }
        cur = pcs[i.rem_euclid(len) as usize];
        if dir > 0 && cur.letter == 0 {
            oct += 1;
        }
    }
    Some(Note { oct: Some(oct), ..cur }.name())
}

/// Chord symbols as the `chord` control (`"C"`, `"Am7"`, `"F^7"`), to be voiced by [`voicing`].
pub fn chord(pat: &Pattern) -> Pattern {
    pat.as_control("chord")
}

/// Each chord (a `chord` control or a bare symbol) becomes its voicing from the iReal
/// dictionary, top note just below C5, as `note` names; other controls are kept (Strudel
/// `voicing`). Unknown chords give no event.
pub fn voicing(pat: &Pattern) -> Pattern {
    pat.outer_bind(|v| {
        let (chord, rest) = match v {
            Value::Map(m) => {
                let Some(Value::Str(c)) = m.get("chord") else { return silence() };
                let mut rest = m.clone();
                rest.remove("chord");
                (c.clone(), rest)
            }
            Value::Str(s) => (s.clone(), BTreeMap::new()),
            _ => return silence(),
        };
        let Some(notes) = voicings::voice(&chord, 72) else { return silence() };
        stack(
            notes
                .into_iter()
                .map(|n| {
                    let mut m = rest.clone();
                    m.insert("note".to_string(), Value::Str(n));
                    pure(Value::Map(m))
                })
                .collect(),
        )
    })
}

/// The chord's root in `octave` (Strudel `rootNotes`): `{"chord": "Am"}` becomes
/// `{"note": "A2"}` for octave 2, a bare symbol becomes a bare note name.
pub fn root_notes(pat: &Pattern, octave: &Pattern) -> Pattern {
    let p = pat.clone();
    with_arg(octave, move |o| {
        let o = o.short();
        filter_map(&p, move |v| {
            let chord = match v {
                Value::Map(m) => m.get("chord")?,
                other => other,
            };
            let Value::Str(c) = chord else { return None };
            let root_len = 1 + c.chars().skip(1).take_while(|ch| matches!(ch, '#' | 'b')).take(1).count();
            Note::parse(c.get(..root_len)?)?;
            let note = Value::Str(format!("{}{o}", &c[..root_len]));
            Some(match v {
                Value::Map(_) => Value::control("note", note),
                _ => note,
            })
        })
    })
}
