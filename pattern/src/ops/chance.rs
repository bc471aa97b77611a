//! Random choices per cycle or per slice: `some_cycles_by`, `shuffle`, `scramble`, weighted
//! choice (`wchoose_cycles`), with Strudel's random numbers.

use crate::constructors::{signal, silence, stack};
use crate::ops::args::with_num_arg;
use crate::pattern::Pattern;
use crate::random::time_to_rands;
use crate::signals::{irand_n, rand};
use crate::time::{cycle_pos, int, sam, to_f64, Time};
use crate::value::Value;

impl Pattern {
    /// `then` (= `f(self)`) in whole cycles picked with probability `x`, `self` in the others
    /// (Strudel `someCyclesBy`).
    pub fn some_cycles_by_with(&self, x: &Pattern, then: &Pattern) -> Pattern {
        let (p, t) = (self.clone(), then.clone());
        with_num_arg(x, move |x| {
            let per_cycle = rand().segment(int(1));
            let inverse = rand().fmap(|v| Value::Num(1.0 - v.as_f64().unwrap_or(0.0))).segment(int(1));
            stack(vec![p.degrade_by_with(&per_cycle, x), t.degrade_by_with(&inverse, 1.0 - x)])
        })
    }

    /// The cycles `some_cycles_by(x, f)` gives to `f` (Strudel applies `f` to these).
    pub fn some_cycles_base(&self, x: f64) -> Pattern {
        let inverse = rand().fmap(|v| Value::Num(1.0 - v.as_f64().unwrap_or(0.0))).segment(int(1));
        self.degrade_by_with(&inverse, 1.0 - x)
    }

    /// Strudel's `someCyclesBy(x, f)` exactly: `then` is `f(self.some_cycles_base(x))`.
    pub fn some_cycles_by_applied(&self, x: f64, then: &Pattern) -> Pattern {
        // Strudel joins over `pure(x)`, which cuts events at cycle boundaries: so does kr.
        let both = stack(vec![self.degrade_by_with(&rand().segment(int(1)), x), then.clone()]);
        crate::constructors::pure(x).inner_bind(move |_| both.clone())
    }

    /// Plays the `n` slices of each cycle in the order given by `indices` (slice numbers),
    /// each slice at its own cycle (Strudel `_rearrangeWith`).
    fn rearrange_with(&self, indices: &Pattern, n: i64) -> Pattern {
        if n <= 0 || n > 1 << 12 {
            return silence();
        }
        let slices: Vec<Pattern> =
            (0..n).map(|i| self.zoom(Time::new(i, n), Time::new(i + 1, n)).repeat_cycles(n).fast(int(n))).collect();
        indices.inner_bind(move |v| {
            let i = v.as_f64().unwrap_or(0.0);
            if i.is_finite() && i >= 0.0 && (i as usize) < slices.len() {
                slices[i as usize].clone()
            } else {
                silence()
            }
        })
    }

    /// Plays the `n` slices of each cycle in a random order, each once (Strudel `shuffle`).
    pub fn shuffle(&self, n: i64) -> Pattern {
        self.rearrange_with(&randrun(n), n)
    }

    /// Plays `n` slices picked at random (with repeats) each cycle (Strudel `scramble`).
    pub fn scramble(&self, n: i64) -> Pattern {
        self.rearrange_with(&irand_n(n as f64).segment(int(n)), n)
    }

    /// `shuffle` with a patterned count.
    pub fn shuffle_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_num_arg(n, move |n| p.shuffle(n as i64))
    }

    /// `scramble` with a patterned count.
    pub fn scramble_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_num_arg(n, move |n| p.scramble(n as i64))
    }
}

/// A random permutation of `0..n` each cycle, one number per `1/n` (Strudel `randrun`).
pub fn randrun(n: i64) -> Pattern {
    if n <= 0 || n > 1 << 12 {
        return silence();
    }
    let nu = n as usize;
    signal(move |t: Time, _| {
        let rands = time_to_rands(to_f64(sam(t)) + 0.5, nu);
        let mut order: Vec<usize> = (0..nu).collect();
        order.sort_by(|a, b| rands[*a].total_cmp(&rands[*b]));
        let i = (to_f64(cycle_pos(t)) * n as f64).floor() as usize % nu;
        Value::Num(order[i] as f64)
    })
    .segment(int(n))
}

/// Picks one pattern per cycle at random, pattern `i` with probability proportional to
/// `weights[i]` (Strudel `wchooseCycles`/`wrandcat`).
pub fn wchoose_cycles(pairs: Vec<(Pattern, f64)>) -> Pattern {
    let total: f64 = pairs.iter().map(|(_, w)| w.max(0.0)).sum();
    if pairs.is_empty() || total <= 0.0 || !total.is_finite() {
        return silence();
    }
    let mut acc = 0.0;
    let cumulative: Vec<(Pattern, f64)> = pairs
        .into_iter()
        .map(|(p, w)| {
            acc += w.max(0.0);
            (p, acc)
        })
        .collect();
    rand().segment(int(1)).inner_bind(move |v| {
        let find = total * v.as_f64().unwrap_or(0.0);
        cumulative.iter().find(|(_, c)| *c > find).map_or_else(silence, |(p, _)| p.clone())
    })
}
