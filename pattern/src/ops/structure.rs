//! Structure operators: `struct`, `mask`, and Euclidean rhythms (Strudel's Bjorklund).

use crate::constructors::{fastcat, pure, silence};
use crate::ops::args::with_args;
use crate::pattern::Pattern;
use crate::value::Value;

impl Pattern {
    /// Takes the structure (the events) of `bools`, keeping only the truthy ones, and the
    /// values of `self` (Strudel `struct`, i.e. `keepif.out`).
    pub fn struct_(&self, bools: &Pattern) -> Pattern {
        self.app_right(bools, |a, b| b.truthy().then(|| a.clone()))
    }

    /// Keeps the structure of `self`, only where `bools` is truthy (Strudel `mask`, i.e.
    /// `keepif.in`). Events are cut where the mask changes.
    pub fn mask(&self, bools: &Pattern) -> Pattern {
        self.app_left(bools, |a, b| b.truthy().then(|| a.clone()))
    }

    /// Euclidean rhythm: `pulses` hits spread over `steps`, rotated by `rotation` (Strudel's way).
    /// Negative `pulses` inverts the rhythm.
    pub fn euclid_rot(&self, pulses: i64, steps: i64, rotation: i64) -> Pattern {
        if steps <= 0 || steps > 1 << 16 || pulses.abs() > 1 << 16 {
            return silence();
        }
        let bools = euclid_bools(pulses, steps, rotation);
        self.struct_(&fastcat(bools.into_iter().map(pure).collect()))
    }

    /// `euclid_rot` with rotation 0.
    pub fn euclid(&self, pulses: i64, steps: i64) -> Pattern {
        self.euclid_rot(pulses, steps, 0)
    }

    /// Euclid with patterned pulses, steps and rotation.
    pub fn euclid_p(&self, pulses: &Pattern, steps: &Pattern, rotation: &Pattern) -> Pattern {
        let p = self.clone();
        with_args(&[pulses.clone(), steps.clone(), rotation.clone()], move |v| {
            let ints: Option<Vec<i64>> =
                v.iter().map(|x| x.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)).collect();
            match ints.as_deref() {
                Some([k, n, r]) => p.euclid_rot(*k, *n, *r),
                _ => silence(),
            }
        })
    }
}

/// The Bjorklund pattern of `pulses` over `steps` (Strudel's algorithm, so the same rotations).
pub fn bjorklund(pulses: i64, steps: i64) -> Vec<bool> {
    let inverted = pulses < 0;
    let ons = pulses.unsigned_abs().min(steps.max(0) as u64) as usize;
    let steps = steps.max(0) as usize;
    let offs = steps - ons;
    let mut counts = (ons, offs);
    let mut xs: Vec<Vec<bool>> = vec![vec![true]; ons];
    let mut ys: Vec<Vec<bool>> = vec![vec![false]; offs];
    while counts.0.min(counts.1) > 1 {
        let (o, f) = counts;
        // Pair the first min(o, f) sequences of both lists; the longer list's remainder becomes
        // the new second list.
        let rest = if o > f { xs.split_off(f) } else { ys.split_off(o) };
        xs = xs
            .into_iter()
            .zip(ys)
            .map(|(mut a, b)| {
                a.extend(b);
                a
            })
            .collect();
        ys = rest;
        counts = if o > f { (f, o - f) } else { (o, f - o) };
    }
    let mut out: Vec<bool> = xs.into_iter().chain(ys).flatten().collect();
    if inverted {
        out.iter_mut().for_each(|b| *b = !*b);
    }
    out
}

/// Bjorklund rotated by `rotation` steps (Strudel rotates right: `(3,8,2)` is `x.x..x..`).
pub fn euclid_bools(pulses: i64, steps: i64, rotation: i64) -> Vec<Value> {
    let mut b = bjorklund(pulses, steps);
    if !b.is_empty() {
        let r = rotation.rem_euclid(b.len() as i64) as usize;
        b.rotate_right(r);
    }
    b.into_iter().map(Value::Bool).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[bool]) -> String {
        b.iter().map(|x| if *x { 'x' } else { '.' }).collect()
    }

    #[test]
    fn bjorklund_patterns() {
        assert_eq!(s(&bjorklund(3, 8)), "x..x..x.");
        assert_eq!(s(&bjorklund(5, 8)), "x.xx.xx.");
        assert_eq!(s(&bjorklund(-3, 8)), ".xx.xx.x");
        assert_eq!(s(&bjorklund(0, 4)), "....");
        assert_eq!(s(&bjorklund(4, 4)), "xxxx");
    }
}
