//! Events ("haps"): a value, the span it occupies (`whole`) and the fragment a query saw (`part`).

use crate::span::Span;
use crate::time::Time;
use crate::value::Value;

/// One event. `whole` is `None` for continuous (signal) events; `part` is always within `whole`.
#[derive(Clone, Debug, PartialEq)]
pub struct Hap {
    /// The whole event's span, or `None` for a sample of a continuous signal.
    pub whole: Option<Span>,
    /// The part of the event inside the query.
    pub part: Span,
    /// The event's value.
    pub value: Value,
}

impl Hap {
    /// A new event.
    pub fn new(whole: Option<Span>, part: Span, value: Value) -> Self {
        Hap { whole, part, value }
    }

    /// True when this fragment contains the start of its event (a discrete event whose whole and
    /// part begin together). Only onsets trigger sounds.
    pub fn has_onset(&self) -> bool {
        matches!(self.whole, Some(w) if crate::time::eq(&w.begin, &self.part.begin))
    }

    /// The whole if there is one, else the part.
    pub fn whole_or_part(&self) -> Span {
        self.whole.unwrap_or(self.part)
    }

    /// The start of the whole (or of the part for continuous events).
    pub fn whole_begin(&self) -> Time {
        self.whole_or_part().begin
    }

    /// Applies `f` to both spans.
    pub fn with_span(&self, f: impl Fn(Span) -> Span) -> Hap {
        Hap::new(self.whole.map(&f), f(self.part), self.value.clone())
    }

    /// Applies `f` to every time of both spans.
    pub fn with_time(mut self, f: impl Fn(Time) -> Time) -> Hap {
        self.whole = self.whole.map(|w| w.with_time(&f));
        self.part = self.part.with_time(&f);
        self
    }

    /// The same event with another value.
    pub fn with_value(&self, value: Value) -> Hap {
        Hap::new(self.whole, self.part, value)
    }
}

/// Sorts events the way the conformance data does: by part begin, part end, whole begin
/// (continuous first), whole end, then value text.
pub fn sort_haps(haps: &mut [Hap]) {
    haps.sort_by(|a, b| {
        let key = |h: &Hap| (h.part.begin, h.part.end, h.whole.map(|w| w.begin), h.whole.map(|w| w.end));
        key(a).cmp(&key(b)).then_with(|| a.value.sort_key().cmp(&b.value.sort_key()))
    });
}
