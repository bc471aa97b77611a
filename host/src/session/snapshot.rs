//! Snapshots of the session: the state dump, scenes, the state file, and re-creating a session
//! from a snapshot (scene recall and restore on start).

use super::midi::MidiSnapshot;
use super::model::NodeModel;
use super::{Session, SessionError};
use kr_faust::Factory;
use kr_osc::DspSource;
use kr_pattern::ir::Ir;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Everything needed to rebuild a session: what the state file and scenes hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub tempo: f64,
    pub meter: f64,
    pub master: f32,
    pub nodes: Vec<NodeSnapshot>,
    pub routes: Vec<RouteSnapshot>,
    pub patterns: Vec<PatternSnapshot>,
    /// MIDI outs and mappings (absent from files written before there were any).
    #[serde(default, skip_serializing_if = "MidiSnapshot::is_empty")]
    pub midi: MidiSnapshot,
    /// The Link quantum (cycles) when krd follows a Link session: only the state file uses it
    /// (a scene recall leaves Link as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<f64>,
}

impl Snapshot {
    /// Whether a pattern plays notes on node `name` (a pattern on the node itself, not on one
    /// of its controls).
    pub fn plays_notes_on(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| p.target == name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeSnapshot {
    pub name: String,
    /// Wire form: FAUST source or `faust:<type>`.
    pub source: String,
    pub count: u32,
    pub gain: f32,
    pub muted: bool,
    pub soloed: bool,
    pub controls: BTreeMap<String, f32>,
    #[serde(default)]
    pub meta: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteSnapshot {
    pub from: String,
    pub to: String,
    pub level: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternSnapshot {
    pub target: String,
    /// Pattern IR, `{"v":1,"p":...}`.
    pub pattern: serde_json::Value,
    pub from_zero: bool,
}

impl Session {
    /// The session as a snapshot.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            tempo: self.clock.bpm,
            meter: self.clock.meter,
            master: self.master,
            link: self.link_saved(),
            nodes: self
                .model
                .nodes()
                .iter()
                .map(|n| NodeSnapshot {
                    name: n.name.clone(),
                    source: n.source.to_wire(),
                    count: n.count,
                    gain: n.gain,
                    muted: n.muted,
                    soloed: n.soloed,
                    meta: n.meta.clone(),
                    controls: n
                        .factory
                        .info()
                        .controls
                        .iter()
                        .zip(&n.values)
                        .filter(|(c, _)| !c.kind.is_output())
                        .map(|(c, v)| (c.path.clone(), *v))
                        .collect(),
                })
                .collect(),
            routes: self
                .model
                .routes()
                .iter()
                .map(|r| RouteSnapshot { from: r.from.clone(), to: r.to.clone(), level: r.level })
                .collect(),
            patterns: self
                .scheduler
                .slots()
                .map(|(t, p)| PatternSnapshot {
                    target: t.clone(),
                    pattern: serde_json::from_str(&p.ir().to_json()).unwrap_or_default(),
                    from_zero: p.from_zero(),
                })
                .collect(),
            midi: self.midi_snapshot(),
        }
    }

    /// The state file's contents: the session and its scenes.
    pub fn state_json(&self) -> String {
        let patchbay = self.rt.patchbay();
        json!({"version": crate::state::VERSION, "session": self.snapshot(), "scenes": self.scenes.all(), "patchbay": patchbay})
            .to_string()
    }

    /// One node as the dump lists it.
    fn describe(&self, n: &NodeModel) -> serde_json::Value {
        let info = n.factory.info();
        let client = &self.settings.client_name;
        let controls: Vec<_> = info
            .controls
            .iter()
            .zip(&n.values)
            .map(|(c, v)| json!({"name": c.path, "kind": c.kind, "value": v, "init": c.init, "min": c.min, "max": c.max, "step": c.step}))
            .collect();
        let ports: Vec<String> = (1..=info.inputs)
            .map(|i| format!("{client}:{}/in_{i}", n.name))
            .chain((1..=info.outputs).map(|i| format!("{client}:{}/out_{i}", n.name)))
            .collect();
        json!({
            "name": n.name, "source": n.source.to_wire(), "count": n.count, "lanes": n.lanes, "gain": n.gain,
            "muted": n.muted, "soloed": n.soloed, "inputs": info.inputs, "outputs": info.outputs,
            "meta": n.meta,
            "controls": controls, "ports": ports,
        })
    }

    /// `/kr/node/info`: the node as the dump lists it, and the targets of its patterns.
    pub fn node_info(&self, name: &str) -> Result<serde_json::Value, SessionError> {
        let mut v = self.describe(self.model.get(name)?);
        v["patterns"] = json!(self.scheduler.targets_of(name));
        Ok(v)
    }

    /// The node names, in creation order.
    pub fn node_names(&self) -> Vec<String> {
        self.model.nodes().iter().map(|n| n.name.clone()).collect()
    }

    /// The session as JSON for `/kr/dump`: the snapshot plus what the engine knows about each
    /// node (channels, ports, control ranges), the clock and the scene names.
    pub fn dump(&self) -> serde_json::Value {
        let nodes: Vec<_> = self.model.nodes().iter().map(|n| self.describe(n)).collect();
        let snap = self.snapshot();
        json!({
            "client": self.settings.client_name,
            "tempo": snap.tempo, "meter": snap.meter, "master": snap.master, "link": snap.link,
            "clock": {
                "sample_rate": self.sample_rate, "origin_frame": self.clock.origin_frame,
                "origin_cycle": [*self.clock.origin_cycle.numer(), *self.clock.origin_cycle.denom()],
                "cps": self.clock.cps(), "frame": self.now(),
            },
            "nodes": nodes, "routes": snap.routes, "patterns": snap.patterns, "midi": snap.midi,
            "scenes": self.scenes.names(),
        })
    }

    // ---- scenes ------------------------------------------------------------------------------

    pub fn scene_save(&mut self, name: &str) -> Result<String, SessionError> {
        self.scenes.save(name, self.snapshot());
        Ok(format!("scene '{name}' saved"))
    }

    pub fn scene_delete(&mut self, name: &str) -> Result<String, SessionError> {
        self.scenes.delete(name).map(|_| format!("scene '{name}' deleted"))
    }

    pub fn scene_names(&self) -> Vec<String> {
        self.scenes.names()
    }

    pub fn scene(&self, name: &str) -> Result<Snapshot, SessionError> {
        self.scenes.get(name).cloned()
    }

    /// Every scene (to put back after a failed bundle).
    pub fn scene_map(&self) -> BTreeMap<String, Snapshot> {
        self.scenes.all().clone()
    }

    /// Replace the scenes (restoring the state file, undoing a failed bundle).
    pub fn set_scenes(&mut self, scenes: BTreeMap<String, Snapshot>) {
        self.scenes.replace(scenes);
    }

    // ---- rebuilding from a snapshot ----------------------------------------------------------

    /// The nodes of `snap` whose DSP must be compiled (new ones, and ones whose source changed):
    /// name, source and voice count.
    pub fn compile_needs(&self, snap: &Snapshot) -> Vec<(String, DspSource, u32)> {
        snap.nodes
            .iter()
            .filter(|s| !self.model.nodes().iter().any(|n| n.name == s.name && n.source.to_wire() == s.source))
            .map(|s| (s.name.clone(), DspSource::parse(&s.source), s.count))
            .collect()
    }

    /// Make the session equal `snap`. `factories` holds the compiled DSP of every node listed by
    /// [`Session::compile_needs`]. With `fade_cycles` > 0, gains, controls and master move there
    /// over that many cycles instead of jumping; otherwise they change at frame `at`. Everything
    /// is checked before anything changes.
    pub fn apply_snapshot(
        &mut self,
        snap: &Snapshot,
        factories: &BTreeMap<String, Arc<Factory>>,
        fade_cycles: f64,
        at: u64,
    ) -> Result<String, SessionError> {
        let patterns: Vec<(String, Ir, bool)> = snap
            .patterns
            .iter()
            .map(|p| Ir::from_json(&p.pattern.to_string()).map(|ir| (p.target.clone(), ir, p.from_zero)))
            .collect::<Result<_, _>>()
            .map_err(|e| SessionError::Pattern(e.to_string()))?;
        for (name, ..) in self.compile_needs(snap) {
            if !factories.contains_key(&name) {
                return Err(SessionError::Dsp { name, message: "no compiled DSP for this node".into() });
            }
        }
        let keep: Vec<&str> = snap.nodes.iter().map(|n| n.name.as_str()).collect();
        let gone: Vec<String> =
            self.model.nodes().iter().filter(|n| !keep.contains(&n.name.as_str())).map(|n| n.name.clone()).collect();
        for name in gone {
            self.node_free(&name)?;
        }
        let glide = (RECALL_GLIDE_SECONDS * self.clock.sample_rate).round() as u32;
        let moves = Moves { fade_cycles, at, glide };
        for s in &snap.nodes {
            self.apply_node(s, factories, moves, snap.plays_notes_on(&s.name))?;
        }
        self.apply_routes(&snap.routes)?;
        self.apply_midi_outs(&snap.midi)?;
        self.apply_midi_maps(&snap.midi)?;
        self.apply_patterns(patterns)?;
        if (snap.tempo, snap.meter) != (self.clock.bpm, self.clock.meter) {
            self.tempo(Some(snap.tempo), Some(snap.meter))?;
        }
        moves.apply(self, "master", snap.master)?;
        Ok(format!("{} node(s), {} route(s), {} pattern(s)", snap.nodes.len(), snap.routes.len(), snap.patterns.len()))
    }

    /// Rebuild a saved session (krd's start), keeping everything that can be kept: a node whose
    /// DSP did not compile (no entry in `factories`) or whose saved values are out of range is
    /// skipped, as are routes and patterns that name it; everything restored passes the checks a
    /// command would. Returns what was skipped, one line each.
    pub fn restore(
        &mut self,
        snap: &Snapshot,
        compiled: &BTreeMap<String, Result<Arc<Factory>, String>>,
    ) -> Vec<String> {
        let factories: BTreeMap<String, Arc<Factory>> =
            compiled.iter().filter_map(|(k, v)| v.as_ref().ok().map(|f| (k.clone(), Arc::clone(f)))).collect();
        let mut problems = Vec::new();
        let mut keep = |what: String, r: Result<String, SessionError>| {
            if let Err(e) = r {
                problems.push(format!("{what}: {e}"));
            }
        };
        keep("tempo and meter".into(), self.tempo(Some(snap.tempo), Some(snap.meter)));
        for n in &snap.nodes {
            let r = match compiled.get(&n.name) {
                Some(Err(e)) => Err(SessionError::Dsp { name: n.name.clone(), message: e.clone() }),
                _ => self.restore_node(n, &factories, snap.plays_notes_on(&n.name)).map(|_| String::new()),
            };
            if r.is_err() && self.model.get(&n.name).is_ok() {
                let _ = self.node_free(&n.name);
            }
            keep(format!("node '{}' skipped", n.name), r);
        }
        for r in &snap.routes {
            keep(format!("route {} → {} skipped", r.from, r.to), self.route(&r.from, &r.to, r.level));
        }
        keep("MIDI outs".into(), self.apply_midi_outs(&snap.midi).map(|_| String::new()));
        keep("MIDI mappings".into(), self.apply_midi_maps(&snap.midi).map(|_| String::new()));
        for p in &snap.patterns {
            let played = Ir::from_json(&p.pattern.to_string())
                .map_err(|e| SessionError::Pattern(e.to_string()))
                .and_then(|ir| self.play(&p.target, ir, p.from_zero));
            keep(format!("pattern on {} skipped", p.target), played);
        }
        keep("master".into(), self.master(snap.master, crate::rt::NEXT_BLOCK));
        if let Some(quantum) = snap.link {
            keep("Link".into(), self.link(true, quantum));
        }
        problems
    }

    /// One saved node, checked as `/kr/node/new` and `/kr/set` would check it.
    fn restore_node(
        &mut self,
        n: &NodeSnapshot,
        factories: &BTreeMap<String, Arc<Factory>>,
        notes: bool,
    ) -> Result<(), SessionError> {
        let limits = kr_osc::Limits::default();
        kr_osc::check_name(&n.name, &limits).map_err(SessionError::Unsupported)?;
        if !(1..=limits.max_voices).contains(&n.count) {
            return Err(SessionError::OutOfRange {
                what: "voices".into(),
                value: n.count.into(),
                range: (1.0, limits.max_voices.into()),
            });
        }
        if !(0.0..=kr_osc::MAX_GAIN as f32).contains(&n.gain) {
            return Err(SessionError::OutOfRange {
                what: "gain".into(),
                value: n.gain.into(),
                range: (0.0, kr_osc::MAX_GAIN),
            });
        }
        if let Some((c, v)) = n.controls.iter().find(|(_, v)| !v.is_finite()) {
            return Err(SessionError::OutOfRange {
                what: format!("control {c}"),
                value: (*v).into(),
                range: (f64::MIN, f64::MAX),
            });
        }
        if !factories.contains_key(&n.name) {
            return Err(SessionError::Dsp { name: n.name.clone(), message: "its DSP did not compile".into() });
        }
        self.apply_node(n, factories, Moves { fade_cycles: 0.0, at: crate::rt::NEXT_BLOCK, glide: 0 }, notes)
    }

    /// Make node `s.name` equal its snapshot (creating or redefining it when `factories` has a
    /// DSP for it, or its voice count changed).
    fn apply_node(
        &mut self,
        s: &NodeSnapshot,
        factories: &BTreeMap<String, Arc<Factory>>,
        moves: Moves,
        notes: bool,
    ) -> Result<(), SessionError> {
        let existing = self.model.get(&s.name).ok();
        let factory = match (factories.get(&s.name), existing) {
            (Some(f), _) => Some(Arc::clone(f)),
            (None, Some(n)) if n.count != s.count => Some(Arc::clone(&n.factory)),
            _ => None,
        };
        if let Some(f) = factory {
            self.node_new(&s.name, DspSource::parse(&s.source), f, s.count, s.gain)?;
        }
        // On a node a pattern plays notes on, the gate belongs to the notes (a gate value saved
        // mid-note is not restored: it would hold every voice up) and the pitch is set at once,
        // never faded (a gliding pitch, or a fading gate, would fight the notes until the fade
        // ends); the notes then set both as they play.
        let at_once = Moves { fade_cycles: 0.0, at: moves.at, glide: 0 };
        for (control, v) in &s.controls {
            let path = format!("{}/{control}", s.name);
            match (notes, control.as_str()) {
                (true, "gate") => {}
                (true, c) if PITCH_CONTROLS.contains(&c) => {
                    at_once.apply(self, &path, *v)?;
                }
                _ => {
                    moves.apply(self, &path, *v)?;
                }
            }
        }
        if self.model.get(&s.name)?.gain_is_fader() {
            moves.apply(self, &format!("{}/gain", s.name), s.gain)?;
        }
        self.mute(&s.name, s.muted, moves.at)?;
        self.set_meta(&s.name, &s.meta)?;
        if self.model.get(&s.name)?.soloed != s.soloed {
            self.solo(&s.name, s.soloed)?;
        }
        Ok(())
    }

    /// Remove the routes `routes` lacks, then add or re-level the rest.
    fn apply_routes(&mut self, routes: &[RouteSnapshot]) -> Result<(), SessionError> {
        let now: Vec<(String, String)> = self.model.routes().iter().map(|r| (r.from.clone(), r.to.clone())).collect();
        for (from, to) in now {
            if !routes.iter().any(|r| r.from == from && r.to == to) {
                self.unroute(&from, &to)?;
            }
        }
        for r in routes {
            self.route(&r.from, &r.to, r.level)?;
        }
        Ok(())
    }

    /// Stop the patterns `patterns` lacks; start the new and changed ones (unchanged ones keep
    /// playing undisturbed).
    fn apply_patterns(&mut self, patterns: Vec<(String, Ir, bool)>) -> Result<(), SessionError> {
        let playing: Vec<String> = self.scheduler.slots().map(|(t, _)| t.clone()).collect();
        for t in playing {
            if !patterns.iter().any(|(p, _, _)| *p == t) {
                self.hush(Some(&t))?;
            }
        }
        for (target, ir, from_zero) in patterns {
            let unchanged =
                self.scheduler.slots().any(|(t, p)| *t == target && *p.ir() == ir && p.from_zero() == from_zero);
            if !unchanged {
                self.play(&target, ir, from_zero)?;
            }
        }
        Ok(())
    }
}

/// The pitch controls notes set: restored at once, never faded, on a node a pattern plays.
const PITCH_CONTROLS: &[&str] = &["freq", "note", "midi"];

/// A recall at once moves controls to the scene's values over this long: a jump would click in
/// a control the DSP does not smooth (a level, a cutoff).
const RECALL_GLIDE_SECONDS: f64 = 0.005;

/// How values move to a snapshot's: faded over cycles, or from a frame, set or (controls)
/// gliding over `glide` frames.
#[derive(Clone, Copy)]
struct Moves {
    fade_cycles: f64,
    at: u64,
    glide: u32,
}

impl Moves {
    /// Move `path` to `value`; a pattern playing on it plays on (the snapshot's patterns are
    /// applied after its values).
    fn apply(self, session: &mut Session, path: &str, value: f32) -> Result<String, SessionError> {
        if self.fade_cycles > 0.0 {
            session.fade_value(path, value, self.fade_cycles)
        } else if self.glide > 0 {
            session.glide_value(path, value, self.at, self.glide)
        } else {
            session.set_value(path, value, self.at)
        }
    }
}
