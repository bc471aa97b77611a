//! The real-time side of the engine: what runs in the audio callback.
//!
//! Everything here obeys DESIGN.md §2: no allocation, free, lock, syscall, print or panic while
//! processing. The control thread builds an immutable [`RtGraph`] (flat, topologically ordered,
//! every buffer and control index pre-resolved) and sends it over a ring; per-node state that
//! must survive graph swaps (DSP instances, gates, gain smoothing, buffers) lives in a
//! [`NodeCell`] shared by consecutive graphs. Replaced graphs are dropped through `basedrop`, so
//! their memory is freed on the control thread.

mod cell;
mod event;
mod graph;
mod process;
mod tap;

pub use cell::{NodeCell, NodeState, VoiceState};
pub use event::{RtEvent, RtEventKind, ALL_VOICES};
pub use graph::{RtGraph, RtNode};
pub use process::{AudioEngine, AudioLink, BlockIo, CycleTimes, EngineTelemetry, MAX_BLOCK};
pub use tap::{RtTap, TapCell, TapSource, TapState};
