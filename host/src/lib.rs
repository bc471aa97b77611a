//! # kr-host: the kr engine
//!
//! `krd` is a JACK client whose graph nodes are FAUST programs, driven over OSC. This crate holds
//! everything of it except FAUST compiling (`kr-faust`), patterns (`kr-pattern`) and the wire
//! format (`kr-osc`).
//!
//! ## Architecture
//! ```text
//!  OSC (UDP) ─▶ server ─▶ control thread ── owns ─▶ Session (the model: nodes, routes, patterns)
//!                              │   │                   │ rebuild → RtGraph ─┐
//!              compile service ◀┘   └ tick → Scheduler ─┴ RtEvents ─────────┤ rtrb rings
//!                                                                           ▼
//!                              JACK process callback ── AudioEngine (rt/): graph, events, mix
//! ```
//! - [`rt`] — the audio thread's side (no allocation, lock or syscall; see DESIGN.md §2).
//! - [`session`] — the model and every command's effect on it; builds real-time graphs.
//! - [`scheduler`] and [`clock`] — patterns to frame-stamped events; cycles ↔ frames.
//! - [`control`] — the control thread's loop; [`server`]: the OSC sockets.
//! - [`jack_backend`] and [`ports`] — the JACK client and per-node ports.
//! - [`render`] — `krd render`, the same engine offline and deterministic.
//! - [`config`] — `krd.yaml`.

pub mod clock;
pub mod commands;
pub mod config;
pub mod control;
pub mod jack_backend;
pub mod ports;
pub mod record;
pub mod render;
pub mod rt;
pub mod rt_guard;
pub mod scheduler;
pub mod server;
pub mod session;
pub mod state;
