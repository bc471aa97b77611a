//! Pattern operators, grouped by concern. Each is a small function from patterns to a pattern.

pub mod args;
pub mod arith;
pub mod random;
pub mod structure;
pub mod time;
