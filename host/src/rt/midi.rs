//! MIDI on the real-time side: messages written to MIDI out ports at their exact frames, and
//! MIDI arriving at krd's input turned into events in the same block (mapped controllers, notes
//! on a node's voices) and handed to the control thread (learning, the model's values).
//!
//! JACK wants each MIDI out buffer cleared once per cycle and written in non-decreasing time
//! order; messages wait here sorted by frame, so the order holds per port.

use super::cell::NodeState;
use super::event::{RtEvent, RtEventKind, ALL_VOICES};
use super::graph::RtGraph;
use crate::backend::{PortBuffers, PortRef};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// MIDI messages waiting for their frame, at most.
pub const MIDI_OUT_CAPACITY: usize = 4096;
/// MIDI input messages waiting for the control thread, at most (more are counted only).
pub const MIDI_IN_CAPACITY: usize = 1024;
/// Notes from MIDI input held at once, at most (more are played without a voice to release).
const MAX_HELD: usize = 256;
/// Note ids of MIDI input's notes have this bit set, so they never match the scheduler's.
const INPUT_NOTE: u32 = 1 << 31;

/// One short MIDI message (channel messages and system messages of up to three bytes; SysEx is
/// not carried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MidiMessage {
    len: u8,
    bytes: [u8; 3],
}

impl MidiMessage {
    fn new(bytes: &[u8]) -> MidiMessage {
        let mut b = [0u8; 3];
        let len = bytes.len().min(3);
        b[..len].copy_from_slice(&bytes[..len]);
        MidiMessage { len: len as u8, bytes: b }
    }

    /// A message as JACK delivers it; None for an empty one, SysEx or anything longer than 3.
    pub fn from_bytes(bytes: &[u8]) -> Option<MidiMessage> {
        (!bytes.is_empty() && bytes.len() <= 3 && bytes[0] >= 0x80 && bytes[0] != 0xF0).then(|| Self::new(bytes))
    }

    /// `channel` is 0..=15; data bytes are cut to 7 bits.
    pub fn note_on(channel: u8, key: u8, velocity: u8) -> MidiMessage {
        Self::new(&[0x90 | (channel & 15), key & 127, velocity & 127])
    }

    pub fn note_off(channel: u8, key: u8) -> MidiMessage {
        Self::new(&[0x80 | (channel & 15), key & 127, 0])
    }

    pub fn control(channel: u8, cc: u8, value: u8) -> MidiMessage {
        Self::new(&[0xB0 | (channel & 15), cc & 127, value & 127])
    }

    pub fn program(channel: u8, program: u8) -> MidiMessage {
        Self::new(&[0xC0 | (channel & 15), program & 127])
    }

    /// Timing Clock: 24 per quarter note.
    pub fn clock() -> MidiMessage {
        Self::new(&[0xF8])
    }

    pub fn start() -> MidiMessage {
        Self::new(&[0xFA])
    }

    pub fn resume() -> MidiMessage {
        Self::new(&[0xFB])
    }

    pub fn stop() -> MidiMessage {
        Self::new(&[0xFC])
    }

    /// Song Position Pointer: `sixteenths` MIDI beats (6 clocks each) from the song's start.
    pub fn song_position(sixteenths: u16) -> MidiMessage {
        let s = sixteenths & 0x3FFF;
        Self::new(&[0xF2, (s & 127) as u8, (s >> 7) as u8])
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The status byte's kind (`0x90` for a note-on on any channel; system messages whole).
    pub fn kind(&self) -> u8 {
        match self.bytes[0] {
            s @ 0xF0..=0xFF => s,
            s => s & 0xF0,
        }
    }

    /// The channel (0..=15) of a channel message.
    pub fn channel(&self) -> Option<u8> {
        (self.bytes[0] < 0xF0).then_some(self.bytes[0] & 15)
    }

    /// The first and second data bytes (0 when absent).
    pub fn data(&self) -> (u8, u8) {
        (self.bytes[1], self.bytes[2])
    }
}

/// A message to write to MIDI out port `port` at engine frame `frame` (a past frame: at once).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MidiOutEvent {
    pub frame: u64,
    pub port: PortRef,
    pub message: MidiMessage,
}

/// A message that arrived at krd's MIDI input at engine frame `frame`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MidiInEvent {
    pub frame: u64,
    pub message: MidiMessage,
}

/// What a controller moves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CcTarget {
    Control {
        node: u32,
        control: u16,
    },
    /// A node's fader.
    Gain {
        node: u32,
    },
    Master,
}

/// A controller (CC `cc`, on `channel` or any) mapped linearly from 0..127 onto `lo..hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CcMap {
    pub channel: Option<u8>,
    pub cc: u8,
    pub target: CcTarget,
    pub lo: f32,
    pub hi: f32,
}

impl CcMap {
    pub fn value(&self, data: u8) -> f32 {
        cc_value(self.lo, self.hi, data)
    }
}

/// A controller's value `data` (0..127) mapped linearly onto `lo..hi`.
pub fn cc_value(lo: f32, hi: f32, data: u8) -> f32 {
    lo + (hi - lo) * data.min(127) as f32 / 127.0
}

/// Notes (on `channel`, or any) played on node `node`'s voices: pitch to `freq` (Hz) or `midi`,
/// velocity (0..1) to `velocity`, the gate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteMap {
    pub channel: Option<u8>,
    pub node: u32,
    pub freq: Option<u16>,
    pub midi: Option<u16>,
    pub velocity: Option<u16>,
}

/// What a real-time graph says about MIDI: the out ports written (and cleared) in each block,
/// the input port, and what its messages play.
#[derive(Debug, Default)]
pub struct RtMidi {
    pub outs: Box<[PortRef]>,
    /// Outs muted: their note-ons are not written (note-offs are, so nothing hangs).
    pub muted: Box<[PortRef]>,
    pub input: Option<PortRef>,
    pub controls: Box<[CcMap]>,
    pub notes: Box<[NoteMap]>,
}

/// Counters of the MIDI side (read from any thread).
#[derive(Debug, Default)]
pub struct MidiTelemetry {
    pub written: AtomicU64,
    /// Messages not written: their port was gone, JACK's buffer was full, or the queue was.
    pub dropped: AtomicU64,
    pub received: AtomicU64,
}

/// A note from MIDI input sounding on a voice.
#[derive(Debug, Clone, Copy, Default)]
struct Held {
    node: u32,
    channel: u8,
    key: u8,
    voice: u16,
    note: u32,
    /// The key is up but the sustain pedal holds the note.
    sustained: bool,
    /// The frame its gate rises (later than its note-on when the voice first fades out).
    onset: u64,
}

/// The audio thread's MIDI state.
pub struct MidiEngine {
    out: rtrb::Consumer<MidiOutEvent>,
    pending: Vec<MidiOutEvent>,
    input: rtrb::Producer<MidiInEvent>,
    held: [Held; MAX_HELD],
    held_len: usize,
    sustain: [bool; 16],
    next_voice: u16,
    next_note: u32,
    /// Frames a sounding voice fades out over before a note takes it ([`MIDI_STEAL_SECONDS`]).
    steal_frames: u32,
}

/// A note from MIDI input that takes a voice still sounding (a note held, or a release tail)
/// starts this much later: the voice fades out first, as a pattern's stolen voice does, instead
/// of its envelope restarting from 0 under the sound (a click). Shorter than a pattern's steal
/// fade: the note comes from a player, and is late by this much.
pub const MIDI_STEAL_SECONDS: f32 = 0.003;

/// The control thread's ends of the MIDI rings.
pub struct MidiLink {
    pub out: rtrb::Producer<MidiOutEvent>,
    pub input: rtrb::Consumer<MidiInEvent>,
}

impl MidiEngine {
    pub fn new(sample_rate: f32) -> (MidiEngine, MidiLink) {
        let (op, oc) = rtrb::RingBuffer::new(MIDI_OUT_CAPACITY);
        let (ip, ic) = rtrb::RingBuffer::new(MIDI_IN_CAPACITY);
        let engine = MidiEngine {
            out: oc,
            pending: Vec::with_capacity(MIDI_OUT_CAPACITY),
            input: ip,
            held: [Held::default(); MAX_HELD],
            held_len: 0,
            sustain: [false; 16],
            next_voice: 0,
            next_note: 0,
            steal_frames: (MIDI_STEAL_SECONDS * sample_rate).max(1.0) as u32,
        };
        (engine, MidiLink { out: op, input: ic })
    }

    /// Clear every out port of `midi` (and of `leaving`, the graph this block replaced) and
    /// write the messages due before `start + frames` at their offsets (late ones at offset 0).
    /// A port the replaced graph had and the new one lacks is still written in this block (a
    /// freed out's note-offs); messages for ports neither has are dropped, and note-ons of
    /// muted outs are not written. Real-time safe.
    pub fn write(
        &mut self,
        midi: &RtMidi,
        leaving: Option<&RtMidi>,
        ports: &mut dyn PortBuffers,
        start: u64,
        frames: u32,
        telemetry: &MidiTelemetry,
    ) {
        while self.pending.len() < self.pending.capacity() {
            let Ok(ev) = self.out.pop() else { break };
            let at = self.pending.partition_point(|p| p.frame <= ev.frame);
            self.pending.insert(at, ev);
        }
        let gone = leaving.map_or(&[][..], |l| &l.outs[..]);
        let gone = || gone.iter().filter(|p| !midi.outs.contains(p));
        for &port in midi.outs.iter().chain(gone()) {
            ports.midi_clear(port);
        }
        let end = start + frames as u64;
        let due = self.pending.partition_point(|e| e.frame < end);
        for ev in &self.pending[..due] {
            if ev.message.kind() == 0x90 && midi.muted.contains(&ev.port) {
                continue;
            }
            let offset = ev.frame.saturating_sub(start).min(frames.saturating_sub(1) as u64) as u32;
            let known = midi.outs.contains(&ev.port) || gone().any(|p| *p == ev.port);
            let written = known && ports.midi_write(ev.port, offset, ev.message.bytes());
            let counter = if written { &telemetry.written } else { &telemetry.dropped };
            counter.fetch_add(1, Relaxed);
        }
        self.pending.drain(..due);
    }

    /// Read this block's MIDI input: each message goes to the control thread, and what the
    /// graph maps it to is added to `events` at its frame (kept sorted). Real-time safe.
    pub fn read(
        &mut self,
        graph: &RtGraph,
        ports: &dyn PortBuffers,
        start: u64,
        events: &mut Vec<RtEvent>,
        telemetry: &MidiTelemetry,
    ) {
        let Some(port) = graph.midi.input else { return };
        for i in 0..ports.midi_count(port) {
            let Some((offset, message)) = ports.midi_read(port, i) else { continue };
            let frame = start + offset as u64;
            telemetry.received.fetch_add(1, Relaxed);
            if self.input.push(MidiInEvent { frame, message }).is_err() {
                telemetry.dropped.fetch_add(1, Relaxed);
            }
            let mut emit = |ev: RtEvent| {
                if events.len() < events.capacity() {
                    let at = events.partition_point(|p| p.frame <= ev.frame);
                    events.insert(at, ev);
                } else {
                    telemetry.dropped.fetch_add(1, Relaxed);
                }
            };
            self.play(graph, frame, message, &mut emit);
        }
    }

    /// What one input message does to the graph's nodes.
    fn play(&mut self, graph: &RtGraph, frame: u64, m: MidiMessage, emit: &mut dyn FnMut(RtEvent)) {
        let Some(channel) = m.channel() else { return };
        let (d1, d2) = m.data();
        match m.kind() {
            0xB0 => {
                for map in graph.midi.controls.iter().filter(|c| c.cc == d1 && c.channel.is_none_or(|ch| ch == channel))
                {
                    let value = map.value(d2);
                    let (node, kind) = match map.target {
                        CcTarget::Control { node, control } => (node, RtEventKind::Set { control, value }),
                        CcTarget::Gain { node } => (node, RtEventKind::Gain(value)),
                        CcTarget::Master => (0, RtEventKind::Master(value)),
                    };
                    emit(RtEvent { frame, node, voice: ALL_VOICES, kind });
                }
                match d1 {
                    64 => {
                        let down = d2 >= 64;
                        self.sustain[channel as usize] = down;
                        if !down {
                            self.release(frame, |h| h.channel == channel && h.sustained, emit);
                        }
                    }
                    // All sound off, all notes off.
                    120 | 123 => self.release(frame, |h| h.channel == channel, emit),
                    _ => {}
                }
            }
            0x90 if d2 > 0 => {
                for map in graph.midi.notes.iter().filter(|n| n.channel.is_none_or(|ch| ch == channel)) {
                    self.note_on(graph, map, frame, channel, d1, d2, emit);
                }
            }
            0x80 | 0x90 => {
                if self.sustain[channel as usize] {
                    for h in self.held[..self.held_len].iter_mut().filter(|h| h.channel == channel && h.key == d1) {
                        h.sustained = true;
                    }
                } else {
                    self.release(frame, |h| h.channel == channel && h.key == d1, emit);
                }
            }
            _ => {}
        }
    }

    /// Play a note on a voice of the map's node: a silent voice whose gate is down, else one
    /// whose gate is down (its release tail still sounding), round robin; else the voice of the
    /// oldest note this input holds there. A voice still sounding fades out first: the note
    /// starts [`MIDI_STEAL_SECONDS`] later.
    #[allow(clippy::too_many_arguments)]
    fn note_on(
        &mut self,
        graph: &RtGraph,
        map: &NoteMap,
        frame: u64,
        channel: u8,
        key: u8,
        velocity: u8,
        emit: &mut dyn FnMut(RtEvent),
    ) {
        let Some(node) = graph.nodes.iter().find(|n| n.key == map.node) else { return };
        // SAFETY: audio thread, between blocks: no other reference to the cell is live.
        let st: &NodeState = unsafe { node.cell.get() };
        let count = st.voices.len().max(1) as u16;
        let held = &self.held[..self.held_len];
        let gate_down = |v: u16| {
            let busy = held.iter().any(|h| h.node == map.node && h.voice == v);
            !busy && !st.voices.get(v as usize).is_some_and(|s| s.gate_up)
        };
        let silent = |v: u16| st.voices.get(v as usize).is_none_or(|s| s.idle);
        let order = (0..count).map(|i| (self.next_voice + i) % count);
        let free = order.clone().find(|&v| gate_down(v) && silent(v)).or_else(|| order.clone().find(|&v| gate_down(v)));
        let oldest = held.iter().position(|h| h.node == map.node);
        let voice = match (free, oldest) {
            (Some(v), _) => v,
            (None, Some(i)) => {
                let stolen = self.held[i];
                self.forget(i);
                stolen.voice
            }
            (None, None) => self.next_voice % count,
        };
        let mut onset = frame;
        // Only a source with a gate restarts an envelope at a note (and is known to be silent).
        let restarts = st.gate.is_some() && st.inputs == 0;
        if let Some(v) = st.voices.get(voice as usize).filter(|_| restarts && !silent(voice)) {
            // The voice's note (held, or in its release tail) fades out; the new one follows.
            let kind = RtEventKind::Steal { note: v.note, frames: self.steal_frames };
            emit(RtEvent { frame, node: map.node, voice, kind });
            onset = frame + self.steal_frames as u64;
        }
        self.next_voice = (voice + 1) % count;
        self.next_note = self.next_note.wrapping_add(1);
        let note = INPUT_NOTE | (self.next_note & !INPUT_NOTE);
        let ev = |kind| RtEvent { frame: onset, node: map.node, voice, kind };
        if let Some(c) = map.freq {
            emit(ev(RtEventKind::Set { control: c, value: crate::scheduler::midi_to_hz(key as f64) as f32 }));
        } else if let Some(c) = map.midi {
            emit(ev(RtEventKind::Set { control: c, value: key as f32 }));
        }
        if let Some(c) = map.velocity {
            emit(ev(RtEventKind::Set { control: c, value: velocity as f32 / 127.0 }));
        }
        emit(ev(RtEventKind::GateOn { note }));
        if self.held_len < MAX_HELD {
            self.held[self.held_len] = Held { node: map.node, channel, key, voice, note, sustained: false, onset };
            self.held_len += 1;
        }
    }

    /// Release (gate off) the held notes `which` picks.
    fn release(&mut self, frame: u64, which: impl Fn(&Held) -> bool, emit: &mut dyn FnMut(RtEvent)) {
        let mut i = 0;
        while i < self.held_len {
            let h = self.held[i];
            if which(&h) {
                // A note whose start waits for its voice to fade out ends no earlier than that.
                let frame = frame.max(h.onset);
                emit(RtEvent { frame, node: h.node, voice: h.voice, kind: RtEventKind::GateOff { note: h.note } });
                self.forget(i);
            } else {
                i += 1;
            }
        }
    }

    /// Drop held note `i`, keeping the others in the order they started.
    fn forget(&mut self, i: usize) {
        self.held.copy_within(i + 1..self.held_len, i);
        self.held_len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layouts() {
        assert_eq!(MidiMessage::note_on(0, 60, 100).bytes(), &[0x90, 60, 100]);
        assert_eq!(MidiMessage::note_off(9, 36).bytes(), &[0x89, 36, 0]);
        assert_eq!(MidiMessage::control(15, 74, 127).bytes(), &[0xBF, 74, 127]);
        assert_eq!(MidiMessage::program(2, 5).bytes(), &[0xC2, 5]);
        assert_eq!(MidiMessage::clock().bytes(), &[0xF8]);
        // 300 sixteenths = 2 × 128 + 44: LSB first.
        assert_eq!(MidiMessage::song_position(300).bytes(), &[0xF2, 44, 2]);
        let m = MidiMessage::from_bytes(&[0x93, 64, 0]).unwrap();
        assert_eq!((m.kind(), m.channel(), m.data()), (0x90, Some(3), (64, 0)));
        assert_eq!(MidiMessage::from_bytes(&[0xF0, 1, 2]), None, "SysEx is not carried");
        assert_eq!(MidiMessage::from_bytes(&[0x40]), None, "running status is not a message");
        assert_eq!(MidiMessage::clock().channel(), None);
    }

    #[test]
    fn controller_scaling() {
        let m = CcMap { channel: None, cc: 74, target: CcTarget::Master, lo: 200.0, hi: 4000.0 };
        assert_eq!(m.value(0), 200.0);
        assert_eq!(m.value(127), 4000.0);
        assert!((m.value(64) - (200.0 + 3800.0 * 64.0 / 127.0)).abs() < 1e-3);
    }
}
