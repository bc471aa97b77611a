//! # kr-pattern
//!
//! The musical core of kr: TidalCycles/Strudel patterns with exact rational time. A pattern is a
//! function from a span of cycles to the events ("haps") active in it. Semantics follow
//! **Strudel 1.2.6**, with these deliberate deviations (the conformance tests name each):
//!
//! 1. `degrade_by(0)` keeps every event (Strudel drops an onset at t = 0); the random numbers are
//!    otherwise Strudel's, so all other results match.
//! 2. The mini-notation atoms `t`, `true`, `f`, `false` are booleans, so `struct("t f")` keeps
//!    only the first step (as in Tidal).
//! 3. `every`/`first_of`/`last_of`/`palindrome` work for negative cycles (floor modulo).
//! 4. A bare value combined with controls keeps its pitch under `note` (Strudel files it under
//!    `value`): `"a".gain(1)` is `{note: "a", gain: 1}`, a note the engine can play.
//! 5. Values have no lists: the mini-notation's `"bd:3"` is the string `"bd:3"` until a control
//!    reads it; `s("bd:3")` is `{s: "bd", n: 3}` (and `"bd:3:0.5"` adds `gain`), as in Strudel.
//! 6. Operators taking a function take the transformed pattern instead (the IR stores no
//!    closures): `f` is applied once, to the pattern Strudel applies it to. For `ply_with`,
//!    `within`, and `sometimes_by`/`some_cycles_by` with a *patterned* probability, that is the
//!    whole pattern rather than each event (or each kept event), the same for any `f` that only
//!    changes values. `scale_transpose` takes its scale as an argument (Strudel reads it from the
//!    events of a preceding `.scale`; the Python method finds it there too).
//!
//! ## Seed names
//!
//! Where kr's seed API and Strudel use one name for two things, the seed keeps the name and
//! Strudel's meaning is `<name>_strudel` in Python: `note("A2")` is the seed's note (MIDI 45;
//! Strudel's raw `note` control is `note_strudel`), `seq("A2", "D3")` the seed's note sequence
//! (Strudel's `seq` is `sequence`), `swing(amount, grid)` the seed's swing (Strudel's `swing(n)`
//! is `swing_strudel(n)`), `kr.gain` the session's gain (the control is `gain_strudel`, and the
//! method `.gain(x)`), and `legato` the `legato` control (Strudel makes it an alias of `clip`).
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
//!   randomness, arithmetic/controls, layers (`chunk`, `when`, `echo`, ...), reshaping (`linger`,
//!   `press`, `ribbon`, `polymeter`, ...), chance (`shuffle`, `some_cycles_by`, ...), `pick`,
//!   `arp`, sample slicing and `jux`); [`ops::args`] turns patterned arguments into joins exactly
//!   like Strudel's `register` (pure arguments are applied directly, others inner-joined).
//! - [`tonal`]: scales, intervals, chord voicings (data) and the tonal operators.
//! - [`library`]: the library operators by name, for the IR's generic `lib` node.
//! - [`signals`], [`random`]: continuous patterns and Strudel's time-seeded xorshift.
//! - [`mini`]: the mini-notation (lexer → AST → pattern), bounded and panic-free.
//! - [`ir`]: the serde IR (`{"v":1,"p":...}`): what Python sends and the engine stores; it is
//!   validated on decode and compiled to a `Pattern`.
//! - [`note`]: note names to MIDI numbers. [`show`]: a text grid of a cycle.
//! - [`time`]: besides `Time`, exact fast comparisons (`i128` cross multiplication) that the
//!   query hot paths use instead of `num_rational`'s division-based ordering.
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
