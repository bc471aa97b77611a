//! The `Pattern` type: a function from a query (a span of cycles) to events, and the core
//! combinators every operator is built from (span/time mapping, `fmap`, applicative and monadic
//! joins), following Strudel's `pattern.mjs` semantics exactly.

use std::sync::Arc;

use crate::hap::Hap;
use crate::span::Span;
use crate::time::Time;
use crate::value::Value;

/// What a pattern is asked: a span, plus the random seed set by `seed` (Strudel's
/// `controls.randSeed`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct State {
    /// The span being queried.
    pub span: Span,
    /// Offset added to time by the random signals (`seed(n)`); 0 by default.
    pub seed: f64,
}

impl State {
    /// A query of `span` with the default seed.
    pub fn new(span: Span) -> Self {
        State { span, seed: 0.0 }
    }

    /// The same query over another span.
    pub fn with_span(&self, span: Span) -> Self {
        State { span, seed: self.seed }
    }
}

type QueryFn = dyn Fn(&State) -> Vec<Hap> + Send + Sync;

/// A pattern: an immutable, cheaply cloned function from a [`State`] to events.
#[derive(Clone)]
pub struct Pattern {
    q: Arc<QueryFn>,
    /// Set when the pattern is `pure(v)`: operators given a pure argument apply it directly
    /// instead of joining (Strudel's `__pure`), which avoids fragmenting events at cycles.
    pure: Option<Arc<Value>>,
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pattern { .. }")
    }
}

impl Pattern {
    /// A pattern from a query function.
    pub fn new(f: impl Fn(&State) -> Vec<Hap> + Send + Sync + 'static) -> Self {
        Pattern { q: Arc::new(f), pure: None }
    }

    /// Marks this pattern as the constant `v` (see [`Pattern::as_pure`]).
    pub(crate) fn mark_pure(mut self, v: Value) -> Self {
        self.pure = Some(Arc::new(v));
        self
    }

    /// The value, if this pattern is a plain `pure(v)`.
    pub fn as_pure(&self) -> Option<&Value> {
        self.pure.as_deref()
    }

    /// All events (and event fragments) that overlap `[begin, end)`, in no particular order.
    pub fn query(&self, begin: Time, end: Time) -> Vec<Hap> {
        self.query_state(&State::new(Span::new(begin, end)))
    }

    /// Queries with a full state.
    pub fn query_state(&self, state: &State) -> Vec<Hap> {
        crate::budget::spend(1);
        let haps = (self.q)(state);
        crate::budget::spend(haps.len() as u64);
        haps
    }

    /// Queries one span.
    pub fn query_span(&self, state: &State, span: Span) -> Vec<Hap> {
        self.query_state(&state.with_span(span))
    }

    /// Only the events that start within `[begin, end)`, sorted by onset: what a scheduler plays.
    pub fn onsets(&self, begin: Time, end: Time) -> Vec<Hap> {
        let mut v: Vec<Hap> = self.query(begin, end).into_iter().filter(Hap::has_onset).collect();
        crate::hap::sort_haps(&mut v);
        v
    }

    // --- span and time plumbing -------------------------------------------------------------

    /// Splits every query at cycle boundaries before answering it.
    pub fn split_queries(&self) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            let cycles = st.span.cycles();
            if cycles.len() == 1 {
                return p.query_state(st);
            }
            cycles.into_iter().flat_map(|s| p.query_span(st, s)).collect()
        })
    }

    /// Maps the query span before querying.
    pub fn with_query_span(&self, f: impl Fn(Span) -> Span + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| p.query_span(st, f(st.span)))
    }

    /// Maps both ends of the query span.
    pub fn with_query_time(&self, f: impl Fn(Time) -> Time + Send + Sync + 'static) -> Pattern {
        self.with_query_span(move |s| s.with_time(&f))
    }

    /// Maps the spans of every event.
    pub fn with_hap_span(&self, f: impl Fn(Span) -> Span + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| p.query_state(st).iter().map(|h| h.with_span(&f)).collect())
    }

    /// Maps every time of every event.
    pub fn with_hap_time(&self, f: impl Fn(Time) -> Time + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| p.query_state(st).into_iter().map(|h| h.with_time(&f)).collect())
    }

    /// Maps the list of events of each query.
    pub fn with_haps(&self, f: impl Fn(Vec<Hap>, &State) -> Vec<Hap> + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| f(p.query_state(st), st))
    }

    /// Maps every value.
    pub fn fmap(&self, f: impl Fn(&Value) -> Value + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            p.query_state(st)
                .into_iter()
                .map(|mut h| {
                    h.value = f(&h.value);
                    h
                })
                .collect()
        })
    }

    /// Keeps the events whose value passes `f`.
    pub fn filter_values(&self, f: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Pattern {
        self.filter_haps(move |h| f(&h.value))
    }

    /// Keeps the events that pass `f`.
    pub fn filter_haps(&self, f: impl Fn(&Hap) -> bool + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| p.query_state(st).into_iter().filter(|h| f(h)).collect())
    }

    /// Keeps only fragments that hold their event's onset.
    pub fn filter_onsets(&self) -> Pattern {
        self.filter_haps(Hap::has_onset)
    }

    /// Drops continuous events.
    pub fn discrete_only(&self) -> Pattern {
        self.filter_haps(|h| h.whole.is_some())
    }

    /// Sets the random seed seen by everything below (Strudel's `seed`).
    pub fn with_seed(&self, seed: f64) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| p.query_state(&State { span: st.span, seed }))
    }

    // --- applicative combination ------------------------------------------------------------

    /// Combines with `other`, structure from both sides (wholes intersect).
    pub fn app_both(
        &self,
        other: &Pattern,
        f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        let (a, b) = (self.clone(), other.clone());
        Pattern::new(move |st| {
            let ls = a.query_state(st);
            let rs = b.query_state(st);
            let mut out = Vec::new();
            for l in &ls {
                for r in &rs {
                    let Some(part) = l.part.intersection(&r.part) else {
                        continue;
                    };
                    let whole = match (l.whole, r.whole) {
                        (Some(x), Some(y)) => match x.intersection(&y) {
                            Some(w) => Some(w),
                            None => continue,
                        },
                        _ => None,
                    };
                    if let Some(v) = f(&l.value, &r.value) {
                        out.push(Hap::new(whole, part, v));
                    }
                }
            }
            out
        })
    }

    /// Combines with `other`, structure from the left (`self`): Strudel's `appLeft` / `op.in`.
    pub fn app_left(
        &self,
        other: &Pattern,
        f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        let (a, b) = (self.clone(), other.clone());
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for l in a.query_state(st) {
                for r in b.query_span(st, l.whole_or_part()) {
                    let Some(part) = l.part.intersection(&r.part) else {
                        continue;
                    };
                    if let Some(v) = f(&l.value, &r.value) {
                        out.push(Hap::new(l.whole, part, v));
                    }
                }
            }
            out
        })
    }

    /// Combines with `other`, structure from the right: Strudel's `appRight` / `op.out` — the
    /// same as `other.app_left(self)` with the arguments of `f` swapped back.
    pub fn app_right(
        &self,
        other: &Pattern,
        f: impl Fn(&Value, &Value) -> Option<Value> + Send + Sync + 'static,
    ) -> Pattern {
        other.app_left(self, move |r, l| f(l, r))
    }

    // --- monadic joins: a value chooses a pattern -------------------------------------------

    /// For each event of `self`, queries `f(value)` over that event's part; the resulting
    /// whole is chosen by `whole` from the outer and inner wholes.
    fn bind_whole(
        &self,
        whole: fn(Option<Span>, Option<Span>) -> Option<Option<Span>>,
        f: impl Fn(&Value) -> Pattern + Send + Sync + 'static,
    ) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for outer in p.query_state(st) {
                let inner_pat = f(&outer.value);
                for inner in inner_pat.query_span(st, outer.part) {
                    if let Some(w) = whole(outer.whole, inner.whole) {
                        out.push(Hap::new(w, inner.part, inner.value));
                    }
                }
            }
            out
        })
    }

    /// Strudel's `bind`/`join`: wholes intersect.
    pub fn bind(&self, f: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
        self.bind_whole(
            |a, b| match (a, b) {
                (Some(a), Some(b)) => a.intersection(&b).map(Some),
                _ => Some(None),
            },
            f,
        )
    }

    /// Strudel's `innerBind`/`innerJoin`: structure (wholes) from the inner patterns.
    pub fn inner_bind(&self, f: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
        self.bind_whole(|_, b| Some(b), f)
    }

    /// Strudel's `outerBind`/`outerJoin`: structure from the outer pattern; the inner pattern is
    /// sampled at the outer event's onset.
    pub fn outer_bind(&self, f: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for outer in p.query_state(st) {
                let inner_pat = f(&outer.value);
                let t = outer.whole_begin();
                for inner in inner_pat.query_span(st, Span::new(t, t)) {
                    out.push(Hap::new(outer.whole, outer.part, inner.value));
                }
            }
            out
        })
    }

    /// Strudel's `squeezeBind`/`squeezeJoin`: each inner pattern's cycle is squeezed into the
    /// outer event's whole.
    pub fn squeeze_bind(&self, f: impl Fn(&Value) -> Pattern + Send + Sync + 'static) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for outer in p.query_state(st) {
                let Some(w) = outer.whole else { continue };
                let inner = f(&outer.value).focus_span(w);
                for ih in inner.query_span(st, outer.part) {
                    let whole = match ih.whole {
                        Some(iw) => match iw.intersection(&w) {
                            Some(x) => Some(x),
                            None => continue,
                        },
                        None => None,
                    };
                    let Some(part) = ih.part.intersection(&outer.part) else {
                        continue;
                    };
                    out.push(Hap::new(whole, part, ih.value));
                }
            }
            out
        })
    }
}
