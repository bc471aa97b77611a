//! Controls, faders, mutes, fades and master.

use super::model::ValuePath;
use super::{Session, SessionError};
use crate::rt::RtEventKind;
use crate::scheduler::{Fade, ValueTarget};

/// Node faders' and master's largest gains, as the protocol's ranges say.
const MAX_GAIN: f32 = kr_osc::MAX_GAIN as f32;
const MAX_MASTER: f32 = kr_osc::MAX_MASTER as f32;

impl Session {
    /// Set a control, a node's fader (`<node>/gain`) or `master` at frame `at`, clamped to its
    /// range. A pattern or fade driving that path stops: the value set is the value heard.
    pub fn set(&mut self, path: &str, value: f32, at: u64) -> Result<String, SessionError> {
        let done = self.set_value(path, value, at)?;
        Ok(done + &self.take_over(path))
    }

    /// Set a value (as [`Session::set`]) leaving a pattern on it playing.
    pub(super) fn set_value(&mut self, path: &str, value: f32, at: u64) -> Result<String, SessionError> {
        Ok(match self.model.value_path(path)? {
            ValuePath::Master => self.master_value(value.clamp(0.0, MAX_MASTER), at)?,
            ValuePath::Gain { node } => {
                self.scheduler.cancel_fade(path);
                let g = value.clamp(0.0, MAX_GAIN);
                let key = self.model.nodes()[node].key;
                self.send(key, RtEventKind::Gain(g), at)?;
                self.model.nodes_mut()[node].gain = g;
                format!("{path} = {g}")
            }
            ValuePath::Control { node, control } => {
                self.scheduler.cancel_fade(path);
                let n = &self.model.nodes()[node];
                let (key, v) = (n.key, n.factory.info().controls[control].clamp(value));
                self.send(key, RtEventKind::Set { control: control as u16, value: v }, at)?;
                self.model.nodes_mut()[node].values[control] = v;
                format!("{path} = {v}")
            }
        })
    }

    /// Keep `value` as `path`'s value in the model without sending it (the audio thread already
    /// applied it: a mapped MIDI controller). Paths that name nothing are ignored.
    pub(super) fn hold_value(&mut self, path: &str, value: f32) {
        match self.model.value_path(path) {
            Ok(ValuePath::Master) => self.master = value,
            Ok(ValuePath::Gain { node }) => self.model.nodes_mut()[node].gain = value,
            Ok(ValuePath::Control { node, control }) => self.model.nodes_mut()[node].values[control] = value,
            Err(_) => {}
        }
    }

    /// Move a control to `value` linearly over `frames` from frame `at`: a change heard at once
    /// but without the step (a click) a jump makes in a control the DSP does not smooth. A
    /// node's gain and master are smoothed by the engine anyway: they are set. A pattern on the
    /// path plays on.
    pub(super) fn glide_value(&mut self, path: &str, value: f32, at: u64, frames: u32) -> Result<String, SessionError> {
        let ValuePath::Control { node, control } = self.model.value_path(path)? else {
            return self.set_value(path, value, at);
        };
        self.scheduler.cancel_fade(path);
        let n = &self.model.nodes()[node];
        let (key, v) = (n.key, n.factory.info().controls[control].clamp(value));
        self.send(key, RtEventKind::Ramp { control: control as u16, value: v, frames }, at)?;
        self.model.nodes_mut()[node].values[control] = v;
        Ok(format!("{path} → {v}"))
    }

    /// A value set or faded is no longer driven by a pattern: stop the pattern on `path`, and
    /// say so in the reply.
    fn take_over(&mut self, path: &str) -> String {
        match self.scheduler.stop(path) {
            true => format!(" (the pattern on {path} was stopped)"),
            false => String::new(),
        }
    }

    /// Move a control, a node's gain or `master` linearly to `target` over `cycles`, starting
    /// at the end of what is already scheduled. The model holds the target at once. A pattern
    /// driving that path stops.
    pub fn fade(&mut self, path: &str, target: f32, cycles: f64) -> Result<String, SessionError> {
        let done = self.fade_value(path, target, cycles)?;
        Ok(done + &self.take_over(path))
    }

    /// Fade a value (as [`Session::fade`]) leaving a pattern on it playing.
    pub(super) fn fade_value(&mut self, path: &str, target: f32, cycles: f64) -> Result<String, SessionError> {
        let (fade_target, from, to) = match self.model.value_path(path)? {
            ValuePath::Master => (ValueTarget::Master, self.master, target.clamp(0.0, MAX_MASTER)),
            ValuePath::Gain { node } => {
                let n = &self.model.nodes()[node];
                (ValueTarget::Gain { node: n.key }, n.gain, target.clamp(0.0, MAX_GAIN))
            }
            ValuePath::Control { node, control } => {
                let n = &self.model.nodes()[node];
                let to = n.factory.info().controls[control].clamp(target);
                (ValueTarget::Control { node: n.key, control: control as u16 }, n.values[control], to)
            }
        };
        let begin = self.scheduler.scheduled_until();
        let end = begin + kr_pattern::time::from_f64(cycles.max(0.0)).unwrap_or_default();
        self.scheduler.fade(Fade { path: path.into(), target: fade_target, from, to, begin, end });
        match fade_target {
            ValueTarget::Master => self.master = to,
            ValueTarget::Gain { node } => {
                if let Some(n) = self.model.by_key_mut(node) {
                    n.gain = to;
                }
            }
            ValueTarget::Control { node, control } => {
                if let Some(n) = self.model.by_key_mut(node) {
                    n.values[control as usize] = to;
                }
            }
        }
        Ok(format!("{path} → {to} over {cycles} cycle(s)"))
    }

    /// A control's (or a node's `gain`, or `master`'s) value as it sounds now: mid-fade, or as
    /// its pattern drives it; otherwise the value last set. `tempo` and `meter` too (a node path
    /// always has a `/`, so these names are free).
    pub fn get(&self, path: &str) -> Result<f32, SessionError> {
        match path {
            "tempo" => return Ok(self.clock.bpm as f32),
            "meter" => return Ok(self.clock.meter as f32),
            _ => {}
        }
        let set = match self.model.value_path(path)? {
            ValuePath::Master => self.master,
            ValuePath::Gain { node } => self.model.nodes()[node].gain,
            ValuePath::Control { node, control } => self.model.nodes()[node].values[control],
        };
        Ok(self.scheduler.current(path, &self.clock, self.now()).unwrap_or(set))
    }

    pub fn mute(&mut self, name: &str, on: bool, at: u64) -> Result<String, SessionError> {
        let key = self.model.get(name)?.key;
        self.send(key, RtEventKind::Mute(on), at)?;
        self.model.get_mut(name)?.muted = on;
        Ok(format!("{name} {}", if on { "muted" } else { "unmuted" }))
    }

    /// Mute (or unmute) a node, or every node of a group (`drums` is `drums/kick`, `drums/hat`).
    pub fn mute_group(&mut self, name: &str, on: bool, at: u64) -> Result<String, SessionError> {
        if self.model.get(name).is_err() {
            if let Some(done) = self.midi_out_mute(name, on) {
                return Ok(done);
            }
        }
        let members = self.model.group(name)?;
        for m in &members {
            self.mute(m, on, at)?;
        }
        Ok(format!("{} {}", members.join(", "), if on { "muted" } else { "unmuted" }))
    }

    /// The master gain set (a fade's target while it runs).
    pub fn master_gain(&self) -> f32 {
        self.master
    }

    /// Set the master gain (0 to [`kr_osc::MAX_MASTER`]) at frame `at`.
    pub fn master(&mut self, gain: f32, at: u64) -> Result<String, SessionError> {
        if !(0.0..=MAX_MASTER).contains(&gain) {
            return Err(SessionError::OutOfRange {
                what: "master".into(),
                value: gain.into(),
                range: (0.0, kr_osc::MAX_MASTER),
            });
        }
        Ok(self.master_value(gain, at)? + &self.take_over("master"))
    }

    fn master_value(&mut self, gain: f32, at: u64) -> Result<String, SessionError> {
        self.scheduler.cancel_fade("master");
        self.send(0, RtEventKind::Master(gain), at)?;
        self.master = gain;
        Ok(format!("master = {gain}"))
    }
}
