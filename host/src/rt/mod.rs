//! The real-time side of the engine: what runs in the audio callback.
//!
//! Everything here is real-time safe: no allocation, free, lock, syscall, print or panic while
//! processing. The control thread builds an immutable [`RtGraph`] (flat, topologically ordered,
//! every buffer and control index pre-resolved) and sends it over a ring; per-node state that
//! must survive graph swaps (voices, gates, gain smoothing, buffers) lives in a [`NodeCell`]
//! shared by consecutive graphs. Replaced graphs are dropped through `basedrop`, so their memory
//! is freed on the control thread.
//!
//! - [`processor`]: the [`Processor`] trait every node kind implements (FAUST first).
//! - `cell`: [`RtCell`], state shared by graphs and mutated by the audio thread alone.
//! - `graph`: the graph itself; `event`: frame-stamped events; `tap`: recording taps.
//! - `process`: the [`AudioEngine`] a backend calls once per block.
//! - `block`: the fixed sizes ([`MAX_BLOCK`]).
//! - [`midi`]: MIDI out at exact frames, MIDI input mapped to controls and voices.
//! - [`denormals`]: denormal floats flushed to zero while a block is computed.
//! - `steal`: a stolen voice fades out before its new note and the note fades in.
//! - `idle`: voices with their gate down and silent are not computed until their next note.
//! - `group`: a node's voices as groups, each one processor: one voice, or several in lanes.
//!
//! The real-time side knows no audio backend: node ports are [`crate::backend::PortRef`]s, and
//! the backend lends their buffers for one block through [`crate::backend::PortBuffers`].

mod block;
mod cell;
pub mod denormals;
mod event;
mod graph;
mod group;
mod idle;
pub mod midi;
mod process;
pub mod processor;
mod steal;
mod tap;

pub use block::{EVENT_CAPACITY, MAX_BLOCK};
pub use cell::{NodeCell, NodeState, RtCell, VoiceState};
pub use event::{RtEvent, RtEventKind, ALL_VOICES, NEXT_BLOCK};
pub use graph::{RtGraph, RtNode};
pub use group::{LaneUpgrade, VoiceGroup, MAX_LANES};
pub use process::{AudioEngine, AudioLink, BlockIo, CycleTimes, EngineTelemetry};
pub use processor::Processor;
pub use tap::{RtTap, TapCell, TapSource, TapState};
