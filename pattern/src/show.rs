//! A text grid of a pattern, like Strudel's pianoroll in characters: one row per distinct
//! value, one column per step, `#` for an onset, `=` for a held continuation, `.` for silence.

use std::collections::BTreeMap;

use num_integer::Integer;

use crate::hap::sort_haps;
use crate::pattern::Pattern;
use crate::time::{int, Time};

/// Renders `cycles` cycles of `pat` from cycle 0. The step is the finest grid the events need
/// (capped at 64 columns per cycle).
pub fn show(pat: &Pattern, cycles: u32) -> String {
    let cycles = cycles.clamp(1, 16);
    let end = int(i64::from(cycles));
    let mut haps: Vec<_> = pat.query(int(0), end).into_iter().filter(|h| h.whole.is_some()).collect();
    sort_haps(&mut haps);
    if haps.is_empty() {
        return "(silence)".to_string();
    }
    // Resolution: lcm of denominators of the part boundaries, capped.
    let mut res: i64 = 1;
    for h in &haps {
        for t in [h.part.begin, h.part.end] {
            let l = res.lcm(t.denom());
            if l <= 64 {
                res = l;
            }
        }
    }
    let cols = res * i64::from(cycles);
    let mut rows: BTreeMap<String, Vec<char>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for h in &haps {
        let label = h.value.short();
        let row = rows.entry(label.clone()).or_insert_with(|| {
            order.push(label.clone());
            vec!['.'; cols as usize]
        });
        let step = Time::new(1, res);
        let b = (h.part.begin / step).floor().to_integer();
        let e = (h.part.end / step).ceil().to_integer().max(b + 1);
        for c in b..e.min(cols) {
            if c < 0 {
                continue;
            }
            let onset = c == b && h.has_onset();
            let ch = if onset { '#' } else { '=' };
            let cell = &mut row[c as usize];
            if *cell != '#' {
                *cell = ch;
            }
        }
    }
    let width = order.iter().map(|s| s.chars().count()).max().unwrap_or(1).min(24);
    let mut out = String::new();
    for label in &order {
        let row = &rows[label];
        let mut line = String::new();
        for (i, ch) in row.iter().enumerate() {
            if i as i64 % res == 0 {
                line.push('|');
            }
            line.push(*ch);
        }
        line.push('|');
        let short: String = label.chars().take(width).collect();
        out.push_str(&format!("{short:>width$} {line}\n"));
    }
    out.pop();
    out
}
