//! Time operators: speed, shift, reverse, compress/zoom, `ply`, `segment`, `inside`, `iter`,
//! `palindrome`, `swing_by`, `off`, and the cycle choosers `first_of`/`last_of`.

use num_integer::Integer;
use num_traits::{One, Signed, Zero};

use crate::constructors::{fastcat, pure, silence, slowcat, stack};
use crate::hap::Hap;
use crate::ops::args::{time_of, with_arg, with_args, with_time_arg};
use crate::pattern::Pattern;
use crate::span::Span;
use crate::time::{int, sam, Time};

impl Pattern {
    /// Speeds up by `factor` (exact). Zero gives silence; a negative factor also reverses.
    pub fn fast(&self, factor: Time) -> Pattern {
        if factor.is_zero() {
            return silence();
        }
        if factor.is_negative() {
            return self.rev().fast(-factor);
        }
        if factor.is_one() {
            return self.clone();
        }
        self.with_query_time(move |t| t * factor).with_hap_time(move |t| t / factor)
    }

    /// Slows down by `factor`.
    pub fn slow(&self, factor: Time) -> Pattern {
        if factor.is_zero() {
            return silence();
        }
        self.fast(factor.recip())
    }

    /// Shifts earlier in time by `t` cycles.
    pub fn early(&self, t: Time) -> Pattern {
        if t.is_zero() {
            return self.clone();
        }
        self.with_query_time(move |x| x + t).with_hap_time(move |x| x - t)
    }

    /// Shifts later in time by `t` cycles.
    pub fn late(&self, t: Time) -> Pattern {
        self.early(-t)
    }

    /// `fast` with a patterned factor.
    pub fn fast_p(&self, factor: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(factor, move |f| p.fast(f))
    }

    /// `slow` with a patterned factor.
    pub fn slow_p(&self, factor: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(factor, move |f| p.slow(f))
    }

    /// `early` with a patterned offset.
    pub fn early_p(&self, t: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(t, move |x| p.early(x))
    }

    /// `late` with a patterned offset.
    pub fn late_p(&self, t: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(t, move |x| p.late(x))
    }

    /// Reverses each cycle.
    pub fn rev(&self) -> Pattern {
        let p = self.clone();
        Pattern::new(move |st| {
            let cycle = sam(st.span.begin);
            let next = cycle + int(1);
            let reflect = |s: Span| Span::new(cycle + next - s.end, cycle + next - s.begin);
            p.query_span(st, reflect(st.span)).into_iter().map(|h| h.with_span(reflect)).collect()
        })
        .split_queries()
    }

    /// Speeds up by `factor` but only plays the first cycle, leaving a gap (Strudel `fastGap`).
    pub fn fast_gap(&self, factor: Time) -> Pattern {
        if factor <= Time::zero() {
            return silence();
        }
        let p = self.clone();
        let one = Time::one();
        Pattern::new(move |st| {
            let cycle = sam(st.span.begin);
            let bpos = ((st.span.begin - cycle) * factor).min(one);
            let epos = ((st.span.end - cycle) * factor).min(one);
            if bpos >= one {
                return Vec::new();
            }
            let q = Span::new(cycle + bpos, cycle + epos);
            p.query_span(st, q)
                .into_iter()
                .map(|h| {
                    let begin = h.part.begin;
                    let end = h.part.end;
                    let c = sam(begin);
                    let bp = ((begin - c) / factor).min(one);
                    let ep = ((end - c) / factor).min(one);
                    let part = Span::new(c + bp, c + ep);
                    let whole = h
                        .whole
                        .map(|w| Span::new(part.begin - (begin - w.begin) / factor, part.end + (w.end - end) / factor));
                    Hap::new(whole, part, h.value)
                })
                .collect()
        })
        .split_queries()
    }

    /// Squeezes each cycle into `[b, e)` of the cycle, leaving silence around it.
    pub fn compress(&self, b: Time, e: Time) -> Pattern {
        let (zero, one) = (Time::zero(), Time::one());
        if b > e || b > one || e > one || b < zero || e < zero || b == e {
            return silence();
        }
        self.fast_gap((e - b).recip()).late(b)
    }

    /// Plays the span `[b, e)` of each cycle stretched to the whole cycle (Strudel `zoom`).
    pub fn zoom(&self, b: Time, e: Time) -> Pattern {
        if e <= b {
            return silence();
        }
        let d = e - b;
        self.with_query_span(move |s| s.with_cycle(|t| t * d + b))
            .with_hap_span(move |s| s.with_cycle(|t| (t - b) / d))
            .split_queries()
    }

    /// Like `zoom` but keeps the cycle structure: cycle `c` shows `[c + b, c + e)`
    /// stretched (Strudel `focus`).
    pub fn focus(&self, b: Time, e: Time) -> Pattern {
        if e <= b {
            return silence();
        }
        self.early(sam(b)).fast((e - b).recip()).late(b)
    }

    /// `focus` on a span.
    pub fn focus_span(&self, s: Span) -> Pattern {
        self.focus(s.begin, s.end)
    }

    /// Repeats each event `factor` times within its span.
    pub fn ply(&self, factor: Time) -> Pattern {
        self.squeeze_bind(move |v| pure(v.clone()).fast(factor))
    }

    /// `ply` with a patterned factor.
    pub fn ply_p(&self, factor: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(factor, move |f| p.ply(f))
    }

    /// Samples the pattern `n` times per cycle (turns signals into discrete events).
    pub fn segment(&self, n: Time) -> Pattern {
        self.struct_(&pure(true).fast(n))
    }

    /// `segment` with a patterned count.
    pub fn segment_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(n, move |x| p.segment(x))
    }

    /// Applies `f` "inside" a cycle slowed by `n`: `f(self.slow(n)).fast(n)`.
    pub fn inside(&self, n: Time, f: impl Fn(&Pattern) -> Pattern) -> Pattern {
        f(&self.slow(n)).fast(n)
    }

    /// Applies `f` "outside": `inside(1/n, f)`.
    pub fn outside(&self, n: Time, f: impl Fn(&Pattern) -> Pattern) -> Pattern {
        if n.is_zero() {
            return silence();
        }
        self.inside(n.recip(), f)
    }

    /// Shifts the pattern by `1/n` of a cycle more each cycle (starting unshifted).
    pub fn iter(&self, n: i64) -> Pattern {
        self.iter_dir(n, false)
    }

    /// `iter` backwards.
    pub fn iter_back(&self, n: i64) -> Pattern {
        self.iter_dir(n, true)
    }

    fn iter_dir(&self, n: i64, back: bool) -> Pattern {
        if n <= 0 {
            return silence();
        }
        let pats = (0..n)
            .map(|i| {
                let t = Time::new(i, n);
                if back {
                    self.late(t)
                } else {
                    self.early(t)
                }
            })
            .collect();
        slowcat(pats)
    }

    /// `iter` with a patterned count.
    pub fn iter_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_arg(n, move |v| match v.as_f64() {
            Some(x) if x.is_finite() => p.iter(x as i64),
            _ => silence(),
        })
    }

    /// `iter_back` with a patterned count.
    pub fn iter_back_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_arg(n, move |v| match v.as_f64() {
            Some(x) if x.is_finite() => p.iter_back(x as i64),
            _ => silence(),
        })
    }

    /// Plays forwards then backwards, alternating cycles.
    pub fn palindrome(&self) -> Pattern {
        self.last_of(2, |p| p.rev())
    }

    /// Cycle `c` of the result is cycle `c` of `pats[c mod n]` (floor modulo, so negative
    /// cycles work: deviation 3 in the crate docs).
    pub fn slowcat_prime(pats: Vec<Pattern>) -> Pattern {
        if pats.is_empty() {
            return silence();
        }
        let n = pats.len() as i64;
        Pattern::new(move |st| {
            let c = sam(st.span.begin).to_integer().mod_floor(&n);
            pats[c as usize].query_state(st)
        })
        .split_queries()
    }

    /// Applies `f` in the first of every `n` cycles (`every`).
    pub fn first_of(&self, n: i64, f: impl Fn(&Pattern) -> Pattern) -> Pattern {
        self.first_of_with(n, &f(self))
    }

    /// `first_of` given the already-transformed pattern.
    pub fn first_of_with(&self, n: i64, then: &Pattern) -> Pattern {
        if n <= 0 {
            return silence();
        }
        let mut pats = vec![self.clone(); n as usize];
        pats[0] = then.clone();
        Pattern::slowcat_prime(pats)
    }

    /// Applies `f` in the last of every `n` cycles.
    pub fn last_of(&self, n: i64, f: impl Fn(&Pattern) -> Pattern) -> Pattern {
        self.last_of_with(n, &f(self))
    }

    /// `last_of` given the already-transformed pattern.
    pub fn last_of_with(&self, n: i64, then: &Pattern) -> Pattern {
        if n <= 0 {
            return silence();
        }
        let mut pats = vec![self.clone(); n as usize];
        pats[n as usize - 1] = then.clone();
        Pattern::slowcat_prime(pats)
    }

    /// `first_of` with a patterned count and the transformed pattern given.
    pub fn first_of_p(&self, n: &Pattern, then: &Pattern) -> Pattern {
        let (p, t) = (self.clone(), then.clone());
        with_arg(n, move |v| match v.as_f64() {
            Some(x) if x.is_finite() => p.first_of_with(x as i64, &t),
            _ => silence(),
        })
    }

    /// `last_of` with a patterned count and the transformed pattern given.
    pub fn last_of_p(&self, n: &Pattern, then: &Pattern) -> Pattern {
        let (p, t) = (self.clone(), then.clone());
        with_arg(n, move |v| match v.as_f64() {
            Some(x) if x.is_finite() => p.last_of_with(x as i64, &t),
            _ => silence(),
        })
    }

    /// Delays events by a fraction of each `1/n` slot: `inside(n, late(seq(0, x/2)))`.
    pub fn swing_by(&self, x: &Pattern, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_args(&[x.clone(), n.clone()], move |v| {
            let (Some(x), Some(n)) = (v[0].as_f64(), time_of(&v[1])) else {
                return silence();
            };
            if n.is_zero() {
                return silence();
            }
            let shift = fastcat(vec![pure(0.0), pure(x / 2.0)]);
            p.inside(n, |q| q.late_p(&shift))
        })
    }

    /// Stacks the pattern with `then`, which the caller built as `f(self.late(t))` (`off`).
    pub fn off_with(&self, then: &Pattern) -> Pattern {
        stack(vec![self.clone(), then.clone()])
    }

    /// Stacks the pattern with `f` applied to it shifted later by `t`.
    pub fn off(&self, t: &Pattern, f: impl Fn(&Pattern) -> Pattern) -> Pattern {
        self.off_with(&f(&self.late_p(t)))
    }

    /// Repeats each cycle `n` times: cycles `0..n` all play cycle 0, and so on.
    pub fn repeat_cycles(&self, n: i64) -> Pattern {
        if n <= 0 {
            return silence();
        }
        let p = self.clone();
        Pattern::new(move |st| {
            let cycle = sam(st.span.begin);
            let source = (cycle / int(n)).floor();
            let delta = cycle - source;
            p.query_span(st, st.span.with_time(|t| t - delta)).into_iter().map(|h| h.with_time(|t| t + delta)).collect()
        })
        .split_queries()
    }
}
