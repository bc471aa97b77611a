//! The scheduler: queries patterns ahead of the audio clock and turns their events into
//! frame-stamped [`RtEvent`]s — pitch and controls, then the gate at the onset's exact frame, the
//! gate's fall after `legato` × the event's duration, and samples of continuous patterns as
//! ramps. It also runs fades. It owns the pattern slots (what plays where, as IR and compiled).

use crate::clock::Clock;
use crate::dirt::{DirtEvent, DirtValue};
use crate::rt::midi::MidiMessage;
use crate::rt::{RtEvent, RtEventKind, ALL_VOICES};
use kr_pattern::ir::Ir;
use kr_pattern::{note_to_midi, Hap, Pattern, Time, Value};
use num_traits::ToPrimitive;
use std::collections::BTreeMap;

/// Default fraction of an event's duration for which the gate stays up.
pub const DEFAULT_LEGATO: f64 = 0.5;
/// Continuous patterns are sampled this many times per second.
pub const SAMPLES_PER_SECOND: f64 = 250.0;
/// The most work (spans, queries, events: see `kr_pattern::budget`) one pattern may take for one
/// scheduling step (a quarter of the lookahead) or one read of its value; a pattern that needs
/// more is stopped and reported, so no pattern can stall the control thread.
pub const QUERY_BUDGET: u64 = 100_000;

/// What a pattern drives.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// Notes on a node: pitch control, gate, other controls by name.
    Notes(NoteTarget),
    /// One value: a node's control, its fader, or master.
    Value(ValueTarget),
    /// Events with `s` played as `/dirt/play` events on orbit `orbit` (samples, or notes on
    /// the node `s` names).
    Dirt { orbit: u32 },
    /// Notes, controllers and program changes on a MIDI out (`out` is its key), on 0-based
    /// `channel`.
    Midi { out: u32, channel: u8 },
}

/// A node's note-relevant controls, resolved when the pattern starts playing.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteTarget {
    pub node: u32,
    pub voices: u16,
    pub freq: Option<u16>,
    /// A `note` or `midi` control (used when there is no `freq`).
    pub midi: Option<u16>,
    pub gate: Option<u16>,
    /// Every control by label, for values such as `{"cutoff": 800}`.
    pub controls: BTreeMap<String, u16>,
}

/// One playing pattern.
#[derive(Clone)]
pub struct Slot {
    target: Target,
    /// As the client sent it (kept for snapshots).
    ir: Ir,
    from_zero: bool,
    pattern: Pattern,
    /// Subtracted from the global cycle before querying (`from_zero`).
    offset: Time,
}

impl Slot {
    /// Compile `ir` to play on `target`; with `from_zero`, its cycle 0 is the scheduler's next
    /// cycle boundary.
    pub fn new(target: Target, ir: Ir, from_zero: bool, scheduler: &Scheduler) -> Result<Slot, String> {
        let pattern = ir.to_pattern().map_err(|e| e.to_string())?;
        let offset = if from_zero { scheduler.scheduled_until.ceil() } else { Time::from_integer(0) };
        Ok(Slot { target, ir, from_zero, pattern, offset })
    }

    pub fn ir(&self) -> &Ir {
        &self.ir
    }

    pub fn from_zero(&self) -> bool {
        self.from_zero
    }

    /// The events of global cycles `[begin, end)`.
    pub fn query(&self, begin: Time, end: Time) -> Vec<Hap> {
        self.pattern.query(begin - self.offset, end - self.offset)
    }
}

/// One value a fade or a pattern moves: a node's control, a node's fader, or master.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueTarget {
    Control { node: u32, control: u16 },
    Gain { node: u32 },
    Master,
}

impl ValueTarget {
    /// The value becomes `value` at `frame` (faders and master within their ranges; controls
    /// are clamped by the node).
    fn set(self, frame: u64, value: f32) -> RtEvent {
        let (node, kind) = match self {
            ValueTarget::Control { node, control } => (node, RtEventKind::Set { control, value }),
            ValueTarget::Gain { node } => (node, RtEventKind::Gain(value.clamp(0.0, kr_osc::MAX_GAIN as f32))),
            ValueTarget::Master => (0, RtEventKind::Master(value.clamp(0.0, kr_osc::MAX_MASTER as f32))),
        };
        RtEvent { frame, node, voice: ALL_VOICES, kind }
    }

    /// Towards `value` over `frames`: a ramp for a control (interpolated by the engine); faders
    /// and master smooth every change per sample anyway.
    fn ramp(self, frame: u64, value: f32, frames: u32) -> RtEvent {
        match self {
            ValueTarget::Control { node, control } => {
                RtEvent { frame, node, voice: ALL_VOICES, kind: RtEventKind::Ramp { control, value, frames } }
            }
            _ => self.set(frame, value),
        }
    }
}

/// A linear move of one value from `from` (at cycle `begin`) to `to` (at `end`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fade {
    pub path: String,
    pub target: ValueTarget,
    pub from: f32,
    pub to: f32,
    pub begin: Time,
    pub end: Time,
}

impl Fade {
    fn value_at(&self, cycle: f64) -> f32 {
        let (b, e) = (self.begin.to_f64().unwrap_or(0.0), self.end.to_f64().unwrap_or(0.0));
        let x = if e > b { ((cycle - b) / (e - b)).clamp(0.0, 1.0) } else { 1.0 };
        self.from + (self.to - self.from) * x as f32
    }

    fn ramp(&self, frame: u64, value: f32, frames: u32) -> RtEvent {
        self.target.ramp(frame, value, frames)
    }

    fn event(&self, frame: u64, value: f32) -> RtEvent {
        self.target.set(frame, value)
    }
}

/// Round-robin voice allocation with stealing of the oldest note.
#[derive(Debug, Clone, Default)]
struct Voices {
    busy_until: Vec<u64>,
    started: Vec<u64>,
    /// The note each voice plays (its gate events carry it).
    notes: Vec<u32>,
    /// The next voice to try in each group of [`LANES`] voices, as an offset in the group.
    next: Vec<usize>,
}

/// Voices are given out a group of this many at a time: the engine computes a node's voices
/// in lanes of this width (see `rt::group`) and skips a group only when all its voices are
/// silent, so notes fill the first group before they wake the next.
const LANES: usize = kr_faust::lanes::LANES;

/// A voice released at least this long ago is taken before one released since (its release
/// tail may still sound): filling the first group first then cuts no tail shorter than this
/// while a later group has a voice rested that long.
pub const TAIL_GRACE_SECONDS: f64 = 1.0;

/// A voice given to a new note, and the voice's last note, if it had one.
struct Taken {
    voice: u16,
    previous: Option<Previous>,
}

/// A voice's last note: its id and onset, and whether it is still held (the voice is stolen)
/// rather than released (its release tail may still ring).
#[derive(Debug, Clone, Copy)]
struct Previous {
    note: u32,
    started: u64,
    held: bool,
}

impl Voices {
    /// A voice for a note from `onset` to `release`: round robin within the first group of
    /// [`LANES`] with a voice released `grace` frames ago or more, else within the first with
    /// a free voice, else the oldest note's voice.
    fn take(&mut self, count: u16, onset: u64, release: u64, grace: u64) -> Taken {
        let n = count.max(1) as usize;
        if self.busy_until.len() != n {
            let next = vec![0; n.div_ceil(LANES)];
            *self = Voices { busy_until: vec![0; n], started: vec![0; n], notes: vec![0; n], next };
        }
        let free_for = |rested: u64| {
            (0..n).step_by(LANES).find_map(|first| {
                let width = LANES.min(n - first);
                let next = self.next[first / LANES];
                (0..width)
                    .map(|i| first + (next + i) % width)
                    .find(|&v| self.busy_until[v].saturating_add(rested) <= onset)
            })
        };
        let free = free_for(grace).or_else(|| free_for(0));
        let v = free.unwrap_or_else(|| (0..n).min_by_key(|&v| self.started[v]).unwrap_or(0));
        let held = free.is_none();
        let previous =
            (held || self.notes[v] != 0).then_some(Previous { note: self.notes[v], started: self.started[v], held });
        self.busy_until[v] = release;
        self.started[v] = onset;
        let first = v - v % LANES;
        self.next[v / LANES] = (v - first + 1) % LANES.min(n - first);
        Taken { voice: v as u16, previous }
    }
}

/// A stolen voice's note is released, and the voice faded out by the engine, over this long
/// before the new note starts, so the new attack does not cut it.
pub const STEAL_FADE_SECONDS: f64 = 0.005;

/// Queries every slot ahead of the clock.
pub struct Scheduler {
    /// Playing patterns by target (`bass`, `bass/cutoff`).
    slots: BTreeMap<String, Slot>,
    /// Everything before this cycle has been scheduled.
    scheduled_until: Time,
    next_sample_frame: u64,
    voices: BTreeMap<u32, Voices>,
    next_note: u32,
    fades: Vec<Fade>,
    /// Patterns that failed while playing and were stopped, until taken: (target, why).
    failed: Vec<(String, String)>,
    /// Events of patterns on orbits, until taken: (frame, event).
    dirt: Vec<(u64, DirtEvent)>,
    /// Messages of patterns on MIDI outs, until taken: (frame, out, message).
    midi: Vec<(u64, u32, MidiMessage)>,
    /// Targets whose pattern was reported (once per pattern) and the reports not yet taken.
    warned: std::collections::BTreeSet<String>,
    warnings: Vec<(String, String)>,
}

impl Scheduler {
    pub fn new(start: Time) -> Scheduler {
        Scheduler {
            slots: BTreeMap::new(),
            scheduled_until: start,
            next_sample_frame: 0,
            voices: BTreeMap::new(),
            next_note: 1,
            fades: Vec::new(),
            failed: Vec::new(),
            dirt: Vec::new(),
            midi: Vec::new(),
            warned: Default::default(),
            warnings: Vec::new(),
        }
    }

    /// Everything before this cycle has been scheduled: changes (tempo, fades) start here, so
    /// nothing already sent jumps.
    pub fn scheduled_until(&self) -> Time {
        self.scheduled_until
    }

    /// The clock ran past what was scheduled (start-up, or a stall): go on from `cycle`
    /// without catching up in a burst.
    pub fn skip_to(&mut self, cycle: Time) {
        if cycle > self.scheduled_until {
            self.scheduled_until = cycle;
        }
    }

    /// Play `slot` on `target`, replacing what played there.
    pub fn play(&mut self, target: &str, slot: Slot) {
        self.warned.remove(target);
        self.slots.insert(target.into(), slot);
    }

    /// Problems of playing patterns that did not stop them, since the last call: (target, why).
    pub fn take_warnings(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.warnings)
    }

    /// The patterns playing, by target.
    pub fn slots(&self) -> impl Iterator<Item = (&String, &Slot)> {
        self.slots.iter()
    }

    pub fn is_playing(&self, target: &str) -> bool {
        self.slots.contains_key(target)
    }

    /// The targets of patterns on node `node` or its controls (`node/...`).
    pub fn targets_of(&self, node: &str) -> Vec<String> {
        let prefix = format!("{node}/");
        self.slots.keys().filter(|t| *t == node || t.starts_with(&prefix)).cloned().collect()
    }

    /// The patterns that failed and were stopped since the last call: (target, why).
    pub fn take_failed(&mut self) -> Vec<(String, String)> {
        std::mem::take(&mut self.failed)
    }

    /// The `/dirt/play`-like events of patterns on orbits since the last call.
    pub fn take_dirt_events(&mut self) -> Vec<(u64, DirtEvent)> {
        std::mem::take(&mut self.dirt)
    }

    /// The MIDI messages of patterns on MIDI outs since the last call: (frame, out, message).
    pub fn take_midi_messages(&mut self) -> Vec<(u64, u32, MidiMessage)> {
        std::mem::take(&mut self.midi)
    }

    /// Stop the pattern on `target`; false when none played there.
    pub fn stop(&mut self, target: &str) -> bool {
        self.slots.remove(target).is_some()
    }

    pub fn stop_all(&mut self) {
        self.slots.clear();
    }

    /// Point a pattern at a re-resolved target (its node was redefined).
    pub fn retarget(&mut self, target: &str, to: Target) {
        if let Some(s) = self.slots.get_mut(target) {
            s.target = to;
        }
    }

    /// Start a fade, replacing any fade of the same path.
    pub fn fade(&mut self, fade: Fade) {
        self.cancel_fade(&fade.path);
        self.fades.push(fade);
    }

    pub fn cancel_fade(&mut self, path: &str) {
        self.fades.retain(|f| f.path != path);
    }

    /// After node `key` was redefined: point its control fades at the controls' new indices
    /// (`index` of the control label after the `/`), stopping those whose control is gone.
    pub fn retarget_fades(&mut self, key: u32, index: impl Fn(&str) -> Option<u16>) {
        self.fades.retain_mut(|f| match f.target {
            ValueTarget::Control { node, .. } if node == key => {
                let label = f.path.rsplit_once('/').map_or("", |(_, c)| c);
                match index(label) {
                    Some(control) => {
                        f.target = ValueTarget::Control { node, control };
                        true
                    }
                    None => false,
                }
            }
            _ => true,
        });
    }

    /// Stop every fade of node `key` (the node is going).
    pub fn cancel_fades_of(&mut self, key: u32) {
        self.fades.retain(
            |f| !matches!(f.target, ValueTarget::Gain { node } | ValueTarget::Control { node, .. } if node == key),
        );
    }

    /// What a fade or a pattern makes `path` sound like at `frame`, if one drives it.
    pub fn current(&self, path: &str, clock: &Clock, frame: u64) -> Option<f32> {
        if let Some(f) = self.fades.iter().find(|f| f.path == path) {
            return Some(f.value_at(clock.cycle_at(frame)));
        }
        let slot = self.slots.get(path).filter(|s| matches!(s.target, Target::Value(_)))?;
        let c = Time::new((clock.cycle_at(frame) * (1u64 << 20) as f64).floor() as i64, 1 << 20) - slot.offset;
        let query =
            || kr_pattern::budget::with_budget(QUERY_BUDGET, || slot.pattern.query(c, c + Time::new(1, 1 << 20)));
        let haps = std::panic::catch_unwind(std::panic::AssertUnwindSafe(query)).ok()?.ok()?;
        haps.iter().find_map(|h| number(&h.value))
    }

    /// Schedule everything up to `horizon_frame`, handing each event to `emit`.
    pub fn tick(&mut self, clock: &Clock, horizon_frame: u64, emit: &mut dyn FnMut(RtEvent)) {
        let end = clock.grid_cycle_at(horizon_frame);
        let begin = self.scheduled_until;
        if end <= begin {
            return;
        }
        let sample_step = (clock.sample_rate / SAMPLES_PER_SECOND).max(1.0) as u64;
        let first_sample = self.next_sample_frame.max(clock.frame_of(begin));
        let end_frame = clock.frame_of(end);
        let slots: Vec<(String, Slot)> = self.slots.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (target, slot) in &slots {
            // A pattern whose query fails (a bug, or arithmetic overflow in an extreme pattern)
            // is stopped; the others and the engine go on. Events go out only once the whole
            // slot's work succeeded.
            let mut events = Vec::new();
            let (dirt_before, midi_before) = (self.dirt.len(), self.midi.len());
            let work = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                kr_pattern::budget::with_budget(QUERY_BUDGET, || {
                    self.schedule_slot(clock, target, slot, begin, end, first_sample, sample_step, &mut |ev| {
                        events.push(ev)
                    })
                })
            }));
            let why = match work {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(format!("{e} (the limit per scheduling step is {QUERY_BUDGET})")),
                Err(_) => Some("its query failed (arithmetic overflow in an extreme pattern, or a bug)".into()),
            };
            if let Some(why) = why {
                // Nothing of a failed step goes out: its Dirt events and MIDI neither.
                self.dirt.truncate(dirt_before);
                self.midi.truncate(midi_before);
                self.slots.remove(target);
                self.failed.push((target.clone(), why));
                continue;
            }
            for ev in events {
                emit(ev);
            }
        }
        for fade in &self.fades {
            let mut f = first_sample;
            let fade_end = clock.frame_of(fade.end);
            while f < end_frame {
                // Each ramp ends on the line, and the last one exactly at the fade's end.
                let to = (f + sample_step).min(fade_end.max(f + 1));
                emit(fade.ramp(f, fade.value_at(clock.cycle_at(to)), (to - f) as u32));
                f += sample_step;
            }
            if fade.end < end {
                emit(fade.event(clock.frame_of(fade.end.max(begin)), fade.to));
            }
        }
        self.fades.retain(|f| f.end >= end);
        let mut f = first_sample;
        while f < end_frame {
            f += sample_step;
        }
        self.next_sample_frame = f;
        self.scheduled_until = end;
    }

    /// Schedule one slot's events in cycles `[begin, end)`: its onsets, and for a continuous
    /// pattern on a value a linear ramp from each sample point to the next.
    #[allow(clippy::too_many_arguments)]
    fn schedule_slot(
        &mut self,
        clock: &Clock,
        target: &str,
        slot: &Slot,
        begin: Time,
        end: Time,
        first_sample: u64,
        sample_step: u64,
        emit: &mut dyn FnMut(RtEvent),
    ) {
        let haps = slot.query(begin, end);
        for hap in haps.iter().filter(|h| h.has_onset()) {
            self.onset(clock, target, slot, hap, emit);
        }
        if let Target::Value(t) = slot.target {
            let end_frame = clock.frame_of(end);
            let mut f = first_sample;
            while f < end_frame {
                if let Some(v) = sample(&slot.pattern, clock, f + sample_step, slot.offset) {
                    emit(t.ramp(f, v, sample_step as u32));
                }
                f += sample_step;
            }
        }
    }

    fn onset(&mut self, clock: &Clock, target: &str, slot: &Slot, hap: &Hap, emit: &mut dyn FnMut(RtEvent)) {
        let Some(whole) = hap.whole else { return };
        let begin = whole.begin + slot.offset;
        let frame = clock.frame_of(begin);
        match &slot.target {
            Target::Value(t) => {
                if let Some(v) = number(&hap.value) {
                    emit(t.set(frame, v));
                }
            }
            Target::Notes(t) => {
                let Some(note) = self.note_value(target, &hap.value) else { return };
                let off_frame = release_frame(clock, whole, frame, &note);
                self.note(clock, t, frame, off_frame, &note, emit);
            }
            Target::Midi { out, channel } => {
                let Some(note) = self.note_value(target, &hap.value) else { return };
                let plan = crate::midi::plan(&note, *channel);
                self.midi.extend(plan.onset.into_iter().map(|m| (frame, *out, m)));
                if let Some((ch, key)) = plan.note {
                    let off = release_frame(clock, whole, frame, &note);
                    self.midi.push((off, *out, MidiMessage::note_off(ch, key)));
                }
            }
            Target::Dirt { orbit } => {
                let Some(mut ev) = dirt_event(&hap.value) else { return };
                let seconds = (whole.end - whole.begin).to_f64().unwrap_or(0.0) / clock.cps();
                ev.insert("cps", DirtValue::Num(clock.cps()));
                ev.insert("delta", DirtValue::Num(seconds));
                ev.insert("cycle", DirtValue::Num(begin.to_f64().unwrap_or(0.0)));
                if ev.num("orbit").is_none() {
                    ev.insert("orbit", DirtValue::Num(*orbit as f64));
                }
                self.dirt.push((frame, ev));
            }
        }
    }

    /// The pitch and controls of an event (None: no sound). A string that names no note is
    /// skipped: played as some other pitch it would be a silent mistake; it is reported once per
    /// pattern.
    fn note_value(&mut self, target: &str, value: &Value) -> Option<NoteValue> {
        let note = NoteValue::of(value)?;
        if let Some(bad) = &note.not_a_note {
            if self.warned.insert(target.to_string()) {
                let why =
                    format!("the pattern on {target} has '{bad}', which is not a note name; those events are skipped");
                self.warnings.push((target.to_string(), why));
            }
            return None;
        }
        Some(note)
    }

    /// Play `note` on a node from `frame` to `off_frame`: a voice (stealing the oldest with a
    /// short fade when all are busy), the pitch and controls at the onset, then the gate.
    pub fn note(
        &mut self,
        clock: &Clock,
        t: &NoteTarget,
        frame: u64,
        off_frame: u64,
        note: &NoteValue,
        emit: &mut dyn FnMut(RtEvent),
    ) {
        let grace = (TAIL_GRACE_SECONDS * clock.sample_rate) as u64;
        let taken = self.voices.entry(t.node).or_default().take(t.voices, frame, off_frame, grace);
        let voice = taken.voice;
        if let (Some(previous), true) = (taken.previous, t.voices > 1) {
            let fade = (STEAL_FADE_SECONDS * clock.sample_rate) as u64;
            let at = frame.saturating_sub(fade).max(previous.started + 1);
            // With a gate, the engine fades the voice out by the onset, whether its last note
            // is still held (stolen) or released and maybe still in its release tail, where the
            // new gate would restart the envelope (the engine leaves a silent voice alone). No
            // gate: no note to end, and no GateOn to fade the voice back in.
            // (A last note that began on this very frame leaves no time before the onset.)
            let frames = frame.saturating_sub(at) as u32;
            let kind = match t.gate {
                Some(_) => Some(RtEventKind::Steal { note: previous.note, frames }),
                None => previous.held.then_some(RtEventKind::GateOff { note: previous.note }),
            };
            if let (Some(kind), true) = (kind, frames > 0) {
                emit(RtEvent { frame: at, node: t.node, voice, kind });
            }
        }
        let ev = |kind| RtEvent { frame, node: t.node, voice, kind };
        if let Some(m) = note.midi {
            if let Some(c) = t.freq {
                emit(ev(RtEventKind::Set { control: c, value: midi_to_hz(m) as f32 }));
            } else if let Some(c) = t.midi {
                emit(ev(RtEventKind::Set { control: c, value: m as f32 }));
            }
        }
        if let Some(hz) = note.freq {
            if let Some(c) = t.freq {
                emit(ev(RtEventKind::Set { control: c, value: hz as f32 }));
            } else if let Some(c) = t.midi {
                emit(ev(RtEventKind::Set { control: c, value: hz_to_midi(hz) as f32 }));
            }
        }
        for (name, v) in &note.controls {
            if let Some(&c) = t.controls.get(name) {
                emit(ev(RtEventKind::Set { control: c, value: *v as f32 }));
            }
        }
        if t.gate.is_some() {
            let id = self.next_note;
            self.next_note = self.next_note.wrapping_add(1).max(1);
            emit(ev(RtEventKind::GateOn { note: id }));
            if let Some(v) = self.voices.get_mut(&t.node) {
                if let Some(slot) = v.notes.get_mut(voice as usize) {
                    *slot = id;
                }
            }
            emit(RtEvent { frame: off_frame, node: t.node, voice, kind: RtEventKind::GateOff { note: id } });
        }
    }
}

/// The frame a note starting at `frame` ends at: `legato` × the event's duration later (at
/// least one frame).
fn release_frame(clock: &Clock, whole: kr_pattern::Span, frame: u64, note: &NoteValue) -> u64 {
    let legato = note.legato.unwrap_or(DEFAULT_LEGATO);
    let dur = (whole.end - whole.begin).to_f64().unwrap_or(0.0) * legato;
    frame + (dur / clock.cps() * clock.sample_rate).round().max(1.0) as u64
}

/// A pattern event as a `/dirt/play` event (None for a `false` step or a value without `s`).
fn dirt_event(v: &Value) -> Option<DirtEvent> {
    let mut ev = DirtEvent::default();
    match v {
        Value::Str(s) => ev.insert("s", DirtValue::Str(s.clone())),
        Value::Map(m) => {
            for (k, v) in m {
                match v {
                    Value::Str(s) => ev.insert(k, DirtValue::Str(s.clone())),
                    Value::Num(x) => ev.insert(k, DirtValue::Num(*x)),
                    Value::Bool(b) => ev.insert(k, DirtValue::Num(if *b { 1.0 } else { 0.0 })),
                    Value::Map(_) => {}
                }
            }
        }
        _ => return None,
    }
    ev.split_sound();
    (!ev.sound().is_empty()).then_some(ev)
}

/// The pitch and controls an event's value asks for.
#[derive(Debug, Default, PartialEq)]
pub struct NoteValue {
    /// A string where a pitch was expected that names no note (`"H2"`).
    pub not_a_note: Option<String>,
    pub midi: Option<f64>,
    pub freq: Option<f64>,
    pub legato: Option<f64>,
    pub controls: Vec<(String, f64)>,
}

impl NoteValue {
    /// `None` means "no sound" (a `false` step).
    fn of(v: &Value) -> Option<NoteValue> {
        let mut n = NoteValue::default();
        match v {
            Value::Num(m) => n.midi = Some(*m),
            Value::Str(s) => {
                n.midi = note_to_midi(s);
                n.not_a_note = n.midi.is_none().then(|| s.clone());
            }
            Value::Bool(b) => {
                if !b {
                    return None;
                }
            }
            Value::Map(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        ("note" | "midi" | "n", Value::Str(s)) => {
                            n.midi = note_to_midi(s);
                            n.not_a_note = n.midi.is_none().then(|| s.clone());
                        }
                        ("note" | "midi" | "n", v) => n.midi = number(v).map(f64::from),
                        ("freq", v) => n.freq = number(v).map(f64::from),
                        ("legato", v) => n.legato = number(v).map(f64::from),
                        (_, v) => {
                            if let Some(x) = number(v) {
                                n.controls.push((k.clone(), x as f64));
                            }
                        }
                    }
                }
            }
        }
        Some(n)
    }
}

fn number(v: &Value) -> Option<f32> {
    match v {
        Value::Num(x) if x.is_finite() => Some(*x as f32),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::Map(m) => m.get("value").and_then(number),
        _ => None,
    }
}

/// The value of a pattern at `frame` (continuous patterns are sampled; discrete ones give the
/// value of the event in force).
fn sample(p: &Pattern, clock: &Clock, frame: u64, offset: Time) -> Option<f32> {
    let c = Time::new((clock.cycle_at(frame) * (1u64 << 20) as f64).floor() as i64, 1 << 20) - offset;
    let haps = p.query(c, c + Time::new(1, 1 << 20));
    haps.iter().find(|h| h.whole.is_none()).and_then(|h| number(&h.value))
}

/// Equal temperament, A4 = 69 = 440 Hz.
pub fn midi_to_hz(m: f64) -> f64 {
    440.0 * 2f64.powf((m - 69.0) / 12.0)
}

/// The MIDI note (fractional) of a frequency.
pub fn hz_to_midi(hz: f64) -> f64 {
    69.0 + 12.0 * (hz.max(1e-6) / 440.0).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_round_robin_then_steal_the_oldest() {
        let mut v = Voices::default();
        assert_eq!(v.take(2, 0, 100, 0).voice, 0);
        assert_eq!(v.take(2, 0, 100, 0).voice, 1);
        // Both busy: the oldest (voice 0, started first) is stolen.
        let t = v.take(2, 50, 150, 0);
        assert_eq!((t.voice, t.previous.map(|p| (p.held, p.started))), (0, Some((true, 0))));
        // Free, and no note was played on it with a gate: nothing to end.
        let t = v.take(2, 200, 300, 0);
        assert_eq!((t.voice, t.previous.is_none()), (1, true));
        // Free, its last note released (its tail may still ring): that note, not held.
        v.notes = vec![5, 6];
        let t = v.take(2, 400, 500, 0);
        assert_eq!((t.voice, t.previous.map(|p| (p.note, p.started, p.held))), (0, Some((5, 50, false))));
    }

    #[test]
    fn notes_fill_the_first_group_of_voices_unless_a_later_one_has_rested_longer() {
        let mut v = Voices::default();
        // 16 voices, notes of 10 frames every 100: each voice of the first group rests 700
        // frames before its next note, enough for a grace of 500: the second group stays idle.
        let voices: Vec<u16> = (0..24).map(|k| v.take(16, 1000 + 100 * k, 1010 + 100 * k, 500).voice).collect();
        assert!(voices.iter().all(|&x| x < 8), "{voices:?}");
        assert_eq!(&voices[..9], &[0, 1, 2, 3, 4, 5, 6, 7, 0]);
        // A grace of 1000: no voice of the first group has rested that long, one of the second
        // has (never used), so notes go there rather than cut a tail short.
        let next = v.take(16, 3500, 3510, 1000).voice;
        assert!((8..16).contains(&next), "{next}");
    }

    #[test]
    fn note_values() {
        assert_eq!(NoteValue::of(&Value::Num(45.0)).unwrap().midi, Some(45.0));
        assert!(NoteValue::of(&Value::Bool(false)).is_none());
        assert!((midi_to_hz(45.0) - 110.0).abs() < 1e-9);
    }
}
