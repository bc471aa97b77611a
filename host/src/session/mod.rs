//! The session: the control thread's model of everything (DESIGN.md §7), the one truth. Commands
//! change the model; each topology change is compiled into a new [`RtGraph`] and swapped in.
//!
//! By concern: `nodes` (create, redefine, free), `controls` (set, get, fade, mute,
//! master), `graph` (routing, solo, the real-time graph and its ports), `patterns` (play, hush,
//! tempo, the scheduler tick), `recording`, `snapshot` (dump, scenes, state file, restore).

use crate::clock::Clock;
use crate::ports::{NodePorts, OwnedPort, PortHost};
use crate::rt::{
    AudioLink, NodeCell, NodeState, RtEvent, RtEventKind, RtGraph, RtNode, RtTap, TapSource, VoiceState, ALL_VOICES,
};
use crate::scheduler::{Fade, FadeTarget, NoteTarget, Scheduler, Slot, Target};
use basedrop::{Collector, Shared};
use kr_faust::{Factory, Instance};
use kr_osc::DspSource;
use kr_pattern::ir::Ir;
use kr_pattern::Time;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use thiserror::Error;

mod controls;
mod graph;
mod nodes;
mod patterns;
mod recording;
mod snapshot;
pub use snapshot::Snapshot;

/// Why a command was refused. The session is unchanged when one of these is returned.
#[derive(Debug, Error, PartialEq)]
pub enum SessionError {
    #[error("no node named '{0}'")]
    NoNode(String),
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
}

/// Session settings (from krd.yaml).
#[derive(Debug, Clone)]
pub struct SessionSettings {
    pub lookahead_seconds: f64,
    pub crossfade_seconds: f64,
    pub max_nodes: usize,
    pub bpm: f64,
    pub meter: f64,
    pub master: f32,
    /// The JACK client name in use (ports are `<client>:<node>/out_N`).
    pub client_name: String,
    /// Where recordings with a relative file name go.
    pub record_dir: std::path::PathBuf,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            lookahead_seconds: 0.05,
            crossfade_seconds: 0.02,
            max_nodes: 256,
            bpm: 120.0,
            meter: 4.0,
            master: 0.8,
            client_name: "krd".into(),
            record_dir: std::env::temp_dir(),
        }
    }
}

struct NodeModel {
    key: u32,
    name: String,
    source: DspSource,
    factory: Arc<Factory>,
    count: u32,
    gain: f32,
    muted: bool,
    soloed: bool,
    /// Client data kept with the node (`/kr/node/new`'s `meta`).
    meta: String,
    /// Current value of each control (as last set by a command).
    values: Vec<f32>,
    cell: Shared<NodeCell>,
    /// Previous definition while crossfading, and the frame after which it can go.
    prev: Option<(Shared<NodeCell>, u64)>,
    ports: NodePorts,
}

#[derive(Debug, Clone, PartialEq)]
struct Route {
    from: String,
    to: String,
    level: f32,
}

struct PlayingPattern {
    ir: Ir,
    from_zero: bool,
}

/// The engine's state and the means to change it.
pub struct Session {
    settings: SessionSettings,
    sample_rate: u32,
    nodes: Vec<NodeModel>,
    routes: Vec<Route>,
    patterns: BTreeMap<String, PlayingPattern>,
    pub clock: Clock,
    scheduler: Scheduler,
    master: f32,
    link: AudioLink,
    collector: Collector,
    ports: Box<dyn PortHost>,
    next_key: u32,
    generation: u64,
    scenes: BTreeMap<String, Snapshot>,
    recordings: Vec<crate::record::Recording>,
    /// Frame stamped on control changes (set, gain, mute, master): 0 = the next block; a
    /// time-tagged packet sets its frame while it is applied.
    pub event_frame: u64,
    /// Ports to unregister once the audio thread runs a graph of at least this generation.
    retired_ports: Vec<(u64, Vec<OwnedPort>)>,
}

impl Session {
    pub fn new(
        settings: SessionSettings,
        sample_rate: u32,
        link: AudioLink,
        collector: Collector,
        ports: Box<dyn PortHost>,
    ) -> Session {
        let now = link.telemetry.frame.load(Relaxed);
        let clock = Clock::new(sample_rate as f64, settings.bpm, settings.meter, now);
        let scheduler = Scheduler::new(clock.grid_cycle_at(now));
        let master = settings.master;
        Session {
            settings,
            sample_rate,
            nodes: Vec::new(),
            routes: Vec::new(),
            patterns: BTreeMap::new(),
            clock,
            scheduler,
            master,
            link,
            collector,
            ports,
            next_key: 1,
            generation: 0,
            retired_ports: Vec::new(),
            scenes: BTreeMap::new(),
            recordings: Vec::new(),
            event_frame: 0,
        }
    }

    /// The audio clock: engine frames processed so far.
    pub fn now(&self) -> u64 {
        self.link.telemetry.frame.load(Relaxed)
    }

    pub fn telemetry(&self) -> &crate::rt::EngineTelemetry {
        &self.link.telemetry
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn voice_count(&self) -> usize {
        self.nodes.iter().map(|n| n.count as usize).sum()
    }

    fn node(&self, name: &str) -> Result<&NodeModel, SessionError> {
        self.nodes.iter().find(|n| n.name == name).ok_or_else(|| SessionError::NoNode(name.into()))
    }

    fn send_now(&mut self, node: u32, kind: RtEventKind) -> Result<(), SessionError> {
        if self.link.send(RtEvent { frame: self.event_frame, node, voice: ALL_VOICES, kind }) {
            Ok(())
        } else {
            Err(SessionError::Busy)
        }
    }

    /// Split `bass/cutoff` into a node and a control (node names may contain `/`).
    fn split_path<'a>(&self, path: &'a str) -> Result<(&'a str, &'a str), SessionError> {
        match path.rsplit_once('/') {
            Some((node, control)) if self.nodes.iter().any(|n| n.name == node) => Ok((node, control)),
            Some((node, _)) => Err(SessionError::NoNode(node.into())),
            None => Err(SessionError::NoNode(path.into())),
        }
    }

    fn control_index(node: &NodeModel, control: &str) -> Result<usize, SessionError> {
        let info = node.factory.info();
        info.control_index(control).filter(|&i| !info.controls[i].kind.is_output()).ok_or_else(|| {
            SessionError::NoControl {
                node: node.name.clone(),
                control: control.into(),
                available: available_controls(&node.factory),
            }
        })
    }

    /// The engine frame at which wall-clock time `when` sounds: JACK's cycle times map JACK's
    /// clock to frames (its delay-locked loop filters the period); the offset between the wall
    /// clock and JACK's clock is measured now. Without JACK, frames advance at the sample rate.
    pub fn frame_at(&self, when: std::time::SystemTime) -> u64 {
        let now = std::time::SystemTime::now();
        let ahead = match when.duration_since(now) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        match (self.link.telemetry.cycle(), self.ports.jack_time_usecs()) {
            (Some(c), Some(jack_now)) if c.period_usecs > 0.0 => {
                let target_usecs = jack_now as f64 + ahead * 1e6;
                let frames = (target_usecs - c.usecs as f64) * c.frames as f64 / c.period_usecs as f64;
                (c.frame as f64 + frames).round().max(0.0) as u64
            }
            _ => (self.now() as f64 + ahead * self.sample_rate as f64).round().max(0.0) as u64,
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

fn available_controls(f: &Factory) -> String {
    let names: Vec<&str> = f.info().controls.iter().filter(|c| !c.kind.is_output()).map(|c| c.path.as_str()).collect();
    if names.is_empty() {
        "no controls".into()
    } else {
        names.join(", ")
    }
}
