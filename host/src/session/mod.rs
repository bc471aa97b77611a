//! The session: the control thread's model of everything (DESIGN.md §7), the one truth. Commands
//! change the model; each topology change is compiled into a new [`RtGraph`] and swapped in.

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

    // ---- nodes -------------------------------------------------------------------------------

    /// Create a node, or redefine an existing one (crossfading, keeping shared control values).
    pub fn node_new(
        &mut self,
        name: &str,
        source: DspSource,
        factory: Arc<Factory>,
        count: u32,
        gain: f32,
    ) -> Result<String, SessionError> {
        let existing = self.nodes.iter().position(|n| n.name == name);
        if existing.is_none() && self.nodes.len() >= self.settings.max_nodes {
            return Err(SessionError::TooManyNodes(self.settings.max_nodes));
        }
        let info = factory.info().clone();
        if info.outputs == 0 {
            return Err(SessionError::Dsp {
                name: name.into(),
                message: "the program has no outputs, so it would be silent".into(),
            });
        }
        let mut values: Vec<f32> = info.controls.iter().map(|c| c.init).collect();
        if let Some(i) = existing {
            // Keep the values of controls that exist in both definitions.
            let old = &self.nodes[i];
            for (v, spec) in values.iter_mut().zip(&info.controls) {
                if let Some(j) = old.factory.info().control_index(&spec.path) {
                    *v = spec.clamp(old.values[j]);
                }
            }
        }
        let voices = (0..count.max(1))
            .map(|_| {
                let mut dsp: Instance = factory
                    .instance(self.sample_rate)
                    .map_err(|e| SessionError::Dsp { name: name.into(), message: e.to_string() })?;
                for (i, v) in values.iter().enumerate() {
                    dsp.set(i, *v);
                }
                Ok(VoiceState::new(dsp))
            })
            .collect::<Result<Vec<_>, SessionError>>()?;
        let gate = info.control_index("gate").map(|i| i as u16);
        let mut state = NodeState::new(voices, info.inputs, info.outputs, gate, gain);
        if self.ports.enabled() {
            self.settle_ports();
        }
        let now = self.now();
        match existing {
            None => {
                let mut ports = NodePorts::default();
                if self.ports.enabled() {
                    ports
                        .resize(self.ports.as_mut(), name, info.inputs, info.outputs)
                        .map_err(|m| SessionError::Dsp { name: name.into(), message: m })?;
                }
                let key = self.next_key;
                self.next_key += 1;
                let cell = Shared::new(&self.collector.handle(), NodeCell::new(state));
                self.nodes.push(NodeModel {
                    key,
                    name: name.into(),
                    source,
                    factory,
                    count,
                    gain,
                    muted: false,
                    soloed: false,
                    meta: String::new(),
                    values,
                    cell,
                    prev: None,
                    ports,
                });
                self.rebuild();
                Ok(format!("node '{name}' created ({} in, {} out, {} voice(s))", info.inputs, info.outputs, count))
            }
            Some(i) => {
                let fade = (self.settings.crossfade_seconds * self.sample_rate as f64) as u32;
                state.fade_len = fade.max(1);
                state.gain = self.nodes[i].gain;
                state.muted = self.nodes[i].muted;
                if self.ports.enabled() {
                    let retired = self.nodes[i]
                        .ports
                        .resize(self.ports.as_mut(), name, info.inputs, info.outputs)
                        .map_err(|m| SessionError::Dsp { name: name.into(), message: m })?;
                    self.retired_ports.push((self.generation + 1, retired));
                }
                let cell = Shared::new(&self.collector.handle(), NodeCell::new(state));
                let n = &mut self.nodes[i];
                let old_cell = std::mem::replace(&mut n.cell, cell);
                n.prev = Some((old_cell, now + 2 * fade as u64 + self.sample_rate as u64 / 10));
                n.source = source;
                n.factory = factory;
                n.count = count;
                n.values = values;
                self.retarget_patterns(name);
                self.rebuild();
                Ok(format!("node '{name}' redefined (crossfading)"))
            }
        }
    }

    pub fn node_free(&mut self, name: &str) -> Result<String, SessionError> {
        let i = self.nodes.iter().position(|n| n.name == name).ok_or_else(|| SessionError::NoNode(name.into()))?;
        let key = self.nodes[i].key;
        self.scheduler.fades.retain(
            |f| !matches!(f.target, FadeTarget::Gain { node } | FadeTarget::Control { node, .. } if node == key),
        );
        let node = self.nodes.remove(i);
        self.routes.retain(|r| r.from != name && r.to != name);
        let prefix = format!("{name}/");
        let targets: Vec<String> =
            self.patterns.keys().filter(|t| *t == name || t.starts_with(&prefix)).cloned().collect();
        for t in targets {
            self.patterns.remove(&t);
            self.scheduler.slots.remove(&t);
        }
        self.rebuild();
        self.retired_ports.push((self.generation, node.ports.into_owned()));
        Ok(format!("node '{name}' freed"))
    }

    // ---- controls ----------------------------------------------------------------------------

    pub fn set(&mut self, path: &str, value: f32) -> Result<String, SessionError> {
        if path == "master" {
            return self.master(value);
        }
        self.scheduler.fades.retain(|f| f.path != path);
        let (node, control) = self.split_path(path)?;
        let i = self.nodes.iter().position(|n| n.name == node).ok_or_else(|| SessionError::NoNode(node.into()))?;
        if control == "gain" && self.nodes[i].factory.info().control_index("gain").is_none() {
            let key = self.nodes[i].key;
            let g = value.clamp(0.0, 16.0);
            self.send_now(key, RtEventKind::Gain(g))?;
            self.nodes[i].gain = g;
            return Ok(format!("{path} = {g}"));
        }
        let c = Self::control_index(&self.nodes[i], control)?;
        let v = self.nodes[i].factory.info().controls[c].clamp(value);
        let key = self.nodes[i].key;
        self.send_now(key, RtEventKind::Set { control: c as u16, value: v })?;
        self.nodes[i].values[c] = v;
        Ok(format!("{path} = {v}"))
    }

    /// Move a control, a node's gain or `master` linearly to `target` over `cycles`, starting
    /// at the end of what is already scheduled. The model holds the target at once.
    pub fn fade(&mut self, path: &str, target: f32, cycles: f64) -> Result<String, SessionError> {
        let (fade_target, from, to) = if path == "master" {
            (FadeTarget::Master, self.master, target.clamp(0.0, 4.0))
        } else {
            let (node, control) = self.split_path(path)?;
            let i = self.nodes.iter().position(|n| n.name == node).ok_or_else(|| SessionError::NoNode(node.into()))?;
            let n = &self.nodes[i];
            if control == "gain" && n.factory.info().control_index("gain").is_none() {
                (FadeTarget::Gain { node: n.key }, n.gain, target.clamp(0.0, 16.0))
            } else {
                let c = Self::control_index(n, control)?;
                (
                    FadeTarget::Control { node: n.key, control: c as u16 },
                    n.values[c],
                    n.factory.info().controls[c].clamp(target),
                )
            }
        };
        let begin = self.scheduler.scheduled_until;
        let end = begin + kr_pattern::time::from_f64(cycles.max(0.0)).unwrap_or_default();
        self.scheduler.fades.retain(|f| f.path != path);
        self.scheduler.fades.push(Fade { path: path.into(), target: fade_target, from, to, begin, end });
        match fade_target {
            FadeTarget::Master => self.master = to,
            FadeTarget::Gain { node } | FadeTarget::Control { node, .. } => {
                if let Some(n) = self.nodes.iter_mut().find(|n| n.key == node) {
                    match fade_target {
                        FadeTarget::Control { control, .. } => n.values[control as usize] = to,
                        _ => n.gain = to,
                    }
                }
            }
        }
        Ok(format!("{path} → {to} over {cycles} cycle(s)"))
    }

    /// A control's (or a node's `gain`, or `master`'s) value as it sounds now: mid-fade, or as
    /// its pattern drives it; otherwise the value last set.
    pub fn get(&self, path: &str) -> Result<f32, SessionError> {
        let set = if path == "master" {
            self.master
        } else {
            let (node, control) = self.split_path(path)?;
            let n = self.node(node)?;
            if control == "gain" && n.factory.info().control_index("gain").is_none() {
                n.gain
            } else {
                n.values[Self::control_index(n, control)?]
            }
        };
        Ok(self.scheduler.current(path, &self.clock, self.now()).unwrap_or(set))
    }

    pub fn mute(&mut self, name: &str, on: bool) -> Result<String, SessionError> {
        let key = self.node(name)?.key;
        self.send_now(key, RtEventKind::Mute(on))?;
        if let Some(n) = self.nodes.iter_mut().find(|n| n.name == name) {
            n.muted = on;
        }
        Ok(format!("{name} {}", if on { "muted" } else { "unmuted" }))
    }

    /// Mute (or unmute) a node, or every node of a group (`drums` is `drums/kick`, `drums/hat`).
    pub fn mute_group(&mut self, name: &str, on: bool) -> Result<String, SessionError> {
        let members = self.group(name)?;
        for m in &members {
            self.mute(m, on)?;
        }
        Ok(format!("{} {}", members.join(", "), if on { "muted" } else { "unmuted" }))
    }

    /// The node `name` and the nodes under `name/`.
    pub fn group(&self, name: &str) -> Result<Vec<String>, SessionError> {
        let prefix = format!("{name}/");
        let members: Vec<String> = self
            .nodes
            .iter()
            .filter(|n| n.name == name || n.name.starts_with(&prefix))
            .map(|n| n.name.clone())
            .collect();
        if members.is_empty() {
            return Err(SessionError::NoNode(name.into()));
        }
        Ok(members)
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

    /// JACK now runs at `rate`: keep the cycle position, and re-create every node's instances at
    /// the new rate (crossfading, keeping control values).
    pub fn change_sample_rate(&mut self, rate: u32) -> Result<String, SessionError> {
        let at = self.scheduler.scheduled_until;
        let (old_rate, bpm, meter) = (self.sample_rate, self.clock.bpm, self.clock.meter);
        self.clock.set_tempo(bpm, meter, at);
        self.clock.sample_rate = rate as f64;
        self.sample_rate = rate;
        let nodes: Vec<(String, DspSource, Arc<Factory>, u32, f32)> = self
            .nodes
            .iter()
            .map(|n| (n.name.clone(), n.source.clone(), Arc::clone(&n.factory), n.count, n.gain))
            .collect();
        for (name, source, factory, count, gain) in nodes {
            self.node_new(&name, source, factory, count, gain)?;
        }
        Ok(format!("the sample rate changed from {old_rate} Hz to {rate} Hz; every node was re-created"))
    }

    /// Replace a node's client data.
    pub fn set_meta(&mut self, name: &str, meta: &str) -> Result<(), SessionError> {
        let n = self.nodes.iter_mut().find(|n| n.name == name).ok_or_else(|| SessionError::NoNode(name.into()))?;
        n.meta = meta.into();
        Ok(())
    }

    /// Nodes playing `faust:<type_name>`: (name, voices, gain).
    pub fn nodes_of_type(&self, type_name: &str) -> Vec<(String, u32, f32)> {
        self.nodes
            .iter()
            .filter(|n| matches!(&n.source, DspSource::File(t) if t == type_name))
            .map(|n| (n.name.clone(), n.count, n.gain))
            .collect()
    }

    /// Every node's compiled DSP, by node name.
    pub fn factories(&self) -> BTreeMap<String, Arc<Factory>> {
        self.nodes.iter().map(|n| (n.name.clone(), Arc::clone(&n.factory))).collect()
    }

    pub fn master(&mut self, gain: f32) -> Result<String, SessionError> {
        self.scheduler.fades.retain(|f| f.path != "master");
        self.send_now(0, RtEventKind::Master(gain))?;
        self.master = gain;
        Ok(format!("master = {gain}"))
    }

    // ---- routing -----------------------------------------------------------------------------

    pub fn route(&mut self, from: &str, to: &str, level: f32) -> Result<String, SessionError> {
        self.node(from)?;
        if self.node(to)?.factory.info().inputs == 0 {
            return Err(SessionError::NotAnEffect(to.into()));
        }
        if let Some(path) = self.path_between(to, from) {
            return Err(SessionError::Cycle { from: from.into(), to: to.into(), path });
        }
        match self.routes.iter_mut().find(|r| r.from == from && r.to == to) {
            Some(r) => r.level = level,
            None => self.routes.push(Route { from: from.into(), to: to.into(), level }),
        }
        self.rebuild();
        Ok(format!("{from} → {to} at {level}"))
    }

    pub fn unroute(&mut self, from: &str, to: &str) -> Result<String, SessionError> {
        let before = self.routes.len();
        self.routes.retain(|r| !(r.from == from && r.to == to));
        if self.routes.len() == before {
            return Err(SessionError::NoRoute { from: from.into(), to: to.into() });
        }
        self.rebuild();
        Ok(format!("{from} → {to} removed"))
    }

    /// A route path from `a` to `b` as text, if one exists (`a → x → b`).
    fn path_between(&self, a: &str, b: &str) -> Option<String> {
        if a == b {
            return Some(format!("{a} → {a}"));
        }
        let mut stack = vec![vec![a.to_string()]];
        while let Some(path) = stack.pop() {
            let last = path.last()?.clone();
            for r in self.routes.iter().filter(|r| r.from == last) {
                if path.contains(&r.to) {
                    continue;
                }
                let mut p = path.clone();
                p.push(r.to.clone());
                if r.to == b {
                    return Some(p.join(" → "));
                }
                stack.push(p);
            }
        }
        None
    }

    // ---- patterns and transport --------------------------------------------------------------

    fn target_for(&self, target: &str) -> Result<Target, SessionError> {
        if let Ok(n) = self.node(target) {
            let info = n.factory.info();
            let find =
                |name: &str| info.control_index(name).filter(|&i| !info.controls[i].kind.is_output()).map(|i| i as u16);
            return Ok(Target::Notes(NoteTarget {
                node: n.key,
                voices: n.count as u16,
                freq: find("freq"),
                midi: find("note").or_else(|| find("midi")),
                gate: find("gate"),
                controls: info
                    .controls
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| !c.kind.is_output())
                    .map(|(i, c)| (c.label.clone(), i as u16))
                    .collect(),
            }));
        }
        let (node, control) = self.split_path(target)?;
        let n = self.node(node)?;
        let c = Self::control_index(n, control)?;
        Ok(Target::Control { node: n.key, control: c as u16 })
    }

    pub fn play(&mut self, target: &str, ir: Ir, from_zero: bool) -> Result<String, SessionError> {
        let t = self.target_for(target)?;
        let pattern = ir.to_pattern().map_err(|e| SessionError::Pattern(e.to_string()))?;
        let offset = if from_zero { self.scheduler.scheduled_until.ceil() } else { Time::from_integer(0) };
        self.scheduler.slots.insert(target.into(), Slot { target: t, pattern, offset });
        self.patterns.insert(target.into(), PlayingPattern { ir, from_zero });
        Ok(format!("playing on {target}"))
    }

    /// After a redefinition, re-resolve control indices of the patterns on that node.
    fn retarget_patterns(&mut self, node: &str) {
        let prefix = format!("{node}/");
        let targets: Vec<String> =
            self.scheduler.slots.keys().filter(|t| *t == node || t.starts_with(&prefix)).cloned().collect();
        for t in targets {
            match self.target_for(&t) {
                Ok(target) => {
                    if let Some(s) = self.scheduler.slots.get_mut(&t) {
                        s.target = target;
                    }
                }
                Err(_) => {
                    self.scheduler.slots.remove(&t);
                    self.patterns.remove(&t);
                }
            }
        }
    }

    pub fn hush(&mut self, target: Option<&str>) -> Result<String, SessionError> {
        match target {
            None => {
                self.scheduler.slots.clear();
                self.patterns.clear();
                Ok("all patterns stopped".into())
            }
            Some(t) => {
                // The pattern on `t` itself; or, when there is none, every pattern under `t/` (a
                // group: `drums` stops `drums/kick` and `drums/hat`).
                let prefix = format!("{t}/");
                let stopped: Vec<String> = if self.patterns.contains_key(t) {
                    vec![t.to_string()]
                } else {
                    self.patterns.keys().filter(|k| k.starts_with(&prefix)).cloned().collect()
                };
                if stopped.is_empty() {
                    return Err(SessionError::NothingPlaying(t.into()));
                }
                for k in &stopped {
                    self.patterns.remove(k);
                    self.scheduler.slots.remove(k);
                }
                Ok(format!("{} stopped", stopped.join(", ")))
            }
        }
    }

    /// Tempo and meter change at the end of what is already scheduled, so nothing jumps.
    pub fn tempo(&mut self, bpm: Option<f64>, meter: Option<f64>) -> Result<String, SessionError> {
        let bpm = bpm.unwrap_or(self.clock.bpm);
        let meter = meter.unwrap_or(self.clock.meter);
        let at = self.scheduler.scheduled_until;
        self.clock.set_tempo(bpm, meter, at);
        Ok(format!("tempo {bpm} bpm, {meter} beats per cycle"))
    }

    /// Schedule ahead of the audio clock and tidy up after finished crossfades.
    pub fn tick(&mut self) {
        let now = self.now();
        let horizon = now + (self.settings.lookahead_seconds * self.sample_rate as f64) as u64;
        if self.clock.grid_cycle_at(now) > self.scheduler.scheduled_until {
            // The clock ran past what was scheduled (start-up, or a stall): skip, don't burst.
            self.scheduler.scheduled_until = self.clock.grid_cycle_at(now);
        }
        // Query in steps of a quarter of the lookahead, not on every tick: events stay at least
        // three quarters of the lookahead ahead of the clock, and each query covers more time.
        let step = (self.settings.lookahead_seconds * self.clock.cps() / 4.0).max(0.0);
        let ahead = self.clock.cycle_at(horizon)
            - num_traits::ToPrimitive::to_f64(&self.scheduler.scheduled_until).unwrap_or(0.0);
        let link = &mut self.link;
        let mut full = false;
        if ahead >= step {
            self.scheduler.tick(&self.clock, horizon, &mut |ev| full |= !link.send(ev));
        }
        if full {
            link.telemetry.dropped_events.fetch_add(1, Relaxed);
        }
        for target in std::mem::take(&mut self.scheduler.failed) {
            self.patterns.remove(&target);
        }
        if self.nodes.iter().any(|n| matches!(n.prev, Some((_, until)) if until <= now)) {
            for n in &mut self.nodes {
                if matches!(n.prev, Some((_, until)) if until <= now) {
                    n.prev = None;
                }
            }
            self.rebuild();
        }
        self.release_ports();
        self.collector.collect();
    }

    /// Unregister retired ports whose last graph the audio thread no longer runs.
    fn release_ports(&mut self) {
        let applied = self.link.telemetry.generation.load(Relaxed);
        let (done, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.retired_ports).into_iter().partition(|(g, _)| *g <= applied);
        self.retired_ports = keep;
        for (_, ports) in done {
            self.ports.unregister(ports);
        }
    }

    /// Before registering ports: wait (a few blocks at most) until retired ports can go, so a
    /// node freed and created again under the same name gets its port names back.
    fn settle_ports(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while !self.retired_ports.is_empty() && std::time::Instant::now() < deadline {
            self.release_ports();
            if !self.retired_ports.is_empty() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    // ---- the real-time graph -----------------------------------------------------------------

    /// Nodes in an order where every route goes forward (routes are acyclic by construction).
    fn topological_order(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let index: BTreeMap<&str, usize> = self.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        let mut indegree = vec![0usize; n];
        for r in &self.routes {
            if let Some(&t) = index.get(r.to.as_str()) {
                indegree[t] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop() {
            order.push(i);
            for r in self.routes.iter().filter(|r| r.from == self.nodes[i].name) {
                if let Some(&t) = index.get(r.to.as_str()) {
                    indegree[t] -= 1;
                    if indegree[t] == 0 {
                        ready.push(t);
                    }
                }
            }
        }
        order
    }

    /// Start recording master (or a node) to `file`: absolute, or relative to the recording
    /// folder.
    pub fn record_start(&mut self, file: &str, target: Option<&str>) -> Result<String, SessionError> {
        let bad = |message: String| SessionError::Record(message);
        let channels = match target {
            None => 2,
            Some(t) => self.node(t)?.factory.info().outputs,
        };
        let path = std::path::Path::new(file);
        let path = if path.is_absolute() { path.to_path_buf() } else { self.settings.record_dir.join(path) };
        if self.recordings.iter().any(|r| r.path == path) {
            return Err(bad(format!("{} is already being recorded", path.display())));
        }
        let handle = self.collector.handle();
        let rec =
            crate::record::Recording::start(&handle, &path, target.map(String::from), channels, self.sample_rate, 0)
                .map_err(bad)?;
        self.recordings.push(rec);
        self.rebuild();
        Ok(format!("recording {} to {}", target.unwrap_or("master"), path.display()))
    }

    /// Stop one recording (by file as given to `record_start`, or its full path), or all.
    pub fn record_stop(&mut self, file: Option<&str>) -> Result<String, SessionError> {
        let matches = |r: &crate::record::Recording| match file {
            None => true,
            Some(f) => r.path == std::path::Path::new(f) || r.path == self.settings.record_dir.join(f),
        };
        let (stopped, keep): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.recordings).into_iter().partition(|r| matches(r));
        self.recordings = keep;
        if stopped.is_empty() {
            return Err(SessionError::Record(match file {
                Some(f) => format!("nothing is being recorded to {f}"),
                None => "nothing is being recorded".into(),
            }));
        }
        self.rebuild();
        // The disk threads finish once the audio thread has let go of their taps.
        self.wait_for_graph(self.generation);
        let mut messages = Vec::new();
        for r in stopped {
            messages.push(self.finish_recording(r)?);
        }
        Ok(messages.join("; "))
    }

    fn finish_recording(&mut self, r: crate::record::Recording) -> Result<String, SessionError> {
        let collector = &mut self.collector;
        r.finish(|| {
            // The replaced graph, then its taps, are freed by the collector (two rounds).
            collector.collect();
            collector.collect();
        })
        .map_err(SessionError::Record)
    }

    /// Wait (briefly) until the audio thread runs graph `generation` or a later one.
    fn wait_for_graph(&self, generation: u64) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(500);
        while self.link.telemetry.generation.load(Relaxed) < generation && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Who is heard while something is soloed (solo in place): soloed nodes and everything they
    /// feed reach master; nodes feeding a soloed node keep their sends but not their direct
    /// output. With nothing soloed, everyone is heard. Indexed like `self.nodes`.
    fn solo_reach(&self) -> (Vec<bool>, Vec<bool>) {
        let n = self.nodes.len();
        if !self.nodes.iter().any(|m| m.soloed) {
            return (vec![true; n], vec![true; n]);
        }
        let index: BTreeMap<&str, usize> = self.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect();
        let walk = |forward: bool| {
            let mut reached: Vec<bool> = self.nodes.iter().map(|m| m.soloed).collect();
            let mut stack: Vec<usize> = (0..n).filter(|&i| reached[i]).collect();
            while let Some(i) = stack.pop() {
                for r in &self.routes {
                    let (from, to) = if forward { (&r.from, &r.to) } else { (&r.to, &r.from) };
                    if *from == self.nodes[i].name {
                        if let Some(&j) = index.get(to.as_str()) {
                            if !reached[j] {
                                reached[j] = true;
                                stack.push(j);
                            }
                        }
                    }
                }
            }
            reached
        };
        let downstream = walk(true);
        let upstream = walk(false);
        let sends = downstream.iter().zip(&upstream).map(|(d, u)| *d || *u).collect();
        (downstream, sends)
    }

    /// Solo a node (or stop soloing it).
    pub fn solo(&mut self, name: &str, on: bool) -> Result<String, SessionError> {
        let members = self.group(name)?;
        for n in self.nodes.iter_mut().filter(|n| members.contains(&n.name)) {
            n.soloed = on;
        }
        self.rebuild();
        Ok(format!("{} {}", members.join(", "), if on { "soloed" } else { "unsoloed" }))
    }

    fn rebuild(&mut self) {
        let order = self.topological_order();
        let position: BTreeMap<&str, usize> =
            order.iter().enumerate().map(|(pos, &i)| (self.nodes[i].name.as_str(), pos)).collect();
        let (to_master, sends_on) = self.solo_reach();
        let nodes: Vec<RtNode> = order
            .iter()
            .map(|&i| {
                let m = &self.nodes[i];
                let sends = self
                    .routes
                    .iter()
                    .filter(|r| r.from == m.name && sends_on[i])
                    .filter_map(|r| position.get(r.to.as_str()).map(|&p| (p, r.level)))
                    .collect();
                let (in_ports, out_ports) = m.ports.unowned_copies();
                RtNode {
                    key: m.key,
                    cell: m.cell.clone(),
                    prev: m.prev.as_ref().map(|p| p.0.clone()),
                    sends,
                    out_ports,
                    in_ports,
                    to_master: to_master[i],
                }
            })
            .collect();
        let mut index: Vec<(u32, usize)> = nodes.iter().enumerate().map(|(p, n)| (n.key, p)).collect();
        index.sort_unstable();
        self.generation += 1;
        let taps = self
            .recordings
            .iter()
            .filter_map(|r| {
                let source = match &r.target {
                    None => TapSource::Master,
                    Some(t) => TapSource::Node(*position.get(t.as_str())?),
                };
                Some(RtTap { source, cell: r.cell.clone() })
            })
            .collect();
        let graph = RtGraph { nodes, index, generation: self.generation, taps };
        if !self.link.publish(graph) {
            tracing::error!("graph ring full: the audio thread is not running");
        }
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
