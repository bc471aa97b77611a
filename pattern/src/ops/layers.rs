//! Conditional and layering operators (Strudel's `when`, `chunk`, `within`, `brak`, `superimpose`,
//! `layer`, `echo`/`stut`, `ply_with`). Operators that take a function in Strudel take the
//! already-transformed pattern here (`then`), computed by the caller exactly as Strudel computes
//! it (each method documents which pattern `f` must be applied to), so that the pattern IR can
//! store them without closures.

use crate::constructors::{fastcat, pure, silence, slowcat, stack};
use crate::hap::Hap;
use crate::ops::args::{time_of, with_arg};
use crate::pattern::Pattern;
use crate::span::Span;
use crate::time::{cycle_pos, int, Time};

impl Pattern {
    /// `then` where `on` is truthy, `self` elsewhere (Strudel `when`; `then` is `f(self)`).
    pub fn when_with(&self, on: &Pattern, then: &Pattern) -> Pattern {
        let (p, t) = (self.clone(), then.clone());
        with_arg(on, move |v| if v.truthy() { t.clone() } else { p.clone() })
    }

    /// The base of `chunk(n, f)`: `f` must be applied to this pattern (each cycle repeated `n`
    /// times, or `self` for `fast_chunk`).
    pub fn chunk_base(&self, n: i64, fast: bool) -> Pattern {
        if fast {
            self.clone()
        } else {
            self.repeat_cycles(n)
        }
    }

    /// Strudel `chunk`/`chunk_back`/`fast_chunk`: cycle `c` applies `f` to the `c mod n`-th
    /// `1/n` of the cycle. `then` is `f(self.chunk_base(n, fast))`.
    pub fn chunk_with(&self, n: i64, then: &Pattern, back: bool, fast: bool) -> Pattern {
        if n <= 0 || n > 1 << 16 {
            return silence();
        }
        let mut bools = vec![pure(false); n as usize];
        bools[0] = pure(true);
        let binary = fastcat(bools);
        // Strudel shifts the window forwards with `iter_back` (and backwards with `iter`).
        let binary = if back { binary.iter(n) } else { binary.iter_back(n) };
        self.chunk_base(n, fast).when_with(&binary, then)
    }

    /// Strudel `within(a, b, f)`: `then` (= `f(self.within_inside(a, b))`) for events starting in
    /// `[a, b]` of their cycle, stacked with the other events unchanged.
    pub fn within_with(&self, a: f64, b: f64, then: &Pattern) -> Pattern {
        stack(vec![then.clone(), self.within_outside(a, b)])
    }

    /// The events whose onset is within `[a, b]` of the cycle (what `within` transforms).
    pub fn within_inside(&self, a: f64, b: f64) -> Pattern {
        self.filter_haps(move |h| {
            let pos = crate::time::to_f64(cycle_pos(h.whole_begin()));
            pos >= a && pos <= b
        })
    }

    fn within_outside(&self, a: f64, b: f64) -> Pattern {
        self.filter_haps(move |h| {
            let pos = crate::time::to_f64(cycle_pos(h.whole_begin()));
            pos < a || pos > b
        })
    }

    /// Every other cycle plays twice as fast, squashed into the first half and shifted by a
    /// quarter cycle (Strudel `brak`).
    pub fn brak(&self) -> Pattern {
        let then = fastcat(vec![self.clone(), silence()]).late(Time::new(1, 4));
        self.when_with(&slowcat(vec![pure(false), pure(true)]), &then)
    }

    /// `self` stacked with the given transformed copies (Strudel `superimpose`; each is `f(self)`).
    pub fn superimpose_with(&self, thens: &[Pattern]) -> Pattern {
        let mut all = vec![self.clone()];
        all.extend(thens.iter().cloned());
        stack(all)
    }

    /// The copies of `echo`/`stut`: copy `i` is `self.late(time * i)` with `gain` times
    /// `feedback^i` set (Strudel `echo(times, time, feedback)`).
    pub fn echo(&self, times: i64, time: Time, feedback: f64) -> Pattern {
        if times <= 0 || times > 1 << 12 {
            return silence();
        }
        stack(
            (0..times)
                .map(|i| {
                    let g = feedback.powi(i32::try_from(i).unwrap_or(i32::MAX));
                    self.late(time * int(i)).set_control("gain", &pure(g))
                })
                .collect(),
        )
    }

    /// `echo` with patterned arguments (`times`, `time`, `feedback`).
    pub fn echo_p(&self, times: &Pattern, time: &Pattern, feedback: &Pattern) -> Pattern {
        let p = self.clone();
        crate::ops::args::with_args(&[times.clone(), time.clone(), feedback.clone()], move |v| {
            match (v[0].as_f64(), time_of(&v[1]), v[2].as_f64()) {
                (Some(n), Some(t), Some(fb)) if n.is_finite() && fb.is_finite() => p.echo(n as i64, t, fb),
                _ => silence(),
            }
        })
    }

    /// Strudel `plyWith(n, f)`: each event repeated `n` times in its span, copy `i` being `f`
    /// applied `i` times. `layers[i]` is `f` applied `i` times to `self` (`layers[0]` is `self`);
    /// copy `i` takes `layers[i]`'s event in the `i`-th of `n` slots of each event's whole. For
    /// an `f` that only changes values (as in Strudel's examples) this equals Strudel's
    /// `plyWith`; `f` changing time is applied to the whole pattern rather than to each event.
    pub fn ply_with_layers(layers: Vec<Pattern>) -> Pattern {
        let n = layers.len() as i64;
        if n == 0 {
            return silence();
        }
        Pattern::new(move |st| {
            let mut out = Vec::new();
            for (i, layer) in layers.iter().enumerate() {
                for h in layer.query_state(st) {
                    let Some(w) = h.whole else { continue };
                    let d = w.duration() / int(n);
                    let b = w.begin + d * int(i as i64);
                    let slot = Span::new(b, b + d);
                    if let Some(part) = slot.intersection(&h.part) {
                        out.push(Hap::new(Some(slot), part, h.value));
                    }
                }
            }
            out
        })
    }
}
