//! Continuous patterns (signals) sampled at the start of each query, as in Strudel: `sine`,
//! `cosine`, `saw`, `isaw`, `tri`, `square`, `rand`, `irand`, plus `run`.

use crate::constructors::{fastcat, signal};
use crate::ops::args::with_num_arg;
use crate::pattern::Pattern;
use crate::random::time_to_rand;
use crate::time::{frac, int, to_f64};
use crate::value::Value;

fn unit(f: fn(f64) -> f64) -> Pattern {
    signal(move |t, _| Value::Num(f(to_f64(t))))
}

fn js_mod(a: f64, b: f64) -> f64 {
    a % b
}

/// A sine wave from 0 to 1, period one cycle, starting at 0.5.
pub fn sine() -> Pattern {
    unit(|t| ((std::f64::consts::PI * 2.0 * t).sin() + 1.0) / 2.0)
}

/// `sine` a quarter cycle earlier.
pub fn cosine() -> Pattern {
    sine().early(frac(1, 4))
}

/// A ramp from 0 up to 1 each cycle.
pub fn saw() -> Pattern {
    unit(|t| js_mod(t, 1.0))
}

/// A ramp from 1 down to 0 each cycle.
pub fn isaw() -> Pattern {
    unit(|t| 1.0 - js_mod(t, 1.0))
}

/// A triangle: up then down each cycle.
pub fn tri() -> Pattern {
    fastcat(vec![saw(), isaw()])
}

/// 0 for the first half of each cycle, 1 for the second.
pub fn square() -> Pattern {
    unit(|t| js_mod(t * 2.0, 2.0).floor())
}

/// Random numbers in `[0, 1)`, a pure function of time (and of `seed`).
pub fn rand() -> Pattern {
    signal(|t, st| Value::Num(time_to_rand(to_f64(t) + st.seed)))
}

/// Random integers in `[0, n)`.
pub fn irand_n(n: f64) -> Pattern {
    rand().fmap(move |v| Value::Num((v.as_f64().unwrap_or(0.0) * n).trunc()))
}

/// Random integers in `[0, n)` with a patterned `n`.
pub fn irand(n: &Pattern) -> Pattern {
    with_num_arg(n, irand_n)
}

/// `0 1 .. n-1` in one cycle.
pub fn run(n: i64) -> Pattern {
    if n <= 0 {
        return crate::constructors::silence();
    }
    saw().range_num(0.0, n as f64).fmap(|v| Value::Num(v.as_f64().unwrap_or(0.0).round())).segment(int(n))
}

/// `run` with a patterned count.
pub fn run_p(n: &Pattern) -> Pattern {
    with_num_arg(n, |x| run(x as i64))
}

/// Smooth noise in `[0, 1)`: Strudel's `perlin`, interpolating the random values at integer
/// times with a smootherstep.
pub fn perlin() -> Pattern {
    signal(|t, _| {
        let t = to_f64(t);
        let ta = t.floor();
        let x = t - ta;
        let smoother = 6.0 * x.powi(5) - 15.0 * x.powi(4) + 10.0 * x.powi(3);
        let (a, b) = (time_to_rand(ta), time_to_rand(ta + 1.0));
        Value::Num(a + smoother * (b - a))
    })
}

impl Pattern {
    /// Scales values from `[-1, 1]` to `[lo, hi]` (Strudel `range2`).
    pub fn range2(&self, lo: &Pattern, hi: &Pattern) -> Pattern {
        self.fmap(|v| Value::Num((v.as_f64().unwrap_or(0.0) + 1.0) / 2.0)).range(lo, hi)
    }

    /// Scales values from `[0, 1]` to `[lo, hi]` exponentially (Strudel `rangex`).
    pub fn rangex(&self, lo: &Pattern, hi: &Pattern) -> Pattern {
        self.range(&lo.fmap(ln), &hi.fmap(ln)).fmap(|v| Value::Num(v.as_f64().unwrap_or(f64::NAN).exp()))
    }
}

fn ln(v: &Value) -> Value {
    Value::Num(v.as_f64().unwrap_or(f64::NAN).ln())
}
