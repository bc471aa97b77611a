//! Operators that cut and re-time cycles: `linger`, `ribbon` (via `restart`), `press`/`press_by`,
//! `hurry`, `euclid_legato`, `bite`, `inv`, and `polymeter`.

use crate::constructors::{pure, silence, stack, timecat};
use crate::hap::Hap;
use crate::ops::args::{time_of, with_args, with_time_arg};
use crate::ops::structure::euclid_bools;
use crate::pattern::Pattern;
use crate::time::{cycle_pos, int, Time};
use crate::value::Value;

impl Pattern {
    /// Repeats the first `t` of each cycle to fill it; a negative `t` takes the last `|t|`
    /// (Strudel `linger`).
    pub fn linger(&self, t: Time) -> Pattern {
        use num_traits::{Signed, Zero};
        if t.is_zero() {
            silence()
        } else if t.is_negative() {
            self.zoom(t + int(1), int(1)).slow(-t)
        } else {
            self.zoom(int(0), t).slow(t)
        }
    }

    /// `linger` with a patterned fraction.
    pub fn linger_p(&self, t: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(t, move |x| p.linger(x))
    }

    /// Restarts the pattern (from its cycle 0) at each truthy onset of `trigger` (Strudel
    /// `restart`).
    pub fn restart(&self, trigger: &Pattern) -> Pattern {
        let (p, trig) = (self.clone(), trigger.clone());
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for outer in trig.query_state(st) {
                let Some(ow) = outer.whole else { continue };
                if !outer.value.truthy() {
                    continue;
                }
                for inner in p.late(ow.begin).query_state(st) {
                    let whole = match inner.whole {
                        Some(iw) => match iw.intersection(&ow) {
                            Some(x) => Some(x),
                            None => continue,
                        },
                        None => None,
                    };
                    let Some(part) = inner.part.intersection(&outer.part) else { continue };
                    out.push(Hap::new(whole, part, inner.value));
                }
            }
            out
        })
    }

    /// Loops `cycles` cycles starting at cycle `offset` (Strudel `ribbon`).
    pub fn ribbon(&self, offset: Time, cycles: Time) -> Pattern {
        self.early(offset).restart(&pure(1.0).slow(cycles))
    }

    /// `ribbon` with patterned arguments.
    pub fn ribbon_p(&self, offset: &Pattern, cycles: &Pattern) -> Pattern {
        let p = self.clone();
        with_args(&[offset.clone(), cycles.clone()], move |v| match (time_of(&v[0]), time_of(&v[1])) {
            (Some(o), Some(c)) => p.ribbon(o, c),
            _ => silence(),
        })
    }

    /// Shifts each event `r` of the way into its span, compressing it (Strudel `pressBy`).
    pub fn press_by(&self, r: Time) -> Pattern {
        self.squeeze_bind(move |v| pure(v.clone()).compress(r, int(1)))
    }

    /// `press_by` with a patterned ratio.
    pub fn press_by_p(&self, r: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(r, move |x| p.press_by(x))
    }

    /// Syncopates: each event starts halfway into its span (Strudel `press`).
    pub fn press(&self) -> Pattern {
        self.press_by(Time::new(1, 2))
    }

    /// Speeds up the pattern and multiplies `speed` by the same factor (Strudel `hurry`).
    pub fn hurry(&self, r: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(r, move |f| {
            let x = crate::time::to_f64(f);
            p.fast(f).mul(&pure(Value::control("speed", Value::Num(x))))
        })
    }

    /// Swaps true and false (Strudel `inv`; any value becomes the negation of its truthiness).
    pub fn inv(&self) -> Pattern {
        self.fmap(|v| Value::Bool(!v.truthy()))
    }

    /// Euclidean rhythm where each pulse lasts until the next (Strudel `euclidLegatoRot`).
    pub fn euclid_legato(&self, pulses: i64, steps: i64, rotation: i64) -> Pattern {
        if pulses < 1 || steps <= 0 || steps > 1 << 16 {
            return silence();
        }
        // Each onset holds until the next; the rhythm (which starts with an onset) and the
        // pattern are then shifted together by the rotation, as Strudel does.
        let bools = euclid_bools(pulses, steps, 0);
        let mut parts: Vec<(Time, Pattern)> = Vec::new();
        for b in bools {
            if b.truthy() {
                parts.push((int(1), pure(true)));
            } else if let Some(last) = parts.last_mut() {
                last.0 += int(1);
            }
        }
        self.struct_(&timecat(parts)).late(Time::new(rotation, steps))
    }

    /// `euclid_legato` with patterned arguments.
    pub fn euclid_legato_p(&self, pulses: &Pattern, steps: &Pattern, rotation: &Pattern) -> Pattern {
        let p = self.clone();
        with_args(&[pulses.clone(), steps.clone(), rotation.clone()], move |v| {
            let ints: Option<Vec<i64>> =
                v.iter().map(|x| x.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)).collect();
            match ints.as_deref() {
                Some([k, n, r]) => p.euclid_legato(*k, *n, *r),
                _ => silence(),
            }
        })
    }

    /// Cuts each cycle into `n` slices and plays them in the order of `indices`, each index
    /// event squeezed with its slice (Strudel `bite`).
    pub fn bite(&self, n: &Pattern, indices: &Pattern) -> Pattern {
        let p = self.clone();
        let slices = indices.app_left(n, |i, n| {
            let mut m = std::collections::BTreeMap::new();
            m.insert("i".to_string(), i.clone());
            m.insert("n".to_string(), n.clone());
            Some(Value::Map(m))
        });
        slices.squeeze_bind(move |v| {
            let Value::Map(m) = v else { return silence() };
            let (Some(i), Some(n)) = (m.get("i").and_then(time_of), m.get("n").and_then(time_of)) else {
                return silence();
            };
            if n <= int(0) {
                return silence();
            }
            let a = cycle_pos(i / n);
            p.zoom(a, a + n.recip())
        })
    }
}

/// Layers aligned by step: each `(pattern, steps)` is sped up so that `steps` of it fill
/// `lcm(steps)` steps per cycle (Strudel `polymeter`).
pub fn polymeter(layers: Vec<(Pattern, i64)>) -> Pattern {
    let layers: Vec<(Pattern, i64)> = layers.into_iter().filter(|(_, s)| *s > 0).collect();
    // The common step count, or silence when it would not fit (huge, coprime step counts).
    let mut steps: i64 = 1;
    for (_, s) in &layers {
        let g = num_integer::gcd(steps, *s);
        match (steps / g).checked_mul(*s) {
            Some(l) if l <= 1 << 20 => steps = l,
            _ => return silence(),
        }
    }
    stack(layers.into_iter().map(|(p, s)| p.fast(Time::new(steps, s))).collect())
}

/// `polymeter` with a given number of steps per cycle (the mini-notation's `{...}%steps`).
pub fn polymeter_steps(steps: Time, layers: Vec<(Pattern, i64)>) -> Pattern {
    stack(layers.into_iter().filter(|(_, s)| *s > 0).map(|(p, s)| p.fast(steps / int(s))).collect())
}
