//! Sample slicing, as Strudel does it with the `begin`/`end`/`speed`/`unit` controls: `chop`,
//! `striate`, `slice`, `splice`, `loop_at`, `fit`. Values are control maps; a bare value `v`
//! counts as `{s: v}` (Strudel's `slice`).

use std::collections::BTreeMap;

use crate::constructors::{fastcat, pure, silence, slowcat};
use crate::ops::args::{with_arg, with_time_arg};
use crate::pattern::Pattern;
use crate::time::{int, to_f64, Time};
use crate::value::Value;

fn as_map(v: &Value) -> BTreeMap<String, Value> {
    match v {
        Value::Map(m) => m.clone(),
        other => BTreeMap::from([("s".to_string(), other.clone())]),
    }
}

fn num(m: &BTreeMap<String, Value>, k: &str) -> Option<f64> {
    m.get(k).and_then(Value::as_f64)
}

fn slice_map(b: f64, e: f64) -> Value {
    Value::Map(BTreeMap::from([("begin".to_string(), Value::Num(b)), ("end".to_string(), Value::Num(e))]))
}

impl Pattern {
    /// Cuts each event into `n` parts, each playing the matching part of the sample (within the
    /// event's own `begin`..`end`, if set) (Strudel `chop`).
    pub fn chop(&self, n: i64) -> Pattern {
        if n <= 0 || n > 1 << 12 {
            return silence();
        }
        self.squeeze_bind(move |v| {
            let o = as_map(v);
            let (b0, d) = match (num(&o, "begin"), num(&o, "end")) {
                (Some(b), Some(e)) => (b, e - b),
                _ => (0.0, 1.0),
            };
            fastcat(
                (0..n)
                    .map(|i| {
                        let mut m = o.clone();
                        let (b, e) = (i as f64 / n as f64, (i + 1) as f64 / n as f64);
                        m.insert("begin".to_string(), Value::Num(b0 + b * d));
                        m.insert("end".to_string(), Value::Num(b0 + e * d));
                        pure(Value::Map(m))
                    })
                    .collect(),
            )
        })
    }

    /// `chop` with a patterned count.
    pub fn chop_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_arg(n, move |v| v.as_f64().map_or_else(silence, |x| p.chop(x as i64)))
    }

    /// Plays the pattern `n` times per cycle, the `i`-th time with the `i`-th of `n` parts of
    /// each sample (Strudel `striate`).
    pub fn striate(&self, n: i64) -> Pattern {
        if n <= 0 || n > 1 << 12 {
            return silence();
        }
        let parts = slowcat((0..n).map(|i| pure(slice_map(i as f64 / n as f64, (i + 1) as f64 / n as f64))).collect());
        self.op(crate::value::Op::Set, &parts).fast(int(n))
    }

    /// `striate` with a patterned count.
    pub fn striate_p(&self, n: &Pattern) -> Pattern {
        let p = self.clone();
        with_arg(n, move |v| v.as_f64().map_or_else(silence, |x| p.striate(x as i64)))
    }

    /// Plays slice `i` (of `n`) of the sample for each event of `indices` (Strudel `slice`):
    /// values get `begin`, `end` and `_slices`.
    pub fn slice(&self, n: &Pattern, indices: &Pattern) -> Pattern {
        let (o, ip) = (self.clone(), indices.clone());
        n.inner_bind(move |nv| {
            let Some(n) = nv.as_f64().filter(|x| x.is_finite() && *x > 0.0) else { return silence() };
            let o = o.clone();
            ip.outer_bind(move |iv| {
                let Some(i) = iv.as_f64() else { return silence() };
                o.outer_bind(move |ov| {
                    let mut m = BTreeMap::from([
                        ("begin".to_string(), Value::Num(i / n)),
                        ("end".to_string(), Value::Num((i + 1.0) / n)),
                        ("_slices".to_string(), Value::Num(n)),
                    ]);
                    m.extend(as_map(ov));
                    pure(Value::Map(m))
                })
            })
        })
    }

    /// `slice`, with `speed` set so each slice fills its event (`unit` "c") (Strudel `splice`).
    pub fn splice(&self, n: &Pattern, indices: &Pattern) -> Pattern {
        self.slice(n, indices).with_haps(|haps, _| {
            haps.into_iter()
                .map(|mut h| {
                    let Value::Map(v) = &h.value else { return h };
                    let dur = h.whole.map_or(1.0, |w| to_f64(w.duration()));
                    let slices = num(v, "_slices").unwrap_or(1.0);
                    let speed = (1.0 / slices / dur) * num(v, "speed").unwrap_or(1.0);
                    let mut m = BTreeMap::from([
                        ("speed".to_string(), Value::Num(speed)),
                        ("unit".to_string(), Value::Str("c".to_string())),
                    ]);
                    m.extend(v.clone());
                    h.value = Value::Map(m);
                    h
                })
                .collect()
        })
    }

    /// Slows the pattern by `factor` and sets `speed` so a sample fills `factor` cycles at
    /// Strudel's default 0.5 cycles per second (Strudel `loopAt`).
    pub fn loop_at(&self, factor: Time) -> Pattern {
        if factor <= int(0) {
            return silence();
        }
        let speed = 1.0 / to_f64(factor) * 0.5;
        self.set_control("speed", &pure(speed)).set_control("unit", &pure("c")).slow(factor)
    }

    /// `loop_at` with a patterned factor.
    pub fn loop_at_p(&self, factor: &Pattern) -> Pattern {
        let p = self.clone();
        with_time_arg(factor, move |f| p.loop_at(f))
    }

    /// Sets `speed` so each sample (or its `begin`..`end` part) fills its event (Strudel `fit`).
    pub fn fit(&self) -> Pattern {
        self.with_haps(|haps, _| {
            haps.into_iter()
                .map(|mut h| {
                    let mut m = as_map(&h.value);
                    let slicedur = num(&m, "end").unwrap_or(1.0) - num(&m, "begin").unwrap_or(0.0);
                    let dur = h.whole.map_or(1.0, |w| to_f64(w.duration()));
                    m.insert("speed".to_string(), Value::Num(1.0 / dur * slicedur));
                    m.insert("unit".to_string(), Value::Str("c".to_string()));
                    h.value = Value::Map(m);
                    h
                })
                .collect()
        })
    }

    /// Shifts `pan` (0.5 when unset) by `d` (used by `jux_by`).
    pub fn pan_shift(&self, d: f64) -> Pattern {
        self.fmap(move |v| {
            let mut m = as_map(v);
            let pan = num(&m, "pan").unwrap_or(0.5);
            m.insert("pan".to_string(), Value::Num(pan + d));
            Value::Map(m)
        })
    }

    /// Strudel `juxBy(by, f)`: the pattern panned left by `by/2` stacked with `then`, which is
    /// `f(self.pan_shift(by / 2))`.
    pub fn jux_by_with(&self, by: f64, then: &Pattern) -> Pattern {
        crate::constructors::stack(vec![self.pan_shift(-by / 2.0), then.clone()])
    }
}
