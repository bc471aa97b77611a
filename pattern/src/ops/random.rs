//! Random operators: `degrade_by`, `undegrade_by`, `sometimes_by`, random choice, `seed`.

use crate::constructors::{silence, stack};
use crate::ops::args::with_num_arg;
use crate::pattern::Pattern;
use crate::signals::rand;
use crate::value::Value;

impl Pattern {
    /// Keeps events where `with` (a pattern of numbers in `[0, 1)`) is at least `x`. Using `>=`
    /// rather than Strudel's `>` makes `degrade_by(0)` keep every event (deviation 1).
    pub fn degrade_by_with(&self, with: &Pattern, x: f64) -> Pattern {
        let keep = with.filter_values(move |v| v.as_f64().is_some_and(|r| r >= x));
        self.app_left(&keep, |a, _| Some(a.clone()))
    }

    /// Removes each event with probability `x`.
    pub fn degrade_by(&self, x: f64) -> Pattern {
        self.degrade_by_with(&rand(), x)
    }

    /// Keeps the events where `1 - r > x` for the random number `r` (Strudel `undegradeBy`):
    /// `undegrade_by(1 - x)` is the complement of `degrade_by(x)`.
    pub fn undegrade_by(&self, x: f64) -> Pattern {
        let keep = rand().filter_values(move |v| v.as_f64().is_some_and(|r| 1.0 - r > x));
        self.app_left(&keep, |a, _| Some(a.clone()))
    }

    /// `degrade_by` with a patterned amount.
    pub fn degrade_by_p(&self, x: &Pattern) -> Pattern {
        let p = self.clone();
        with_num_arg(x, move |x| p.degrade_by(x))
    }

    /// `undegrade_by` with a patterned amount.
    pub fn undegrade_by_p(&self, x: &Pattern) -> Pattern {
        let p = self.clone();
        with_num_arg(x, move |x| p.undegrade_by(x))
    }

    /// Uses `then` (the caller's `f(self)`) for events picked with probability `x`, `self`
    /// for the others (Strudel `sometimesBy`).
    pub fn sometimes_by_with(&self, x: &Pattern, then: &Pattern) -> Pattern {
        let (p, t) = (self.clone(), then.clone());
        x.inner_bind(move |v| match v.as_f64() {
            Some(x) if x.is_finite() => stack(vec![p.degrade_by(x), t.undegrade_by(1.0 - x)]),
            _ => silence(),
        })
    }

    /// Strudel's `sometimesBy(x, f)` exactly: `then` is `f(self.undegrade_by(1 - x))`, so `f`
    /// sees the events it will keep (what matters when `f` moves events in time).
    pub fn sometimes_by_applied(&self, x: f64, then: &Pattern) -> Pattern {
        // Strudel joins over `pure(x)`, which cuts events at cycle boundaries: so does kr.
        let both = stack(vec![self.degrade_by(x), then.clone()]);
        crate::constructors::pure(x).inner_bind(move |_| both.clone())
    }

    /// Sets the random seed for everything in this pattern (Strudel `seed`).
    pub fn seed(&self, n: f64) -> Pattern {
        self.with_seed(n)
    }

    /// `seed` with a patterned seed.
    pub fn seed_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_num_arg(n, move |n| p.seed(n))
    }
}

/// Picks one of `pats` each cycle using `chooser` (numbers in `[0, 1)`), structure from the
/// chosen pattern (Strudel `chooseInWith`).
pub fn choose_in_with(chooser: &Pattern, pats: Vec<Pattern>) -> Pattern {
    if pats.is_empty() {
        return silence();
    }
    let n = pats.len();
    chooser.inner_bind(move |v: &Value| {
        let r = v.as_f64().unwrap_or(0.0) * n as f64;
        let i = (r.floor().max(0.0) as usize).min(n - 1);
        pats[i].clone()
    })
}
