//! Arpeggios: the events sounding together (same whole and part) are gathered into a chord,
//! and an index pattern picks from it (Strudel `arp`).

use crate::hap::Hap;
use crate::pattern::Pattern;
use crate::value::Value;

/// JavaScript's `%` on a number (sign of the dividend), used for Strudel's `i % haps.length`.
fn js_index(i: f64, len: usize) -> Option<usize> {
    let r = i.trunc() % len as f64;
    (r >= 0.0 && r.is_finite()).then_some(r as usize)
}

impl Pattern {
    /// For each chord (events with equal whole and part), `indices` (queried over the chord's
    /// part, its structure kept) picks notes by position, wrapping (Strudel `arp`).
    pub fn arp(&self, indices: &Pattern) -> Pattern {
        let (p, idx) = (self.clone(), indices.clone());
        Pattern::new(move |st| {
            let mut groups: Vec<Vec<Hap>> = Vec::new();
            for h in p.query_state(st) {
                match groups.iter_mut().find(|g| g[0].whole == h.whole && g[0].part == h.part) {
                    Some(g) => g.push(h),
                    None => groups.push(vec![h]),
                }
            }
            let mut out = Vec::new();
            for g in groups {
                for ih in idx.query_span(st, g[0].part) {
                    let Some(i) = ih.value.as_f64().and_then(|i| js_index(i, g.len())) else { continue };
                    let value: Value = g[i].value.clone();
                    out.push(Hap::new(ih.whole, ih.part, value));
                }
            }
            out
        })
    }
}
