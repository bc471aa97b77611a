//! Time spans `[begin, end)` and how queries split them into cycles.

use crate::time::{self, next_sam, sam, Time};

/// A half-open span of time `[begin, end)`, in cycles. A zero-width span is a point query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Inclusive start.
    pub begin: Time,
    /// Exclusive end.
    pub end: Time,
}

impl Span {
    /// A span from `begin` to `end`.
    pub fn new(begin: Time, end: Time) -> Self {
        Span { begin, end }
    }

    /// The length of the span.
    pub fn duration(&self) -> Time {
        self.end - self.begin
    }

    /// Splits the span at cycle boundaries. A zero-width span yields itself.
    pub fn cycles(&self) -> Vec<Span> {
        let mut out = Vec::new();
        if time::eq(&self.begin, &self.end) {
            out.push(*self);
            return out;
        }
        let mut b = self.begin;
        while time::lt(&b, &self.end) {
            crate::budget::spend(1);
            let e = time::min(next_sam(b), self.end);
            out.push(Span::new(b, e));
            b = e;
        }
        out
    }

    /// Applies `f` to both ends.
    pub fn with_time(&self, f: impl Fn(Time) -> Time) -> Span {
        Span::new(f(self.begin), f(self.end))
    }

    /// Applies `f` to the cycle positions, keeping the cycle (`sam`) of `begin`.
    pub fn with_cycle(&self, f: impl Fn(Time) -> Time) -> Span {
        let s = sam(self.begin);
        Span::new(s + f(self.begin - s), s + f(self.end - s))
    }

    /// The cycle-long span containing `begin`.
    pub fn whole_cycle(t: Time) -> Span {
        Span::new(sam(t), next_sam(t))
    }

    /// Intersection, as Strudel's `intersection`: `None` when the spans do not meet, and a
    /// zero-width result is dropped when it sits at the end of a non-zero-width span.
    pub fn intersection(&self, other: &Span) -> Option<Span> {
        let b = time::max(self.begin, other.begin);
        let e = time::min(self.end, other.end);
        if time::lt(&e, &b) {
            return None;
        }
        if time::eq(&b, &e) {
            if time::eq(&b, &self.end) && time::lt(&self.begin, &self.end) {
                return None;
            }
            if time::eq(&b, &other.end) && time::lt(&other.begin, &other.end) {
                return None;
            }
        }
        Some(Span::new(b, e))
    }

    /// Intersection that must exist (Strudel's `intersection_e`); `None` if empty.
    pub fn sect(&self, other: &Span) -> Option<Span> {
        self.intersection(other)
    }

    /// Whether `t` lies within `[begin, end)`.
    pub fn contains(&self, t: Time) -> bool {
        self.begin <= t && t < self.end
    }

    /// The midpoint.
    pub fn midpoint(&self) -> Time {
        (self.begin + self.end) / Time::from_integer(2)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}→{}", self.begin, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{frac, int};

    #[test]
    fn splits_at_cycles() {
        let s = Span::new(frac(1, 2), frac(5, 2));
        assert_eq!(
            s.cycles(),
            vec![Span::new(frac(1, 2), int(1)), Span::new(int(1), int(2)), Span::new(int(2), frac(5, 2))]
        );
    }

    #[test]
    fn point_intersection_at_end_is_empty() {
        let a = Span::new(int(0), int(1));
        let p = Span::new(int(1), int(1));
        assert_eq!(a.intersection(&p), None);
        let q = Span::new(int(0), int(0));
        assert_eq!(a.intersection(&q), Some(q));
    }
}
