//! Pattern operators, grouped by concern. Each is a small function from patterns to a pattern.

pub mod args;
pub mod arith;
pub mod arp;
pub mod chance;
pub mod layers;
pub mod pick;
pub mod random;
pub mod reshape;
pub mod sample;
pub mod structure;
pub mod time;
