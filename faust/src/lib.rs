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
//!   ([`cache`]), keeping the most recent factories loaded ([`RECENT_FACTORIES`]).
//! - [`maps`]: a guard that refuses loads before libfaust's mapping leak reaches the kernel's
//!   limit.
//! - [`paths`]: kr's folders under the XDG base directories.
//! - [`footprint`]: an instance's real memory, measured by the worker on a trial instance.
//! - [`sandbox`]: the worker's Landlock sandbox (read the FAUST libraries only, no network).
//! - `controls`, `factory`, `instance`, `service`, `error`, `lock`: the parts behind the types
//!   above (control discovery, factories, instances, the service thread, errors, libfaust's
//!   process-wide lock).
//! - [`which`]: answers libfaust's `which faust` without starting a process (in the worker).
//! - [`dspdir`]: the `.dsp` directory — polls a folder of programs for new, changed and deleted
//!   files (node types `faust:<relative path>`), and says what the host does with the changes.
//!
//! ## Architecture
//! ```text
//!  engine thread ──submit──▶ CompileService thread ──JSON line──▶ worker process (libfaust)
//!        ▲                         │  memory / disk cache              │ machine code
//!        └──── Arc<Factory> ◀──────┴── readCDSPFactoryFromMachine ◀────┘
//! ```
//!
//! ## Thread safety
//! - libfaust's factory calls (create, read/write machine code, delete, create/delete instance)
//!   share global state and are not thread-safe: each one runs under one process-wide lock
//!   (`lock::factory_api`), never taken by `compute`, `set` or `get`. Compiling proper happens
//!   only in the worker process, so the engine never sees libfaust's `chdir` and `popen`.
//! - A [`Factory`] is immutable after it is built (`Send + Sync`, shared as `Arc`). An
//!   [`Instance`] is `Send` and used by one thread at a time (`&mut self` to compute or set); it
//!   holds an `Arc<Factory>`, so its code outlives it. Computing in one thread while another
//!   loads or compiles is fine (measured: two threads compiling at once crashed every time
//!   without the lock; computing while another thread compiled never did).
//!
//! The crate's README has the worker protocol, the cache format and measured numbers.

pub mod cache;
mod controls;
pub mod dspdir;
mod error;
mod factory;
pub mod ffi;
pub mod footprint;
mod instance;
pub mod lanes;
mod lock;
pub mod maps;
pub(crate) mod noalias;
pub mod paths;
pub mod sandbox;
mod service;
mod target;
pub mod which;
pub mod worker;

pub use cache::CacheSettings;
pub use controls::{ControlKind, ControlSpec};
pub use error::CompileError;
pub use factory::{factory_loads, libfaust_version, DspInfo, Factory};
pub use instance::Instance;
pub use service::{
    CompileCounters, CompileResult, CompileService, CompilerSettings, FoundResult, Origin, RECENT_FACTORIES,
};
pub use target::machine_target;

/// Most input or output channels a program may have (the compute call's pointer arrays live on
/// the audio thread's stack).
pub const MAX_CHANNELS: usize = 64;
