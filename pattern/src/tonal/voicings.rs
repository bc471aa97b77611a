//! Chord voicings: the iReal Pro "simple" voicing dictionary (data, `ireal_voicings.txt`: one
//! chord symbol per line, voicings as intervals above the root separated by `|`), and the
//! choice of a voicing whose top note sits just below an anchor (Strudel's default `voicing`).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::tonal::pitch::{midi_to_name, Interval, Note};

const IREAL: &str = include_str!("ireal_voicings.txt");

fn dictionary() -> &'static HashMap<String, Vec<Vec<i64>>> {
    static DICT: OnceLock<HashMap<String, Vec<Vec<i64>>>> = OnceLock::new();
    DICT.get_or_init(|| {
        let mut d = HashMap::new();
        for line in IREAL.lines().filter(|l| !l.trim().is_empty()) {
            let Some((sym, voicings)) = line.split_once(" = ") else { continue };
            let sym = sym.trim().trim_matches('"').to_string();
            let vs: Vec<Vec<i64>> = voicings
                .split('|')
                .map(|v| v.split_whitespace().filter_map(|i| Interval::parse(i).map(|i| i.semitones)).collect())
                .collect();
            d.insert(sym, vs);
        }
        // Other spellings of the same symbols: `^` is also the bare major triad, `-` is `m`,
        // `^` is `M`, `+` is `aug`.
        let aliases: Vec<(String, Vec<Vec<i64>>)> = d
            .iter()
            .flat_map(|(k, v)| {
                let mut out = Vec::new();
                if k == "^" {
                    out.push((String::new(), v.clone()));
                }
                for (from, to) in [("-", "m"), ("^", "M"), ("+", "aug")] {
                    if k.contains(from) {
                        out.push((k.replacen(from, to, 1), v.clone()));
                    }
                }
                out
            })
            .collect();
        for (k, v) in aliases {
            d.entry(k).or_insert(v);
        }
        d
    })
}

/// Splits a chord symbol into root and type: `"Am7"` is `("A", "m7")`; a slash bass is dropped.
pub fn split_chord(chord: &str) -> Option<(Note, String)> {
    let root_len = chord.chars().take(1).count() + chord.chars().skip(1).take_while(|c| matches!(c, '#' | 'b')).count();
    let root = Note::parse(&chord[..root_len])?;
    if !chord.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let rest = &chord[root_len..];
    let kind = rest.split('/').next().unwrap_or("");
    Some((root, kind.to_string()))
}

/// The notes of the voicing of `chord` whose top note is closest below `anchor` (MIDI), as
/// note names; `None` for an unknown chord.
pub fn voice(chord: &str, anchor: i64) -> Option<Vec<String>> {
    let (root, kind) = split_chord(chord)?;
    let voicings = dictionary().get(&kind)?;
    let root_chroma = root.chroma();
    let anchor_chroma = anchor.rem_euclid(12);
    let diffs: Vec<i64> = voicings
        .iter()
        .map(|v| (anchor_chroma - v.last().copied().unwrap_or(0) - root_chroma).rem_euclid(12))
        .collect();
    let best = (0..diffs.len()).min_by_key(|i| (diffs[*i], *i))?;
    let v = &voicings[best];
    let top = v.last().copied().unwrap_or(0);
    let anchor_midi = anchor - diffs[best];
    Some(v.iter().map(|x| midi_to_name(anchor_midi - top + x)).collect())
}

/// Whether a chord symbol is known.
pub fn is_chord(chord: &str) -> bool {
    split_chord(chord).is_some_and(|(_, k)| dictionary().contains_key(&k))
}
