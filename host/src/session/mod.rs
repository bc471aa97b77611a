//! The session: the control thread's model of everything, the one truth. Commands change the
//! model; each topology change is compiled into a new real-time graph and swapped in.
//!
//! The [`Session`] composes one type per concept, each with private state and narrow methods:
//! - `model`: the graph model (nodes, routes, what a path names, processing order, solo);
//! - `realtime`: the rings to the audio thread, the backend and its ports;
//! - [`crate::scheduler::Scheduler`]: the pattern slots and fades;
//! - `scenes`: stored snapshots; `recording`: recordings in progress.
//!
//! Its commands are grouped by concern: `nodes` (create, redefine, free), `controls` (set, get,
//! fade, mute, master), `graph` (routing, solo, building the real-time graph), `patterns` (play,
//! hush, tempo, the scheduler tick), `recording`, `snapshot` (dump, state file, applying a
//! snapshot). Commands that change what sounds take the frame they apply at (`at`:
//! [`NEXT_BLOCK`] or a time-tagged packet's frame).

use crate::backend::AudioBackend;
use crate::clock::Clock;
use crate::rt::{AudioLink, EngineTelemetry, RtEvent, RtEventKind, ALL_VOICES};
use crate::scheduler::Scheduler;
use basedrop::Collector;
use std::sync::atomic::Ordering::Relaxed;
use std::time::SystemTime;
use thiserror::Error;

mod controls;
mod dirt;
mod graph;
mod link;
mod midi;
mod model;
mod nodes;
mod patterns;
mod realtime;
mod recording;
mod scenes;
mod snapshot;
pub use crate::rt::NEXT_BLOCK;
pub use dirt::{DirtCounters, DirtMiss};
pub use midi::{ControllerSnapshot, MidiOutSnapshot, MidiSnapshot, NotesSnapshot};
pub use snapshot::{NodeSnapshot, PatternSnapshot, RouteSnapshot, Snapshot};

use model::GraphModel;
use realtime::Realtime;
use recording::Recordings;
use scenes::Scenes;

/// Why a command was refused. The session is unchanged when one of these is returned.
#[derive(Debug, Error, PartialEq)]
pub enum SessionError {
    #[error("no node named '{0}'")]
    NoNode(String),
    #[error("no node named '{0}', and no node with a control that path names")]
    NoTarget(String),
    #[error("node '{node}' has no control '{control}' (it has: {available})")]
    NoControl { node: String, control: String, available: String },
    #[error("routing {from} → {to} would make a cycle ({path}); audio cannot flow in a loop")]
    Cycle { from: String, to: String, path: String },
    #[error("'{0}' has no audio inputs, so nothing can be routed into it")]
    NotAnEffect(String),
    #[error("no route from '{from}' to '{to}'")]
    NoRoute { from: String, to: String },
    #[error("node limit reached ({0} nodes); free some first")]
    TooManyNodes(usize),
    #[error("'{name}' needs {needs_mib} MiB ({voices} voice(s) of {per_voice_mib} MiB: its delay lines and tables); {limit}")]
    Memory { name: String, needs_mib: u64, voices: u32, per_voice_mib: u64, limit: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("recording: {0}")]
    Record(String),
    #[error("no scene named '{0}'")]
    NoScene(String),
    #[error("nothing is playing on '{0}'")]
    NothingPlaying(String),
    #[error("'{name}': {message}")]
    Dsp { name: String, message: String },
    #[error("pattern: {0}")]
    Pattern(String),
    #[error("the audio thread is not keeping up (its queue is full); try again")]
    Busy,
    #[error("{what}: {value} is outside {}..{}", range.0, range.1)]
    OutOfRange { what: String, value: f64, range: (f64, f64) },
    #[error(transparent)]
    Link(#[from] crate::link::LinkError),
}

/// Session settings (from krd.yaml).
#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub lookahead_seconds: f64,
    pub crossfade_seconds: f64,
    pub max_nodes: usize,
    /// Memory all voices of one node may take (as the compile worker measured an instance).
    pub max_node_bytes: u64,
    /// Memory all nodes together may take.
    pub max_total_bytes: u64,
    /// Voices of a source node computed in lanes when its lanes program is ready (config
    /// `engine.voice_lanes`).
    pub voice_lanes: bool,
    pub bpm: f64,
    pub meter: f64,
    pub master: f32,
    /// The backend's client name (ports are `<client>:<node>/out_N`).
    pub client_name: String,
    /// Where recordings with a relative file name go.
    pub record_dir: std::path::PathBuf,
    /// Sample banks (config `dirt:`).
    pub samples: crate::dirt::LibrarySettings,
    /// Orbits (`orbit` wraps around this many).
    pub orbits: u32,
    /// How long after krd processes a frame it is heard (config `engine.link_latency_ms`):
    /// with Link on, onsets are placed this much early so that they sound on the session's beat.
    pub link_latency_seconds: f64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            lookahead_seconds: 0.05,
            crossfade_seconds: 0.02,
            max_nodes: 256,
            max_node_bytes: 1 << 30,
            max_total_bytes: 4 << 30,
            voice_lanes: true,
            bpm: 120.0,
            meter: 4.0,
            master: 0.8,
            client_name: "krd".into(),
            record_dir: std::env::temp_dir(),
            samples: crate::dirt::LibrarySettings::default(),
            orbits: 12,
            link_latency_seconds: 0.0,
        }
    }
}

/// The engine's state and the means to change it.
pub struct Session {
    settings: SessionSettings,
    sample_rate: u32,
    model: GraphModel,
    clock: Clock,
    scheduler: Scheduler,
    master: f32,
    rt: Realtime,
    scenes: Scenes,
    recordings: Recordings,
    dirt: dirt::DirtState,
    midi: midi::MidiState,
    link: crate::link::LinkSync,
}

impl Session {
    pub fn new(
        settings: SessionSettings,
        sample_rate: u32,
        link: AudioLink,
        collector: Collector,
        backend: Box<dyn AudioBackend>,
    ) -> Session {
        let now = link.telemetry.frame.load(Relaxed);
        let clock = Clock::new(sample_rate as f64, settings.bpm, settings.meter, now);
        let scheduler = Scheduler::new(clock.grid_cycle_at(now));
        let master = settings.master;
        let recordings = Recordings::new(settings.record_dir.clone());
        let library = crate::dirt::SampleLibrary::new(settings.samples.clone(), sample_rate, collector.handle());
        let dirt = dirt::DirtState::new(library, settings.orbits);
        let link_sync = crate::link::LinkSync::new(settings.link_latency_seconds);
        let mut rt = Realtime::new(link, collector, backend);
        let mut midi_port = |name: &str, direction| {
            rt.register_midi(name, direction).unwrap_or_else(|e| {
                tracing::warn!("{e}: krd runs without it");
                None
            })
        };
        let clock_port = midi_port(midi::CLOCK_PORT, crate::backend::Direction::Out);
        let input_port = midi_port(midi::INPUT_PORT, crate::backend::Direction::In);
        let mut session = Session {
            settings,
            sample_rate,
            model: GraphModel::default(),
            clock,
            scheduler,
            master,
            rt,
            scenes: Scenes::default(),
            recordings,
            dirt,
            midi: midi::MidiState::new(clock_port, input_port),
            link: link_sync,
        };
        // The MIDI ports are in every graph from the first on.
        session.rebuild();
        session
    }

    /// The audio clock: engine frames processed so far.
    pub fn now(&self) -> u64 {
        self.rt.now()
    }

    pub fn telemetry(&self) -> &EngineTelemetry {
        self.rt.telemetry()
    }

    /// The cycle ↔ frame map.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Make the JACK ports of nodes made since the last call exist. Node creation leaves that
    /// for after its graph is sent, so a new node is heard first (registering a JACK port takes
    /// a millisecond or more); the control thread calls this before it answers.
    pub fn register_pending_ports(&mut self) {
        self.rt.register_pending();
    }

    pub fn node_count(&self) -> usize {
        self.model.len()
    }

    pub fn voice_count(&self) -> usize {
        self.model.nodes().iter().map(|n| n.count as usize).sum()
    }

    /// Hold back what a bundle sends to the audio thread until [`Session::commit`] (all of it,
    /// at once) or [`Session::discard`] (none of it).
    pub fn hold(&mut self) {
        self.rt.hold();
    }

    pub fn commit(&mut self) {
        self.rt.commit()
    }

    pub fn discard(&mut self) {
        self.rt.discard();
    }

    /// Send a change to every voice of node `node` (0: master) at frame `at`.
    fn send(&mut self, node: u32, kind: RtEventKind, at: u64) -> Result<(), SessionError> {
        self.rt.send(RtEvent { frame: at, node, voice: ALL_VOICES, kind })
    }

    /// The engine frame at which wall-clock time `when` sounds: the backend's cycle times map its
    /// clock to frames (JACK's delay-locked loop filters the period); the offset between the wall
    /// clock and the backend's clock is measured now ([`crate::clock_pair`]). Without one, frames
    /// advance at the sample rate.
    pub fn frame_at(&self, when: SystemTime) -> u64 {
        let backend = || self.rt.clock_usecs();
        match (self.rt.telemetry().cycle(), crate::clock_pair::read(&backend, &mut || wall_usecs(SystemTime::now()))) {
            (Some(c), Some(pair)) if c.period_usecs > 0.0 => {
                let target_usecs = wall_usecs(when) as f64 - pair.offset();
                let frames = (target_usecs - c.usecs as f64) * c.frames as f64 / c.period_usecs as f64;
                (c.frame as f64 + frames).round().max(0.0) as u64
            }
            _ => {
                let ahead = (wall_usecs(when) - wall_usecs(SystemTime::now())) as f64 / 1e6;
                (self.now() as f64 + ahead * self.sample_rate as f64).round().max(0.0) as u64
            }
        }
    }

    /// Frames scheduled ahead of the audio clock.
    pub fn lookahead_frames(&self) -> u64 {
        (self.settings.lookahead_seconds * self.sample_rate as f64) as u64
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }
}

/// Wall-clock time in µs since the Unix epoch (negative before it).
fn wall_usecs(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_micros() as i64,
        Err(e) => -(e.duration().as_micros() as i64),
    }
}
