//! # kr-host: the kr engine
//!
//! `krd` is a JACK client whose graph nodes are FAUST programs, driven over OSC. This crate holds
//! everything of it except FAUST compiling (`kr-faust`), patterns (`kr-pattern`) and the wire
//! format (`kr-osc`).
//!
//! ## Architecture
//! ```text
//!  OSC (UDP, TCP) ─▶ server ─▶ control thread ── owns ─▶ Session (the model: nodes, routes, patterns)
//!                                 │   │                    │ rebuild → RtGraph ─┐
//!                 compile service ◀┘   └ tick → Scheduler ──┴ RtEvents ─────────┤ rtrb rings
//!                                                                              ▼
//!        AudioBackend (JACK, or offline) ── once per block ──▶ AudioEngine (rt/): graph, events, mix
//! ```
//! Dependencies point down this list; nothing below `jack_backend` names a JACK type.
//! - [`server`] — the OSC sockets; [`replier`] — a client as replies reach it; [`control`] — the control thread's loop (jobs, bundles,
//!   time tags, subscribers, saving); [`commands`] — what each command does to the session;
//!   [`atomic`] — a packet applied as one unit (all at one frame, or nothing).
//! - [`session`] — the model and every command's effect on it; builds real-time graphs.
//! - [`scheduler`] and [`clock`] — patterns and fades to frame-stamped events; cycles ↔ frames.
//! - [`rt`] — the audio thread's side: the engine, the graph, node kinds ([`rt::Processor`]).
//! - [`backend`] — the [`backend::AudioBackend`] trait, port handles and the offline backend;
//!   [`jack_backend`] — the JACK client, which outlives JACK servers (it waits for the next one,
//!   registers its ports again and remakes their connections).
//! - [`service`] — krd under systemd: readiness, status and a watchdog fed only while the audio
//!   callback and the control loop advance; the patchbay snapshot saved with the session.
//! - [`record`] — recordings' disk threads; [`state`] — the state file; [`status`] — the
//!   status board the socket threads answer probes from.
//! - [`midi`] — what patterns send to MIDI outs, and MIDI clock on the cycle clock (the ports,
//!   the input's mappings and the real-time writing are in `session` and [`rt::midi`]).
//! - [`dirt`] — SuperDirt compatibility: the `/dirt/play` endpoint, sample banks, the orbits'
//!   sample voices.
//! - [`link`] — Ableton Link (cargo feature `link`): tempo and beat phase from a Link session.
//! - [`render`] — `krd render`, the same engine offline and deterministic.
//! - [`config`] — `krd.yaml`; [`rt_guard`] — the audio thread's allocation guard in tests.

pub mod atomic;
pub mod backend;
pub mod clock;
pub mod clock_pair;
pub mod commands;
pub mod config;
pub mod control;
pub mod dirt;
pub mod jack_backend;
pub mod link;
pub mod midi;
pub mod record;
pub mod render;
pub mod replier;
pub mod rt;
pub mod rt_guard;
pub mod scheduler;
pub mod server;
pub mod service;
pub mod session;
pub mod state;
pub mod status;
