//! SuperDirt compatibility: krd as a drop-in SuperDirt for TidalCycles and Strudel.
//!
//! # Architecture
//! - [`endpoint`]: the UDP socket (127.0.0.1:57120 by default) that answers `/dirt/handshake`
//!   and `/dirt/hello` itself and hands `/dirt/play` (and `/play2`) events to the control thread
//!   with their time tags;
//! - [`event`]: an event's key/value pairs, every numeric type coerced, aliases mapped;
//! - the control thread (`session::dirt`) decides what `s` names — a kr node (a note on it),
//!   a sample bank (a voice on orbit node `orbitN`), a bundled Dirt synth (`faust:dirt/<name>`,
//!   made on first use) — and reports names that are none of these;
//! - [`library`] and [`decode`]: banks in the Dirt-Samples layout, loaded lazily off the audio
//!   thread (symphonia decodes, rubato resamples), with an LRU memory cap;
//! - [`plan`] and [`fx`]: SuperDirt's arithmetic (rate, length, fades, level, pan, per-event
//!   effects) done on the control thread;
//! - [`sampler`]: the orbit's real-time sample voices, started at their exact frames, feeding
//!   the orbit's FAUST program (`faust:dirt/orbit`: delay and reverb set by the orbit's latest
//!   event, as in SuperDirt).

pub mod builtin;
pub mod decode;
pub mod endpoint;
pub mod event;
pub mod fx;
pub mod library;
pub mod plan;
pub mod sampler;

pub use event::{DirtEvent, DirtValue, EventError};
pub use library::{LibrarySettings, SampleLibrary};
pub use sampler::{SampleTrigger, Sampler, SamplerCell};
