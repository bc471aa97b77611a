//! One pattern choosing among others by value: `pick`, `pick_mod`, `inhabit` (squeezed),
//! `squeeze` (by index, wrapping), as in Strudel's `pick.mjs`.

use std::collections::BTreeMap;

use crate::constructors::silence;
use crate::pattern::Pattern;
use crate::value::Value;

/// What a `pick` chooses from: a list (by index) or named patterns (by string value).
#[derive(Clone, Debug)]
pub enum Lookup {
    /// Patterns chosen by number.
    List(Vec<Pattern>),
    /// Patterns chosen by name.
    Named(BTreeMap<String, Pattern>),
}

/// How an index outside a list is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    /// Clamped to the first or last (`pick`).
    Clamp,
    /// Wrapped around (`pickmod`, `squeeze`).
    Modulo,
}

/// How the chosen pattern is joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickJoin {
    /// Structure from the chosen pattern (`pick`).
    Inner,
    /// The chosen pattern's cycle squeezed into each event (`inhabit`, `squeeze`).
    Squeeze,
}

/// JavaScript's `Math.round` (halves round up).
fn js_round(x: f64) -> f64 {
    (x + 0.5).floor()
}

impl Lookup {
    fn choose(&self, v: &Value, wrap: Wrap) -> Option<Pattern> {
        match self {
            Lookup::List(pats) => {
                if pats.is_empty() {
                    return None;
                }
                let len = pats.len() as f64;
                let i = js_round(v.as_f64()?);
                let i = match wrap {
                    Wrap::Clamp => i.clamp(0.0, len - 1.0),
                    Wrap::Modulo => i - len * (i / len).floor(),
                };
                pats.get(i as usize).cloned()
            }
            Lookup::Named(pats) => {
                let key = match v {
                    Value::Str(s) => s.clone(),
                    other => other.short(),
                };
                pats.get(&key).cloned()
            }
        }
    }
}

impl Pattern {
    /// Each value of `self` chooses a pattern of `lookup` (Strudel `pick`, `pickmod`,
    /// `inhabit`, `inhabitmod`, and the top-level `squeeze`).
    pub fn pick(&self, lookup: Lookup, wrap: Wrap, join: PickJoin) -> Pattern {
        let f = move |v: &Value| lookup.choose(v, wrap).unwrap_or_else(silence);
        match join {
            PickJoin::Inner => self.inner_bind(f),
            PickJoin::Squeeze => self.squeeze_bind(f),
        }
    }
}
