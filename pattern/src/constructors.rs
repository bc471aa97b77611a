//! Pattern constructors: `pure`, `silence`, signals' building blocks, and the concatenations
//! (`slowcat`/`cat`, `fastcat`/`seq`, `timecat`, `stack`).

use num_integer::Integer;
use num_traits::{Signed, Zero};

use crate::hap::Hap;
use crate::pattern::{Pattern, State};
use crate::span::Span;
use crate::time::{int, Time};
use crate::value::Value;

/// The empty pattern.
pub fn silence() -> Pattern {
    Pattern::new(|_| Vec::new())
}

/// One event per cycle, with the value `v`.
pub fn pure(v: impl Into<Value>) -> Pattern {
    let v = v.into();
    let marker = v.clone();
    Pattern::new(move |st| {
        st.span.cycles().into_iter().map(|s| Hap::new(Some(Span::whole_cycle(s.begin)), s, v.clone())).collect()
    })
    .mark_pure(marker)
}

/// A continuous pattern with a constant value.
pub fn steady(v: impl Into<Value>) -> Pattern {
    let v = v.into();
    Pattern::new(move |st| vec![Hap::new(None, st.span, v.clone())])
}

/// A continuous pattern sampling `f(time, state)` at the start of each query.
pub fn signal(f: impl Fn(Time, &State) -> Value + Send + Sync + 'static) -> Pattern {
    Pattern::new(move |st| vec![Hap::new(None, st.span, f(st.span.begin, st))])
}

/// Stacks patterns: all their events at once.
pub fn stack(pats: Vec<Pattern>) -> Pattern {
    match pats.len() {
        0 => silence(),
        1 => pats.into_iter().next().unwrap_or_else(silence),
        _ => Pattern::new(move |st| pats.iter().flat_map(|p| p.query_state(st)).collect()),
    }
}

/// One pattern per cycle, in turn (`cat`). Each pattern keeps its own cycle count: the fourth
/// cycle of three concatenated patterns is the second cycle of the first.
pub fn slowcat(pats: Vec<Pattern>) -> Pattern {
    match pats.len() {
        0 => silence(),
        1 => pats.into_iter().next().unwrap_or_else(silence),
        n => {
            let n = n as i64;
            Pattern::new(move |st: &State| {
                let begin = st.span.begin;
                let cyc = begin.floor();
                let idx = cyc.to_integer().mod_floor(&n);
                let pat = &pats[idx as usize];
                let offset = cyc - (begin / int(n)).floor();
                pat.query_span(st, st.span.with_time(|t| t - offset))
                    .into_iter()
                    .map(|h| h.with_time(|t| t + offset))
                    .collect()
            })
            .split_queries()
        }
    }
}

/// All patterns squeezed into one cycle, each taking an equal share (`seq`, `fastcat`).
///
/// Exactly `slowcat(pats).fast(n)`, computed in one step: step `k` (in fast time) plays
/// pattern `k mod n`, shifted so that it plays its own cycle `floor(k / n)`.
pub fn fastcat(pats: Vec<Pattern>) -> Pattern {
    let n = pats.len() as i64;
    if n <= 1 {
        return slowcat(pats);
    }
    let nt = int(n);
    // A step that is a constant (`pure`, as every word of a mini-notation sequence is) gets its
    // event built directly: step `k` is the whole `[k/n, (k+1)/n)`, the part that whole cut
    // by the query. Same events as querying `pure` and mapping time, without the rational
    // arithmetic of the round trip (the query hot path of every sequence).
    let consts: Vec<Option<Value>> = pats.iter().map(|p| p.as_pure().cloned()).collect();
    Pattern::new(move |st: &State| {
        let fb = st.span.begin * nt;
        let fe = st.span.end * nt;
        let mut out = Vec::new();
        for sub in Span::new(fb, fe).cycles() {
            let k = crate::time::sam(sub.begin);
            let ki = k.to_integer();
            if let Some(v) = &consts[ki.mod_floor(&n) as usize] {
                crate::budget::spend(3);
                let whole = Span::new(Time::new(ki, n), Time::new(ki + 1, n));
                let begin = if crate::time::eq(&sub.begin, &k) { whole.begin } else { sub.begin / nt };
                let end = if crate::time::eq(&sub.end, &(k + int(1))) { whole.end } else { sub.end / nt };
                out.push(Hap::new(Some(whole), Span::new(begin, end), v.clone()));
                continue;
            }
            let offset = k - int(Integer::div_floor(&ki, &n));
            let pat = &pats[ki.mod_floor(&n) as usize];
            let q = Span::new(sub.begin - offset, sub.end - offset);
            out.extend(pat.query_span(st, q).into_iter().map(|h| h.with_time(|t| (t + offset) / nt)));
        }
        out
    })
}

/// Like `fastcat`, but each pattern takes the given share of the cycle.
pub fn timecat(parts: Vec<(Time, Pattern)>) -> Pattern {
    let total: Time = parts.iter().map(|(t, _)| *t).fold(Time::zero(), |a, b| a + b);
    if total.is_zero() || total.is_negative() {
        return silence();
    }
    let mut begin = Time::zero();
    let mut pats = Vec::new();
    for (w, p) in parts {
        if w.is_zero() || w.is_negative() {
            continue;
        }
        let end = begin + w;
        pats.push(p.compress(begin / total, end / total));
        begin = end;
    }
    stack(pats)
}
