//! MIDI: outs that patterns play (JACK MIDI ports `<client>:<name>/midi_out`), the clock out
//! (`<client>:midi_clock`), and krd's input (`<client>:midi_in`): the controllers mapped to
//! values (by hand or learned) and the nodes its notes play. Mappings and outs are part of the
//! session: saved, exported, in scenes.

use super::model::ValuePath;
use super::{Session, SessionError};
use crate::backend::{Direction, PortRef};
use crate::midi::{ClockIn, ClockOut, Transport};
use crate::rt::midi::{cc_value, CcMap, CcTarget, MidiMessage, MidiOutEvent, NoteMap, RtMidi};
use crate::rt::NEXT_BLOCK;
use crate::scheduler::Target;
use kr_pattern::Time;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// krd's MIDI clock out port and MIDI input port.
pub const CLOCK_PORT: &str = "midi_clock";
pub const INPUT_PORT: &str = "midi_in";
/// All Notes Off.
const ALL_NOTES_OFF: u8 = 123;

/// A MIDI out as saved: channel 1..16, the port's name after `<name>/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MidiOutSnapshot {
    pub name: String,
    pub channel: u8,
    pub port: String,
    #[serde(default)]
    pub muted: bool,
}

/// A controller mapping: CC `cc` on `channel` (0: any) moves `path` over `lo..hi`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ControllerSnapshot {
    pub cc: u8,
    pub channel: u8,
    pub path: String,
    pub lo: f32,
    pub hi: f32,
}

/// Notes of `channel` (0: any) play node `node`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotesSnapshot {
    pub node: String,
    pub channel: u8,
}

/// Everything MIDI in a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MidiSnapshot {
    #[serde(default)]
    pub outs: Vec<MidiOutSnapshot>,
    #[serde(default)]
    pub controls: Vec<ControllerSnapshot>,
    #[serde(default)]
    pub notes: Vec<NotesSnapshot>,
    /// The tempo follows the MIDI clock arriving at `midi_in`.
    #[serde(default)]
    pub follow_clock: bool,
}

impl MidiSnapshot {
    pub fn is_empty(&self) -> bool {
        self.outs.is_empty() && self.controls.is_empty() && self.notes.is_empty() && !self.follow_clock
    }
}

/// A MIDI out: its key in pattern targets, 0-based channel, port.
struct MidiOut {
    key: u32,
    channel: u8,
    port_name: String,
    port: Option<PortRef>,
    /// Muted: its patterns play on, but no note-on leaves.
    muted: bool,
}

/// A note a pattern holds on an out until `until`.
struct Sounding {
    out: u32,
    channel: u8,
    key: u8,
    until: u64,
}

/// The session's MIDI side.
pub(super) struct MidiState {
    outs: BTreeMap<String, MidiOut>,
    next_key: u32,
    clock_port: Option<PortRef>,
    input_port: Option<PortRef>,
    controls: Vec<ControllerSnapshot>,
    notes: Vec<NotesSnapshot>,
    /// The path the next controller moved is mapped to, and its range.
    learning: Option<(String, f32, f32)>,
    /// What MIDI input changed in the session since the last look: (the command's address it
    /// stands for, what happened).
    changes: Vec<(&'static str, String)>,
    clock: ClockOut,
    sounding: Vec<Sounding>,
    /// Following the MIDI clock at the input, and what it measured.
    follow_clock: bool,
    clock_in: ClockIn,
}

impl MidiState {
    pub fn new(clock_port: Option<PortRef>, input_port: Option<PortRef>) -> MidiState {
        MidiState {
            outs: BTreeMap::new(),
            next_key: 0,
            clock_port,
            input_port,
            controls: Vec::new(),
            notes: Vec::new(),
            learning: None,
            changes: Vec::new(),
            clock: ClockOut::default(),
            sounding: Vec::new(),
            follow_clock: false,
            clock_in: ClockIn::default(),
        }
    }

    pub fn is_out(&self, name: &str) -> bool {
        self.outs.contains_key(name)
    }
}

fn out_of_range(what: &str, value: f64, range: (f64, f64)) -> SessionError {
    SessionError::OutOfRange { what: what.into(), value, range }
}

impl Session {
    /// A pattern on a MIDI out, if `target` names one.
    pub(super) fn midi_target(&self, target: &str) -> Option<Target> {
        self.midi.outs.get(target).map(|o| Target::Midi { out: o.key, channel: o.channel })
    }

    /// Create a MIDI out `name` on `channel` (1..16) with port `<name>/<port>`, or change an
    /// existing one's channel or port.
    pub fn midi_out(&mut self, name: &str, channel: i32, port: &str) -> Result<String, SessionError> {
        if !(1..=16).contains(&channel) {
            return Err(out_of_range("MIDI channel", channel.into(), (1.0, 16.0)));
        }
        if self.model.get(name).is_ok() || super::nodes::RESERVED_NAMES.contains(&name) {
            return Err(SessionError::Unsupported(format!(
                "'{name}' is taken by a node; a MIDI out needs a name of its own"
            )));
        }
        if port.is_empty() || port.contains(':') || port.contains('/') {
            return Err(SessionError::Unsupported(format!(
                "MIDI port name '{port}': one word without ':' or '/' (the port is {name}/<port>)"
            )));
        }
        let channel = (channel - 1) as u8;
        if let Some(o) = self.midi.outs.get_mut(name).filter(|o| o.port_name == port) {
            o.channel = channel;
            return Ok(format!("MIDI out '{name}' on channel {}", channel + 1));
        }
        let full = format!("{name}/{port}");
        let registered = self.rt.register_midi(&full, Direction::Out).map_err(SessionError::Unsupported)?;
        let old = self.midi.outs.remove(name);
        let key = match &old {
            Some(o) => o.key,
            None => {
                self.midi.next_key += 1;
                self.midi.next_key
            }
        };
        let muted = old.as_ref().is_some_and(|o| o.muted);
        self.midi.outs.insert(name.into(), MidiOut { key, channel, port_name: port.into(), port: registered, muted });
        if let Some(p) = self.scheduler.targets_of(name).first().cloned() {
            // A pattern already playing on the out keeps playing, on the new channel.
            self.scheduler.retarget(&p, Target::Midi { out: key, channel });
        }
        self.rebuild();
        if let Some(o) = old {
            if let Some(p) = o.port {
                self.rt.retire_midi(&format!("{name}/{}", o.port_name), p);
            }
        }
        let client = &self.settings.client_name;
        Ok(format!("MIDI out '{name}' on channel {} ({client}:{full})", channel + 1))
    }

    /// Free MIDI out `name` (None when there is none): its patterns stop, the notes it holds
    /// end (note-offs, then All Notes Off on its channel), its port goes.
    pub(super) fn midi_out_free(&mut self, name: &str) -> Option<String> {
        let out = self.midi.outs.remove(name)?;
        for t in self.scheduler.targets_of(name) {
            self.scheduler.stop(&t);
        }
        if let Some(port) = out.port {
            self.end_notes(out.key, port);
            let message = MidiMessage::control(out.channel, ALL_NOTES_OFF, 0);
            self.rt.send_midi(MidiOutEvent { frame: NEXT_BLOCK, port, message });
        }
        self.midi.sounding.retain(|s| s.out != out.key);
        self.rebuild();
        if let Some(p) = out.port {
            self.rt.retire_midi(&format!("{name}/{}", out.port_name), p);
        }
        Some(format!("MIDI out '{name}' freed"))
    }

    /// Mute (or unmute) MIDI out `name` (None when there is none): from the next block no
    /// note-on leaves it, and the notes it holds end at once.
    pub(super) fn midi_out_mute(&mut self, name: &str, on: bool) -> Option<String> {
        let out = self.midi.outs.get_mut(name)?;
        out.muted = on;
        let (key, port) = (out.key, out.port);
        if let (true, Some(port)) = (on, port) {
            self.end_notes(key, port);
        }
        // The audio thread drops the note-ons already on their way from the next block on.
        self.rebuild();
        Some(format!("{name} {}", if on { "muted" } else { "unmuted" }))
    }

    /// Send, at once, the note-offs of the notes out `key` (on `port`) holds.
    fn end_notes(&mut self, key: u32, port: PortRef) {
        let offs: Vec<MidiMessage> = self
            .midi
            .sounding
            .iter()
            .filter(|s| s.out == key)
            .map(|s| MidiMessage::note_off(s.channel, s.key))
            .collect();
        for message in offs {
            self.rt.send_midi(MidiOutEvent { frame: NEXT_BLOCK, port, message });
        }
    }

    /// Send MIDI clock's Start, Stop or Continue (Start and Continue on the next cycle).
    pub fn midi_clock(&mut self, action: &str) -> Result<String, SessionError> {
        let t = Transport::parse(action).ok_or_else(|| {
            SessionError::Unsupported(format!("MIDI clock: '{action}' is not start, stop or continue"))
        })?;
        self.midi.clock.ask(t);
        Ok(match t {
            Transport::Stop => "MIDI clock: Stop".into(),
            _ => format!("MIDI clock: {action} on the next cycle"),
        })
    }

    /// Let the tempo follow the MIDI clock arriving at `midi_in` (or stop following).
    pub fn midi_follow(&mut self, on: bool) -> Result<String, SessionError> {
        self.midi.follow_clock = on;
        self.midi.clock_in = ClockIn::default();
        Ok(match on {
            true => "the tempo follows the MIDI clock at midi_in".into(),
            false => "the tempo no longer follows MIDI clock".into(),
        })
    }

    /// Map controller `cc` (on `channel` 1..16, 0: any) onto `path` over `lo..hi`, replacing
    /// the mapping of that controller.
    pub fn midi_map(&mut self, cc: i32, path: &str, lo: f32, hi: f32, channel: i32) -> Result<String, SessionError> {
        if !(0..=127).contains(&cc) {
            return Err(out_of_range("controller number", cc.into(), (0.0, 127.0)));
        }
        if !(0..=16).contains(&channel) {
            return Err(out_of_range("MIDI channel (0: any)", channel.into(), (0.0, 16.0)));
        }
        self.cc_target(path, lo, hi)?;
        let (cc, channel) = (cc as u8, channel as u8);
        self.midi.controls.retain(|m| !(m.cc == cc && m.channel == channel));
        self.midi.controls.push(ControllerSnapshot { cc, channel, path: path.into(), lo, hi });
        self.rebuild();
        let on = if channel == 0 { "any channel".to_string() } else { format!("channel {channel}") };
        Ok(format!("CC {cc} on {on} → {path} ({lo}..{hi})"))
    }

    /// Map the next controller moved onto `path` over `lo..hi`.
    pub fn midi_learn(&mut self, path: &str, lo: f32, hi: f32) -> Result<String, SessionError> {
        self.cc_target(path, lo, hi)?;
        self.midi.learning = Some((path.into(), lo, hi));
        Ok(format!("move a controller: it will move {path}"))
    }

    /// Play node `node`'s voices from MIDI input's notes on `channel` (1..16, 0: any).
    pub fn midi_notes(&mut self, node: &str, channel: i32) -> Result<String, SessionError> {
        if !(0..=16).contains(&channel) {
            return Err(out_of_range("MIDI channel (0: any)", channel.into(), (0.0, 16.0)));
        }
        let n = self.model.get(node)?;
        if n.factory.info().control_index("gate").is_none() {
            return Err(SessionError::Unsupported(format!("'{node}' has no gate control, so notes cannot play it")));
        }
        self.midi.notes.retain(|m| m.node != node);
        self.midi.notes.push(NotesSnapshot { node: node.into(), channel: channel as u8 });
        self.rebuild();
        let on = if channel == 0 { "every channel".to_string() } else { format!("channel {channel}") };
        Ok(format!("MIDI notes of {on} play '{node}'"))
    }

    /// Remove the controller mappings onto `path` and the notes routed to node `path`.
    pub fn midi_unmap(&mut self, path: &str) -> Result<String, SessionError> {
        let before = self.midi.controls.len() + self.midi.notes.len();
        self.midi.controls.retain(|m| m.path != path);
        self.midi.notes.retain(|m| m.node != path);
        let removed = before - self.midi.controls.len() - self.midi.notes.len();
        if self.midi.learning.as_ref().is_some_and(|l| l.0 == path) {
            self.midi.learning = None;
        } else if removed == 0 {
            return Err(SessionError::Unsupported(format!("nothing MIDI is mapped to '{path}'")));
        }
        self.rebuild();
        Ok(format!("{removed} MIDI mapping(s) to '{path}' removed"))
    }

    /// What a controller mapped onto `path` sets, with `lo..hi` kept inside the value's range.
    fn cc_target(&self, path: &str, lo: f32, hi: f32) -> Result<(CcTarget, f32, f32), SessionError> {
        if !lo.is_finite() || !hi.is_finite() {
            return Err(SessionError::Unsupported(format!("a controller's range must be finite (got {lo}..{hi})")));
        }
        let nodes = self.model.nodes();
        Ok(match self.model.value_path(path)? {
            ValuePath::Master => {
                (CcTarget::Master, lo.clamp(0.0, kr_osc::MAX_MASTER as f32), hi.clamp(0.0, kr_osc::MAX_MASTER as f32))
            }
            ValuePath::Gain { node } => {
                let g = |x: f32| x.clamp(0.0, kr_osc::MAX_GAIN as f32);
                (CcTarget::Gain { node: nodes[node].key }, g(lo), g(hi))
            }
            ValuePath::Control { node, control } => {
                let spec = &nodes[node].factory.info().controls[control];
                (CcTarget::Control { node: nodes[node].key, control: control as u16 }, spec.clamp(lo), spec.clamp(hi))
            }
        })
    }

    /// The MIDI part of a real-time graph.
    pub(super) fn midi_graph(&self) -> RtMidi {
        let outs = self.midi.clock_port.into_iter().chain(self.midi.outs.values().filter_map(|o| o.port)).collect();
        let channel = |c: u8| (c > 0).then(|| c - 1);
        let controls = self
            .midi
            .controls
            .iter()
            .filter_map(|m| {
                let (target, lo, hi) = self.cc_target(&m.path, m.lo, m.hi).ok()?;
                Some(CcMap { channel: channel(m.channel), cc: m.cc, target, lo, hi })
            })
            .collect();
        let notes = self
            .midi
            .notes
            .iter()
            .filter_map(|m| {
                // The node's note controls as a pattern on it resolves them.
                let Ok(Target::Notes(t)) = self.target_for(&m.node) else { return None };
                t.gate?;
                let velocity = t.controls.get("velocity").or_else(|| t.controls.get("vel")).copied();
                Some(NoteMap { channel: channel(m.channel), node: t.node, freq: t.freq, midi: t.midi, velocity })
            })
            .collect();
        let muted = self.midi.outs.values().filter(|o| o.muted).filter_map(|o| o.port).collect();
        RtMidi { outs, muted, input: self.midi.input_port, controls, notes }
    }

    /// Send what the patterns on MIDI outs and the clock have for cycles `[begin, end)`.
    pub(super) fn midi_tick(&mut self, begin: Time, end: Time) {
        let now = self.now();
        self.midi.sounding.retain(|s| s.until > now);
        let mut messages: Vec<(u64, PortRef, MidiMessage)> = Vec::new();
        if let Some(port) = self.midi.clock_port {
            if end > begin {
                self.midi.clock.window(&self.clock, begin, end, &mut |frame, m| messages.push((frame, port, m)));
            }
        }
        for (frame, port, message) in messages {
            self.rt.send_midi(MidiOutEvent { frame, port, message });
        }
        let mut by_out: BTreeMap<u32, Vec<(u64, MidiMessage)>> = BTreeMap::new();
        for (frame, out, message) in self.scheduler.take_midi_messages() {
            by_out.entry(out).or_default().push((frame, message));
        }
        for (out, messages) in by_out {
            self.midi_send(out, messages);
        }
    }

    /// Send messages to the MIDI out with key `out` at their frames; a note-off's note counts
    /// as sounding until then (freeing the out ends it).
    pub(super) fn midi_send(&mut self, out: u32, messages: Vec<(u64, MidiMessage)>) {
        let Some(o) = self.midi.outs.values().find(|o| o.key == out) else { return };
        let port = o.port;
        for (frame, message) in messages {
            if message.kind() == 0x80 {
                let (key, _) = message.data();
                let channel = message.channel().unwrap_or(0);
                self.midi.sounding.push(Sounding { out, channel, key, until: frame });
            }
            if let Some(port) = port {
                self.rt.send_midi(MidiOutEvent { frame, port, message });
            }
        }
    }

    /// Read what arrived at the MIDI input: a controller moved while learning is mapped; a mapped
    /// controller's value is kept in the model (the audio thread already played it).
    pub(super) fn midi_poll(&mut self) {
        for ev in self.rt.take_midi_input() {
            let m = ev.message;
            if m.kind() == 0xF8 && self.midi.follow_clock {
                self.follow_tick(ev.frame);
            }
            if m.kind() != 0xB0 {
                continue;
            }
            let (cc, value) = m.data();
            let channel = m.channel().unwrap_or(0) + 1;
            if let Some((path, lo, hi)) = self.midi.learning.take() {
                match self.midi_map(cc.into(), &path, lo, hi, channel.into()) {
                    Ok(done) => self.midi.changes.push(("/kr/midi/learn", format!("learned: {done}"))),
                    Err(e) => self.midi.changes.push(("/kr/midi/learn", format!("learning {path} failed: {e}"))),
                }
            }
            let mapped: Vec<(String, f32)> = self
                .midi
                .controls
                .iter()
                .filter(|c| c.cc == cc && (c.channel == 0 || c.channel == channel))
                .filter_map(|c| {
                    let (_, lo, hi) = self.cc_target(&c.path, c.lo, c.hi).ok()?;
                    Some((c.path.clone(), cc_value(lo, hi, value)))
                })
                .collect();
            for (path, v) in mapped {
                self.hold_value(&path, v);
            }
        }
    }

    /// A clock tick arrived: the tempo moves to the clock's (rounded to a hundredth) once it is
    /// known and differs by two hundredths of a beat per minute or more, so a clock's jitter
    /// does not flap it (a tempo change re-anchors the cycle clock at the end of what is
    /// scheduled, so nothing already sent moves).
    fn follow_tick(&mut self, frame: u64) {
        let Some(bpm) = self.midi.clock_in.tick(frame, self.clock.sample_rate) else { return };
        let bpm = (bpm * 100.0).round() / 100.0;
        let (lo, hi) = kr_osc::BPM_RANGE;
        if (bpm - self.clock.bpm).abs() >= 0.02 && (lo..=hi).contains(&bpm) {
            if let Ok(done) = self.tempo(Some(bpm), None) {
                self.midi.changes.push(("/kr/midi/follow", format!("following the MIDI clock: {done}")));
            }
        }
    }

    /// What MIDI input changed in the session since the last call (a mapping learned, the
    /// tempo following a clock): the address each change stands for, and a line saying it.
    pub fn take_midi_changes(&mut self) -> Vec<(&'static str, String)> {
        std::mem::take(&mut self.midi.changes)
    }

    /// The session's MIDI, as saved.
    pub(super) fn midi_snapshot(&self) -> MidiSnapshot {
        MidiSnapshot {
            outs: self
                .midi
                .outs
                .iter()
                .map(|(name, o)| MidiOutSnapshot {
                    name: name.clone(),
                    channel: o.channel + 1,
                    port: o.port_name.clone(),
                    muted: o.muted,
                })
                .collect(),
            controls: self.midi.controls.clone(),
            notes: self.midi.notes.clone(),
            follow_clock: self.midi.follow_clock,
        }
    }

    /// Make the session's MIDI outs equal `snap`'s (before its patterns play).
    pub(super) fn apply_midi_outs(&mut self, snap: &MidiSnapshot) -> Result<(), SessionError> {
        let gone: Vec<String> =
            self.midi.outs.keys().filter(|k| !snap.outs.iter().any(|o| &o.name == *k)).cloned().collect();
        for name in gone {
            self.midi_out_free(&name);
        }
        for o in &snap.outs {
            self.midi_out(&o.name, o.channel.into(), &o.port)?;
            self.midi_out_mute(&o.name, o.muted);
        }
        Ok(())
    }

    /// Make the session's MIDI mappings equal `snap`'s (after its nodes exist). Mappings onto
    /// something the session lacks are left out, and named in the error.
    pub(super) fn apply_midi_maps(&mut self, snap: &MidiSnapshot) -> Result<(), SessionError> {
        let mut skipped = Vec::new();
        let controls: Vec<ControllerSnapshot> = snap
            .controls
            .iter()
            .filter(|c| {
                let ok = c.cc <= 127 && c.channel <= 16 && self.cc_target(&c.path, c.lo, c.hi).is_ok();
                if !ok {
                    skipped.push(format!("CC {} → {}", c.cc, c.path));
                }
                ok
            })
            .cloned()
            .collect();
        let notes: Vec<NotesSnapshot> = snap
            .notes
            .iter()
            .filter(|n| {
                let ok = n.channel <= 16 && self.model.get(&n.node).is_ok();
                if !ok {
                    skipped.push(format!("notes → {}", n.node));
                }
                ok
            })
            .cloned()
            .collect();
        (self.midi.controls, self.midi.notes) = (controls, notes);
        if snap.follow_clock != self.midi.follow_clock {
            self.midi_follow(snap.follow_clock)?;
        }
        self.rebuild();
        match skipped.is_empty() {
            true => Ok(()),
            false => Err(SessionError::Unsupported(format!(
                "MIDI mappings onto what the session lacks were left out: {}",
                skipped.join(", ")
            ))),
        }
    }

    /// MIDI as `/kr/status` shows it.
    pub fn midi_status(&self) -> serde_json::Value {
        let t = &self.rt.telemetry().midi;
        let client = &self.settings.client_name;
        let ports = |p: Option<PortRef>, name: &str| p.map(|_| format!("{client}:{name}"));
        json!({
            "clock_port": ports(self.midi.clock_port, CLOCK_PORT),
            "input_port": ports(self.midi.input_port, INPUT_PORT),
            "clock_running": self.midi.clock.running(),
            "learning": self.midi.learning.as_ref().map(|l| l.0.clone()),
            "written": t.written.load(std::sync::atomic::Ordering::Relaxed),
            "dropped": t.dropped.load(std::sync::atomic::Ordering::Relaxed),
            "received": t.received.load(std::sync::atomic::Ordering::Relaxed),
            "session": self.midi_snapshot(),
        })
    }
}
