//! # kr-faust: FAUST programs as running DSP for kr
//!
//! Owns everything between FAUST source text and a DSP instance the engine can compute:
//!
//! - [`ffi`]: hand-written declarations of libfaust's C API (LLVM backend).
//! - [`Factory`]: one compiled program; its [`DspInfo`] (channels, [`ControlSpec`]s, metadata).
//! - [`Instance`]: one running copy; real-time safe `compute`, `set`, `get`.
//! - [`worker`]: the compile worker process (libfaust compiles only there).
//! - [`CompileService`]: the engine's single compile place — supervises the worker (timeout,
//!   crash, memory limit), keeps one factory per distinct source, and caches machine code on disk
//!   ([`cache`]).
//!
//! ## Architecture
//! ```text
//!  engine thread ──submit──▶ CompileService thread ──JSON line──▶ worker process (libfaust)
//!        ▲                         │  memory / disk cache              │ machine code
//!        └──── Arc<Factory> ◀──────┴── readCDSPFactoryFromMachine ◀────┘
//! ```

pub mod cache;
mod controls;
mod error;
mod factory;
pub mod ffi;
mod instance;
mod lock;
mod service;
pub mod worker;

pub use cache::CacheSettings;
pub use controls::{ControlKind, ControlSpec};
pub use error::CompileError;
pub use factory::{libfaust_version, machine_target, DspInfo, Factory};
pub use instance::Instance;
pub use service::{CompileResult, CompileService, CompilerSettings};

/// Most input or output channels a program may have (the compute call's pointer arrays live on
/// the audio thread's stack).
pub const MAX_CHANNELS: usize = 64;
