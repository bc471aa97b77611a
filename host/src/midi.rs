//! What MIDI means to kr, apart from any port: the messages a pattern event sends to a MIDI out,
//! and the MIDI clock (24 ticks per beat, with Start, Stop, Continue and Song Position) laid on
//! the cycle clock.

use crate::clock::Clock;
use crate::rt::midi::MidiMessage;
use crate::scheduler::{hz_to_midi, NoteValue};
use kr_pattern::Time;
use num_traits::ToPrimitive;

/// Note velocity when an event names neither `velocity` nor `gain` (as SuperDirt's MIDI does).
pub const DEFAULT_VELOCITY: u8 = 100;

/// What one pattern event sends to a MIDI out: messages at its onset, in order (controllers and
/// program changes first, the note-on last), and the note to end at its release.
#[derive(Debug, Default, PartialEq)]
pub struct MidiPlan {
    pub onset: Vec<MidiMessage>,
    pub note: Option<(u8, u8)>,
}

/// The messages of an event with pitch and controls `note`, on 0-based `channel` unless the event
/// names `midichan` (0..15, SuperDirt's name). Velocity: `velocity` (0..1), else `gain` (0..1),
/// else [`DEFAULT_VELOCITY`]; controllers: `ccn` with `ccv` (SuperDirt's), or `ccN` keys
/// (`cc74`); program: `progNum` or `program`. An event with a pitch plays a note.
pub fn plan(note: &NoteValue, channel: u8) -> MidiPlan {
    let get = |name: &str| note.controls.iter().rev().find(|(k, _)| k == name).map(|(_, v)| *v);
    let byte = |x: f64| x.round().clamp(0.0, 127.0) as u8;
    let ch = get("midichan").map_or(channel, |c| c.round().clamp(0.0, 15.0) as u8);
    let mut onset = Vec::new();
    if let Some(p) = get("progNum").or_else(|| get("program")) {
        onset.push(MidiMessage::program(ch, byte(p)));
    }
    if let (Some(n), Some(v)) = (get("ccn"), get("ccv")) {
        onset.push(MidiMessage::control(ch, byte(n), byte(v)));
    }
    for (k, v) in &note.controls {
        if let Some(n) = k.strip_prefix("cc").and_then(|n| n.parse::<u8>().ok()).filter(|n| *n < 128) {
            onset.push(MidiMessage::control(ch, n, byte(*v)));
        }
    }
    let pitch = note.midi.or_else(|| note.freq.map(hz_to_midi)).filter(|m| m.is_finite());
    let key = pitch.map(byte);
    if let Some(k) = key {
        let velocity = get("velocity").or_else(|| get("gain")).map_or(DEFAULT_VELOCITY, |v| byte(v * 127.0).max(1));
        onset.push(MidiMessage::note_on(ch, k, velocity));
    }
    MidiPlan { onset, note: key.map(|k| (ch, k)) }
}

/// A transport message asked for, sent at the next cycle boundary (Stop: at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Start,
    Stop,
    Continue,
}

impl Transport {
    pub fn parse(word: &str) -> Option<Transport> {
        match word {
            "start" => Some(Transport::Start),
            "stop" => Some(Transport::Stop),
            "continue" => Some(Transport::Continue),
            _ => None,
        }
    }
}

/// MIDI clock out: a tick every 1/24 beat (a beat is 1/meter cycle) at its exact frame, following
/// tempo and meter changes (ticks already sent keep their frames; the spacing changes from the
/// next one). Start and Continue go out on a cycle boundary, right before its tick.
#[derive(Debug, Default)]
pub struct ClockOut {
    /// The cycle of the next tick (None: not started, the next window starts the grid).
    next: Option<Time>,
    asked: Option<Transport>,
    /// The cycle of the last Start: Song Position counts from it.
    started: Option<Time>,
    running: bool,
}

impl ClockOut {
    /// Ask for a transport message.
    pub fn ask(&mut self, t: Transport) {
        self.asked = Some(t);
    }

    /// Whether a Start or Continue went out since the last Stop.
    pub fn running(&self) -> bool {
        self.running
    }

    /// The messages due in cycles `[begin, end)`, with their frames, in time order.
    pub fn window(&mut self, clock: &Clock, begin: Time, end: Time, emit: &mut dyn FnMut(u64, MidiMessage)) {
        let step = tick_length(clock.meter);
        let mut next = match self.next {
            Some(n) if n >= begin => n,
            // First window, or the clock skipped ahead: the grid starts on the next tick of a
            // grid anchored at cycle 0.
            _ => ((begin / step).ceil()) * step,
        };
        if self.asked == Some(Transport::Stop) {
            emit(clock.frame_of(begin), MidiMessage::stop());
            (self.asked, self.running) = (None, false);
        }
        let boundary = begin.ceil();
        if let Some(t) = self.asked.filter(|_| boundary < end) {
            // The boundary becomes a tick: the grid is re-anchored there.
            next = boundary;
            let frame = clock.frame_of(boundary);
            match t {
                Transport::Start => {
                    self.started = Some(boundary);
                    emit(frame, MidiMessage::start());
                }
                Transport::Continue => {
                    let from = self.started.unwrap_or(boundary);
                    let sixteenths = ((boundary - from).to_f64().unwrap_or(0.0) * clock.meter * 4.0).round();
                    emit(frame, MidiMessage::song_position(sixteenths.clamp(0.0, 16383.0) as u16));
                    emit(frame, MidiMessage::resume());
                }
                Transport::Stop => {}
            }
            (self.asked, self.running) = (None, true);
        }
        while next < end {
            emit(clock.frame_of(next), MidiMessage::clock());
            next += step;
        }
        self.next = Some(next);
    }
}

/// Following another device's MIDI clock: the tempo its ticks (24 per beat) give, smoothed
/// over the last beat or so. A tick more than a quarter off the measured interval (the device
/// stopped, jumped to another tempo, a dropout) restarts the measurement instead of bending the
/// tempo slowly towards it.
#[derive(Debug, Default)]
pub struct ClockIn {
    last: Option<u64>,
    /// Smoothed frames per tick.
    interval: Option<f64>,
    ticks: u32,
}

/// Ticks measured before the tempo is trusted (a quarter beat).
const TRUST_TICKS: u32 = 6;
/// A gap this far off the measured interval (a fraction of it) starts the measurement again.
const JUMP: f64 = 0.25;
/// Each tick's weight in the smoothed interval (about a beat's memory).
const TICK_WEIGHT: f64 = 1.0 / 24.0;

impl ClockIn {
    /// A tick arrived at engine frame `frame`; the tempo in beats per minute once it is known.
    pub fn tick(&mut self, frame: u64, sample_rate: f64) -> Option<f64> {
        let last = self.last.replace(frame);
        let gap = frame.checked_sub(last?)? as f64;
        if gap <= 0.0 {
            return None;
        }
        let interval = match self.interval {
            Some(i) if (gap - i).abs() > JUMP * i => {
                (self.interval, self.ticks) = (None, 0);
                return None;
            }
            Some(i) => i + (gap - i) * TICK_WEIGHT.max(1.0 / (self.ticks as f64 + 1.0)),
            None => gap,
        };
        self.interval = Some(interval);
        self.ticks += 1;
        (self.ticks >= TRUST_TICKS).then(|| 60.0 * sample_rate / (24.0 * interval))
    }
}

/// One tick, in cycles: 1/(24 × meter), exact for meters given to a thousandth.
fn tick_length(meter: f64) -> Time {
    let thousandths = (meter * 1000.0).round().max(1.0) as i64;
    Time::new(1000, 24 * thousandths)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(midi: Option<f64>, controls: &[(&str, f64)]) -> NoteValue {
        NoteValue {
            midi,
            controls: controls.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            ..NoteValue::default()
        }
    }

    #[test]
    fn a_note_with_velocity_and_controllers() {
        let p = plan(&value(Some(60.0), &[("velocity", 0.5), ("ccn", 74.0), ("ccv", 64.0)]), 2);
        assert_eq!(p.note, Some((2, 60)));
        let bytes: Vec<&[u8]> = p.onset.iter().map(|m| m.bytes()).collect();
        assert_eq!(bytes, vec![&[0xB2, 74, 64][..], &[0x92, 60, 64][..]]);
        // Default velocity, `midichan` overrides the out's channel, gain as velocity.
        assert_eq!(plan(&value(Some(61.0), &[]), 0).onset, vec![MidiMessage::note_on(0, 61, DEFAULT_VELOCITY)]);
        assert_eq!(plan(&value(Some(61.0), &[("midichan", 9.0)]), 0).note, Some((9, 61)));
        assert_eq!(plan(&value(Some(61.0), &[("gain", 1.0)]), 0).onset, vec![MidiMessage::note_on(0, 61, 127)]);
    }

    #[test]
    fn controllers_and_programs_without_a_note() {
        let p = plan(&value(None, &[("cc1", 10.0), ("progNum", 5.0)]), 0);
        assert_eq!(p.note, None);
        assert_eq!(p.onset, vec![MidiMessage::program(0, 5), MidiMessage::control(0, 1, 10)]);
        let f = NoteValue { freq: Some(440.0), ..NoteValue::default() };
        assert_eq!(plan(&f, 0).note, Some((0, 69)));
    }

    fn window(c: &mut ClockOut, clock: &Clock, a: Time, b: Time) -> Vec<(u64, Vec<u8>)> {
        let mut out = Vec::new();
        c.window(clock, a, b, &mut |f, m| out.push((f, m.bytes().to_vec())));
        out
    }

    #[test]
    fn ticks_every_twenty_fourth_of_a_beat_across_a_tempo_change() {
        // 120 bpm, 4 beats a cycle, 48 kHz: a beat is 24000 frames, a tick 1000.
        let mut clock = Clock::new(48000.0, 120.0, 4.0, 0);
        let mut c = ClockOut::default();
        let first = window(&mut c, &clock, Time::new(0, 1), Time::new(1, 2));
        assert_eq!(first.len(), 48);
        assert!(first.iter().enumerate().all(|(k, (f, m))| *f == 1000 * k as u64 && m == &[0xF8]));
        // 240 bpm from cycle 1/2 on: ticks 500 frames apart from 48000.
        clock.set_tempo(240.0, 4.0, Time::new(1, 2));
        let second = window(&mut c, &clock, Time::new(1, 2), Time::new(1, 1));
        assert_eq!(second.len(), 48);
        assert!(second.iter().enumerate().all(|(k, (f, _))| *f == 48000 + 500 * k as u64));
    }

    #[test]
    fn following_a_clock_measures_its_tempo_and_ignores_a_dropout() {
        let mut c = ClockIn::default();
        // 100 bpm at 48 kHz: a tick every 1200 frames; jitter of ±1 frame.
        let mut bpm = None;
        for k in 0..48u64 {
            bpm = c.tick(k * 1200 + (k % 3), 48000.0).or(bpm);
        }
        assert!((bpm.unwrap() - 100.0).abs() < 0.1, "{bpm:?}");
        // The device stops for a second: no tempo from that gap, measured again after.
        assert_eq!(c.tick(48 * 1200 + 48000, 48000.0), None);
        let mut after = None;
        for k in 1..=12u64 {
            after = c.tick(48 * 1200 + 48000 + k * 1000, 48000.0).or(after);
        }
        assert!((after.unwrap() - 120.0).abs() < 0.01, "{after:?}");
    }

    #[test]
    fn start_on_the_next_cycle_then_continue_with_its_position() {
        let clock = Clock::new(48000.0, 120.0, 4.0, 0);
        let mut c = ClockOut::default();
        c.ask(Transport::Start);
        let w = window(&mut c, &clock, Time::new(1, 4), Time::new(5, 4));
        let start = w.iter().position(|(_, m)| m == &[0xFA]).expect("a Start");
        assert_eq!(w[start].0, 96000, "Start on cycle 1");
        assert_eq!(w[start + 1], (96000, vec![0xF8]), "its tick right after it");
        assert!(c.running());
        c.ask(Transport::Stop);
        let w = window(&mut c, &clock, Time::new(5, 4), Time::new(3, 2));
        assert_eq!(w[0], (120000, vec![0xFC]));
        assert!(!c.running());
        c.ask(Transport::Continue);
        let w = window(&mut c, &clock, Time::new(3, 2), Time::new(5, 2));
        // Cycle 2 is one cycle (4 beats, 16 sixteenths) after the Start.
        let spp = w.iter().position(|(_, m)| m[0] == 0xF2).expect("a Song Position");
        assert_eq!(w[spp], (192000, vec![0xF2, 16, 0]));
        assert_eq!(w[spp + 1], (192000, vec![0xFB]));
    }
}
