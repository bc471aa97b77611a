//! # kr-pattern
//!
//! The musical core of kr: TidalCycles/Strudel patterns with exact rational time. A pattern is a
//! function from a span of cycles to the events ("haps") active in it. Semantics follow
//! **Strudel 1.2.6**, with three deliberate deviations, each a Strudel quirk:
//!
//! 1. `degrade_by(0)` keeps every event (Strudel drops an onset at t = 0); the random numbers are
//!    otherwise Strudel's, so all other results match.
//! 2. The mini-notation atoms `t`, `true`, `f`, `false` are booleans, so `struct("t f")` keeps
//!    only the first step (as in Tidal).
//! 3. `every`/`first_of`/`last_of`/`palindrome` work for negative cycles (floor modulo).
//!
//! ## Architecture
//!
//! - [`time`], [`span`], [`hap`], [`value`]: exact time (`Rational64`), spans, events and values.
//! - [`pattern`]: the [`Pattern`] type (an `Arc`'d query closure, `Send + Sync`, cheap to clone)
//!   and the core combinators every operator is built from: query/event time mapping, `fmap`,
//!   the applicative combinators (`app_left`/`app_right`/`app_both`) and the monadic joins
//!   (`bind`, `inner_bind`, `outer_bind`, `squeeze_bind`).
//! - [`constructors`]: `pure`, `silence`, `stack`, `slowcat`, `fastcat`, `timecat`, `signal`.
//! - [`ops`]: operators as methods on `Pattern`, one file per concern (time, structure,
//!   randomness, arithmetic/controls); [`ops::args`] turns patterned arguments into joins exactly
//!   like Strudel's `register` (pure arguments are applied directly, others inner-joined).
//! - [`signals`], [`random`]: continuous patterns and Strudel's time-seeded xorshift.
//! - [`mini`]: the mini-notation (lexer → AST → pattern), bounded and panic-free.
//! - [`ir`]: the serde IR (`{"v":1,"p":...}`): what Python sends and the engine stores; it is
//!   validated on decode and compiled to a `Pattern`.
//! - [`note`]: note names to MIDI numbers. [`show`]: a text grid of a cycle.
//! - [`budget`]: bounded query work for callers that must stay responsive.
//!
//! Pure: no I/O, no threads, no `unsafe`.

pub mod budget;
pub mod constructors;
pub mod hap;
pub mod ir;
pub mod library;
pub mod mini;
pub mod note;
pub mod ops;
pub mod pattern;
pub mod random;
pub mod show;
pub mod signals;
pub mod span;
pub mod time;
pub mod tonal;
pub mod value;

pub use constructors::{fastcat, pure, signal, silence, slowcat, stack, steady, timecat};
pub use hap::Hap;
pub use ir::{Ir, IrError};
pub use mini::{mini, ParseError};
pub use note::note_to_midi;
pub use ops::arith::control;
pub use pattern::{Pattern, State};
pub use span::Span;
pub use time::Time;
pub use value::{Op, Value};

/// `seq` is `fastcat`.
pub fn seq(pats: Vec<Pattern>) -> Pattern {
    fastcat(pats)
}

/// `cat` is `slowcat`.
pub fn cat(pats: Vec<Pattern>) -> Pattern {
    slowcat(pats)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn pattern_is_send_sync() {
        assert_send_sync::<Pattern>();
    }
}
