//! Exact musical time: cycles as 64-bit rationals, and the few helpers every operator needs.

use num_integer::Integer;
use num_traits::{ToPrimitive, Zero};

/// A point in time, in cycles. Exact: no float ever enters time arithmetic.
pub type Time = num_rational::Rational64;

/// Builds a time from an integer number of cycles.
pub fn int(n: i64) -> Time {
    Time::from_integer(n)
}

/// Builds `n/d` cycles (`d` must not be zero).
pub fn frac(n: i64, d: i64) -> Time {
    Time::new(n, d)
}

/// The start of the cycle that contains `t` (floor).
#[inline]
pub fn sam(t: Time) -> Time {
    // Times are always normalised (positive denominator), so this is exact.
    Time::new_raw(t.numer().div_euclid(*t.denom()), 1)
}

/// The start of the next cycle.
#[inline]
pub fn next_sam(t: Time) -> Time {
    Time::new_raw(t.numer().div_euclid(*t.denom()) + 1, 1)
}

// Fast comparisons. `num_rational` compares by repeated division (and implements `==` with
// that comparison); with normalised `i64` ratios a cross multiplication in `i128` is exact and
// several times faster. The query hot paths (spans, concatenation) use these.

/// Orders two times.
#[inline]
pub fn cmp(a: &Time, b: &Time) -> std::cmp::Ordering {
    if a.denom() == b.denom() {
        return a.numer().cmp(b.numer());
    }
    (i128::from(*a.numer()) * i128::from(*b.denom())).cmp(&(i128::from(*b.numer()) * i128::from(*a.denom())))
}

/// `a < b`.
#[inline]
pub fn lt(a: &Time, b: &Time) -> bool {
    cmp(a, b) == std::cmp::Ordering::Less
}

/// `a == b` (normalised ratios are equal exactly when their parts are).
#[inline]
pub fn eq(a: &Time, b: &Time) -> bool {
    a.numer() == b.numer() && a.denom() == b.denom()
}

/// The smaller of two times.
#[inline]
pub fn min(a: Time, b: Time) -> Time {
    if lt(&b, &a) {
        b
    } else {
        a
    }
}

/// The larger of two times.
#[inline]
pub fn max(a: Time, b: Time) -> Time {
    if lt(&a, &b) {
        b
    } else {
        a
    }
}

/// Position of `t` within its cycle, in `[0, 1)`.
pub fn cycle_pos(t: Time) -> Time {
    t - sam(t)
}

/// The time as a float (for signals and random numbers, never for time arithmetic).
pub fn to_f64(t: Time) -> f64 {
    t.to_f64().unwrap_or(f64::NAN)
}

/// The integer cycle number of `t` (floor), saturating.
pub fn cycle_index(t: Time) -> i64 {
    sam(t).to_integer()
}

/// The largest denominator [`from_f64`] produces.
pub const MAX_DENOM: i64 = 1 << 20;

/// Converts a float to the nearest simple rational (continued fractions, denominator at most
/// [`MAX_DENOM`]), the way `fraction.js` turns `0.25` into `1/4` and `1/3` (as a float) into `1/3`.
/// Returns `None` for non-finite or out-of-range input.
pub fn from_f64(x: f64) -> Option<Time> {
    if !x.is_finite() || x.abs() > 1e12 {
        return None;
    }
    let neg = x < 0.0;
    let mut v = x.abs();
    // Convergents h/k of the continued fraction of v.
    let (mut h0, mut h1): (i64, i64) = (0, 1);
    let (mut k0, mut k1): (i64, i64) = (1, 0);
    let mut best = Time::from_integer(v.floor() as i64);
    for _ in 0..64 {
        let a = v.floor();
        if a > 1e15 {
            break;
        }
        let ai = a as i64;
        let h2 = ai.checked_mul(h1).and_then(|p| p.checked_add(h0));
        let k2 = ai.checked_mul(k1).and_then(|p| p.checked_add(k0));
        let (Some(h2), Some(k2)) = (h2, k2) else {
            break;
        };
        if k2 > MAX_DENOM {
            break;
        }
        best = Time::new(h2, k2);
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        let rest = v - a;
        if rest.abs() < 1e-12 || (to_f64(best) - x.abs()).abs() < 1e-12 {
            break;
        }
        v = 1.0 / rest;
    }
    Some(if neg { -best } else { best })
}

/// Least common multiple of the denominators of some times (used to align polymeters).
pub fn lcm_all(xs: impl IntoIterator<Item = i64>) -> Option<i64> {
    let mut acc: i64 = 1;
    for x in xs {
        if x.is_zero() {
            return None;
        }
        acc = acc.lcm(&x);
    }
    Some(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_simple_fractions() {
        assert_eq!(from_f64(0.25), Some(frac(1, 4)));
        assert_eq!(from_f64(1.0 / 3.0), Some(frac(1, 3)));
        assert_eq!(from_f64(-1.5), Some(frac(-3, 2)));
        assert_eq!(from_f64(0.1), Some(frac(1, 10)));
        assert_eq!(from_f64(f64::NAN), None);
    }

    #[test]
    fn sam_floors_negative_times() {
        assert_eq!(sam(frac(-1, 2)), int(-1));
        assert_eq!(cycle_pos(frac(-1, 4)), frac(3, 4));
    }
}
