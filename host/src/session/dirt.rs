//! `/dirt/play` events (and patterns on orbits) on the session: what `s` names, and playing it
//! at the event's frame. `s` names, in this order: a kr node (a note on it, keys naming its
//! controls set at the onset), a sample bank (a voice on orbit node `orbitN`), a bundled Dirt
//! synth (a node of that name made on first use); anything else is reported.

use super::model::OrbitSampler;
use super::Session;
use crate::dirt::builtin::{self, ORBIT_TYPE};
use crate::dirt::library::{BankInfo, Lookup};
use crate::dirt::{plan, DirtEvent, DirtValue, SampleLibrary, SampleTrigger, Sampler, SamplerCell};
use crate::rt::{RtEvent, RtEventKind, ALL_VOICES};
use crate::scheduler::{NoteValue, Target};
use basedrop::Shared;
use kr_faust::Factory;
use kr_osc::DspSource;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Voices of a Dirt synth node made on first use.
const SYNTH_VOICES: u32 = 8;

/// Keys that say how and when an event plays, never a control of the node it plays on.
const EVENT_KEYS: &[&str] = &[
    "s", "n", "note", "freq", "midinote", "octave", "cps", "cycle", "delta", "orbit", "_id_", "legato", "sustain",
    "nudge", "latency", "lag", "offset", "cut", "unit",
];

/// The orbit-wide settings an orbit's latest event sets (SuperDirt's global effects).
const ORBIT_KEYS: &[&str] = &["room", "size", "dry", "delay", "delaytime", "delayfeedback", "lock"];

/// Why an event did not play (yet).
#[derive(Debug, Clone, PartialEq)]
pub enum DirtMiss {
    /// What it needs is being prepared (a sample loading, the orbit program compiling): ask
    /// again soon.
    Wait,
    /// `s` names no node, bank or synth.
    Unknown(String),
    /// It cannot play: the message says why.
    Problem(String),
}

/// How long an event may wait for its sample before it is given up (and reported); programs
/// being compiled are waited for until the compiler answers (it has a timeout of its own).
const GIVE_UP: Duration = Duration::from_secs(30);
/// Events waiting at most; past this a new one is reported instead of held.
const MAX_WAITING: usize = 4096;

/// What became of Dirt events so far (reported in `/kr/status`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DirtCounters {
    /// Events played (notes and samples).
    pub played: u64,
    /// Played after their time (they arrived late, or their sample was still loading).
    pub late: u64,
    /// `s` named nothing krd has.
    pub unknown: u64,
    /// Unreadable messages, unplayable events, files that cannot be read, full queues.
    pub failed: u64,
}

/// The Dirt part of a session: the sample library, the bundled programs compiled so far, which
/// orbit-wide keys each orbit has seen, events waiting for a sample, and what to report.
pub struct DirtState {
    library: SampleLibrary,
    /// Bundled programs by type: compiled, or why not (absent: still compiling).
    factories: BTreeMap<String, Result<Arc<Factory>, String>>,
    orbits: u32,
    seen: BTreeMap<u32, BTreeSet<&'static str>>,
    waiting: Vec<(u64, DirtEvent, Instant)>,
    /// Problems to report: (what it is about, message).
    problems: Vec<(String, String)>,
    counters: DirtCounters,
}

impl DirtState {
    pub fn new(library: SampleLibrary, orbits: u32) -> DirtState {
        DirtState {
            library,
            factories: BTreeMap::new(),
            orbits: orbits.max(1),
            seen: BTreeMap::new(),
            waiting: Vec::new(),
            problems: Vec::new(),
            counters: DirtCounters::default(),
        }
    }
}

impl Session {
    /// A bundled program is compiled (`dirt/orbit`, `dirt/superpiano`, ...).
    pub fn dirt_factory(&mut self, type_name: &str, factory: Result<Arc<Factory>, String>) {
        self.dirt.factories.insert(type_name.into(), factory);
    }

    /// A bundled program: Wait while it compiles, a Problem if it did not.
    fn bundled(&self, type_name: &str) -> Result<Arc<Factory>, DirtMiss> {
        match self.dirt.factories.get(type_name) {
            None => Err(DirtMiss::Wait),
            Some(Ok(f)) => Ok(Arc::clone(f)),
            Some(Err(e)) => Err(DirtMiss::Problem(format!("faust:{type_name} does not compile here: {e}"))),
        }
    }

    /// The sample library.
    pub fn samples(&mut self) -> &mut SampleLibrary {
        &mut self.dirt.library
    }

    pub fn samples_loaded_bytes(&self) -> u64 {
        self.dirt.library.loaded_bytes()
    }

    pub fn samples_list(&mut self) -> Vec<BankInfo> {
        self.dirt.library.list()
    }

    /// A sample player for a node of source `source`, when that is the orbit program.
    pub(super) fn orbit_sampler(&self, source: &DspSource) -> Option<OrbitSampler> {
        if *source != DspSource::File(ORBIT_TYPE.into()) {
            return None;
        }
        let (sampler, triggers) = Sampler::new(self.sample_rate);
        Some(OrbitSampler { cell: Shared::new(&self.rt.handle(), SamplerCell::new(sampler)), triggers })
    }

    /// Play a `/dirt/play` event at `frame`.
    pub fn dirt_play(&mut self, ev: &DirtEvent, frame: u64) -> Result<(), DirtMiss> {
        let name = ev.sound().to_string();
        if name == "~" || name == "\\" {
            return Ok(());
        }
        if self.model.get(&name).is_ok_and(|n| n.sampler.is_none()) {
            return self.dirt_note(&name, ev, frame);
        }
        if let Some(Target::Midi { out, channel }) = self.midi_target(&name) {
            self.dirt_midi(out, channel, ev, frame);
            return Ok(());
        }
        if self.dirt.library.bank(&name).is_some() {
            return self.dirt_sample(&name, ev, frame);
        }
        if let Some(t) = builtin::synth_type(&name) {
            if self.model.get(&name).is_err() {
                let factory = self.bundled(t)?;
                self.node_new(&name, DspSource::File(t.into()), factory, SYNTH_VOICES, 1.0)
                    .map_err(|e| DirtMiss::Problem(e.to_string()))?;
            }
            return self.dirt_note(&name, ev, frame);
        }
        Err(DirtMiss::Unknown(name))
    }

    /// An event on a MIDI out: a note (SuperDirt's pitch and length rules) when the event names
    /// a pitch (`note`, `n`, `midinote`, `freq`), and the controllers and program it names.
    fn dirt_midi(&mut self, out: u32, channel: u8, ev: &DirtEvent, frame: u64) {
        let controls = numbers(ev).collect();
        let pitched = ["note", "n", "midinote", "freq"].iter().any(|k| ev.num(k).is_some());
        let midi = pitched.then(|| crate::scheduler::hz_to_midi(plan::frequency(ev, true)));
        let plan = crate::midi::plan(&NoteValue { midi, controls, ..NoteValue::default() }, channel);
        let frame = frame.max(self.now());
        let mut messages: Vec<(u64, crate::rt::midi::MidiMessage)> =
            plan.onset.into_iter().map(|m| (frame, m)).collect();
        if let Some((ch, key)) = plan.note {
            let seconds = plan::synth_sustain(ev).clamp(0.0, 3600.0);
            let off = frame + ((seconds * self.sample_rate as f64).round() as u64).max(1);
            messages.push((off, crate::rt::midi::MidiMessage::note_off(ch, key)));
        }
        self.midi_send(out, messages);
    }

    /// A note on node `name`: SuperDirt's pitch and length rules, other keys to its controls.
    fn dirt_note(&mut self, name: &str, ev: &DirtEvent, frame: u64) -> Result<(), DirtMiss> {
        let Ok(Target::Notes(t)) = self.target_for(name) else {
            return Err(DirtMiss::Problem(format!("'{name}' cannot play notes")));
        };
        let controls = numbers(ev).filter(|(k, _)| !EVENT_KEYS.contains(&k.as_str())).collect();
        let note =
            NoteValue { not_a_note: None, midi: None, freq: Some(plan::frequency(ev, true)), legato: None, controls };
        let seconds = plan::synth_sustain(ev).clamp(0.0, 3600.0);
        let off = frame.max(self.now()) + ((seconds * self.sample_rate as f64).round() as u64).max(1);
        let rt = &mut self.rt;
        let mut full = false;
        self.scheduler.note(&self.clock, &t, frame, off, &note, &mut |e| full |= rt.send(e).is_err());
        if full {
            return Err(DirtMiss::Problem("the audio thread's queue is full; the note was dropped".into()));
        }
        Ok(())
    }

    /// A sample of bank `bank` on the event's orbit.
    fn dirt_sample(&mut self, bank: &str, ev: &DirtEvent, frame: u64) -> Result<(), DirtMiss> {
        let orbit = (ev.num("orbit").unwrap_or(0.0).trunc() as i64).rem_euclid(self.dirt.orbits as i64) as u32;
        let node = format!("orbit{orbit}");
        self.ensure_orbit(&node)?;
        let path = self.dirt.library.pick(bank, ev.num("n").unwrap_or(0.0)).ok_or(DirtMiss::Wait)?;
        let sample = match self.dirt.library.get(&path) {
            Lookup::Ready(s) => s,
            Lookup::Loading => return Err(DirtMiss::Wait),
            Lookup::Failed(why) => return Err(DirtMiss::Problem(why)),
        };
        let plan = plan::plan_sample(ev, sample.frames, self.sample_rate as f64)
            .map_err(|e| DirtMiss::Problem(format!("{bank}: {e}")))?;
        self.orbit_settings(&node, orbit, ev, frame);
        let n = self.model.get_mut(&node).map_err(|e| DirtMiss::Problem(e.to_string()))?;
        let Some(sampler) = n.sampler.as_mut() else {
            return Err(DirtMiss::Problem(format!("node '{node}' is not an orbit")));
        };
        sampler
            .triggers
            .push(SampleTrigger { frame, sample, plan })
            .map_err(|_| DirtMiss::Problem(format!("{node} has too many sounds waiting; this one was dropped")))
    }

    /// Make orbit node `node` if it does not exist (its program compiled at start).
    fn ensure_orbit(&mut self, node: &str) -> Result<(), DirtMiss> {
        if let Ok(n) = self.model.get(node) {
            return match n.sampler {
                Some(_) => Ok(()),
                None => Err(DirtMiss::Problem(format!(
                    "'{node}' is a node of yours, not an orbit, so samples cannot play on it; rename it or free it"
                ))),
            };
        }
        let factory = self.bundled(ORBIT_TYPE)?;
        self.node_new(node, DspSource::File(ORBIT_TYPE.into()), factory, 1, 1.0)
            .map(|_| ())
            .map_err(|e| DirtMiss::Problem(e.to_string()))
    }

    /// SuperDirt's orbit-wide effects follow the orbit's latest event: a key it has is set; a
    /// key it lacks returns to 0 once the orbit has seen it (never-seen keys keep defaults).
    fn orbit_settings(&mut self, node: &str, orbit: u32, ev: &DirtEvent, frame: u64) {
        let Ok(n) = self.model.get(node) else { return };
        let key = n.key;
        let factory = Arc::clone(&n.factory);
        let info = factory.info();
        let seen = self.dirt.seen.entry(orbit).or_default();
        let mut sets = Vec::new();
        for k in ORBIT_KEYS {
            let value = match ev.num(k) {
                Some(v) => {
                    seen.insert(k);
                    v
                }
                None if seen.contains(k) => 0.0,
                None => continue,
            };
            if let Some(i) = info.control_index(k) {
                sets.push((i, info.controls[i].clamp(value as f32)));
            }
        }
        if let (Some(cps), Some(i)) = (ev.num("cps"), info.control_index("cps")) {
            sets.push((i, info.controls[i].clamp(cps as f32)));
        }
        for &(i, v) in &sets {
            let _ = self.rt.send(RtEvent {
                frame,
                node: key,
                voice: ALL_VOICES,
                kind: RtEventKind::Set { control: i as u16, value: v },
            });
        }
        if let Ok(n) = self.model.get_mut(node) {
            for (i, v) in sets {
                if let Some(slot) = n.values.get_mut(i) {
                    *slot = v;
                }
            }
        }
    }

    /// Make orbit node `target` (`orbitN`, N below `dirt.orbits`) for a pattern about to play
    /// on it; other targets are left alone.
    pub(super) fn orbit_for_pattern(&mut self, target: &str) -> Result<(), super::SessionError> {
        let is_orbit = target
            .strip_prefix("orbit")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n < self.dirt.orbits && target == format!("orbit{n}"));
        if !is_orbit || self.model.get(target).is_ok() {
            return Ok(());
        }
        self.ensure_orbit(target).map_err(|m| match m {
            DirtMiss::Wait => super::SessionError::Unsupported(format!(
                "{target}: krd is still compiling the orbit program (it does at start); try again in a moment"
            )),
            DirtMiss::Problem(why) | DirtMiss::Unknown(why) => super::SessionError::Unsupported(why),
        })
    }

    /// The target a pattern on orbit node `node` plays: its `s` events dispatch as `/dirt/play`.
    pub(super) fn orbit_target(&self, node: &str) -> Option<Target> {
        let n = self.model.get(node).ok()?;
        n.sampler.as_ref()?;
        let orbit = node.strip_prefix("orbit")?.parse().ok()?;
        Some(Target::Dirt { orbit })
    }

    /// Play an event at `frame` now, or hold it until what it needs is ready; what cannot play
    /// is counted and kept for [`Session::take_dirt_problems`].
    pub fn dirt_submit(&mut self, ev: DirtEvent, frame: u64) {
        match self.dirt_play(&ev, frame) {
            Ok(()) => self.dirt_played(ev.sound(), frame),
            Err(DirtMiss::Wait) if self.dirt.waiting.len() < MAX_WAITING => {
                self.dirt.waiting.push((frame, ev, Instant::now()))
            }
            Err(DirtMiss::Wait) => {
                self.dirt_failed(ev.sound(), "too many events are waiting for samples; this one was dropped".into())
            }
            Err(miss) => self.dirt_missed(ev.sound(), miss),
        }
    }

    /// A message that could not be read as an event.
    pub fn dirt_unreadable(&mut self, why: String) {
        self.dirt_failed("/dirt/play", why);
    }

    fn dirt_played(&mut self, sound: &str, frame: u64) {
        self.dirt.counters.played += 1;
        let now = self.now();
        if frame != 0 && frame < now {
            self.dirt.counters.late += 1;
            let seconds = (now - frame) as f64 / self.sample_rate as f64;
            let why =
                format!("'{sound}' played {seconds:.3} s late (it arrived after its time, or its sample was loading)");
            self.dirt_report("late events", why);
        }
    }

    fn dirt_failed(&mut self, what: &str, why: String) {
        self.dirt.counters.failed += 1;
        self.dirt_report(what, why);
    }

    /// Keep a problem for the control thread to report (it is counted either way).
    fn dirt_report(&mut self, what: &str, why: String) {
        if self.dirt.problems.len() < MAX_WAITING {
            self.dirt.problems.push((what.to_string(), why));
        }
    }

    fn dirt_missed(&mut self, what: &str, miss: DirtMiss) {
        match miss {
            DirtMiss::Unknown(name) => {
                self.dirt.counters.unknown += 1;
                let why = format!("no node or sample bank named '{name}'; nothing played");
                self.dirt_report(&name, why);
            }
            DirtMiss::Problem(why) => self.dirt_failed(what, why),
            DirtMiss::Wait => self.dirt_failed(what, "its sample was not loaded within 30 s; it was dropped".into()),
        }
    }

    /// Samples loaded, events waiting for them played, patterns on orbits dispatched.
    pub(super) fn dirt_tick(&mut self) {
        for (path, error) in self.dirt.library.poll(Duration::ZERO) {
            if let Some(why) = error {
                self.dirt_failed(&path.display().to_string(), why);
            }
        }
        for (frame, ev) in self.scheduler.take_dirt_events() {
            self.dirt_submit(ev, frame);
        }
        if self.dirt.waiting.is_empty() {
            return;
        }
        for (frame, ev, since) in std::mem::take(&mut self.dirt.waiting) {
            match self.dirt_play(&ev, frame) {
                Ok(()) => self.dirt_played(ev.sound(), frame),
                Err(DirtMiss::Wait) if since.elapsed() < GIVE_UP => self.dirt.waiting.push((frame, ev, since)),
                Err(miss) => self.dirt_missed(ev.sound(), miss),
            }
        }
    }

    /// Problems since the last call: (what about, message).
    pub fn take_dirt_problems(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.dirt.problems)
    }

    pub fn dirt_counters(&self) -> DirtCounters {
        self.dirt.counters.clone()
    }

    /// Whether events wait for samples or programs (the control loop then polls more often).
    pub fn dirt_waiting(&self) -> bool {
        !self.dirt.waiting.is_empty()
    }
}

/// An event's finite numeric parameters, by key.
fn numbers(ev: &DirtEvent) -> impl Iterator<Item = (String, f64)> + '_ {
    ev.params().filter_map(|(k, v)| match v {
        DirtValue::Num(x) if x.is_finite() => Some((k.to_string(), *x)),
        _ => None,
    })
}
