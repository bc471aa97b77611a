//! Controls, faders, mutes, fades and master.

use super::model::ValuePath;
use super::{Session, SessionError};
use crate::rt::RtEventKind;
use crate::scheduler::{Fade, FadeTarget};

/// The master fader's range; node faders go to [`MAX_GAIN`].
pub const MAX_MASTER: f32 = 4.0;
/// Largest node fader gain.
pub const MAX_GAIN: f32 = 16.0;

impl Session {
    /// Set a control, a node's fader (`<node>/gain`) or `master` at frame `at`.
    pub fn set(&mut self, path: &str, value: f32, at: u64) -> Result<String, SessionError> {
        match self.model.value_path(path)? {
            ValuePath::Master => self.master(value, at),
            ValuePath::Gain { node } => {
                self.scheduler.cancel_fade(path);
                let g = value.clamp(0.0, MAX_GAIN);
                let key = self.model.nodes()[node].key;
                self.send(key, RtEventKind::Gain(g), at)?;
                self.model.nodes_mut()[node].gain = g;
                Ok(format!("{path} = {g}"))
            }
            ValuePath::Control { node, control } => {
                self.scheduler.cancel_fade(path);
                let n = &self.model.nodes()[node];
                let (key, v) = (n.key, n.factory.info().controls[control].clamp(value));
                self.send(key, RtEventKind::Set { control: control as u16, value: v }, at)?;
                self.model.nodes_mut()[node].values[control] = v;
                Ok(format!("{path} = {v}"))
            }
        }
    }

    /// Move a control, a node's gain or `master` linearly to `target` over `cycles`, starting
    /// at the end of what is already scheduled. The model holds the target at once.
    pub fn fade(&mut self, path: &str, target: f32, cycles: f64) -> Result<String, SessionError> {
        let (fade_target, from, to) = match self.model.value_path(path)? {
            ValuePath::Master => (FadeTarget::Master, self.master, target.clamp(0.0, MAX_MASTER)),
            ValuePath::Gain { node } => {
                let n = &self.model.nodes()[node];
                (FadeTarget::Gain { node: n.key }, n.gain, target.clamp(0.0, MAX_GAIN))
            }
            ValuePath::Control { node, control } => {
                let n = &self.model.nodes()[node];
                let to = n.factory.info().controls[control].clamp(target);
                (FadeTarget::Control { node: n.key, control: control as u16 }, n.values[control], to)
            }
        };
        let begin = self.scheduler.scheduled_until();
        let end = begin + kr_pattern::time::from_f64(cycles.max(0.0)).unwrap_or_default();
        self.scheduler.fade(Fade { path: path.into(), target: fade_target, from, to, begin, end });
        match fade_target {
            FadeTarget::Master => self.master = to,
            FadeTarget::Gain { node } => {
                if let Some(n) = self.model.by_key_mut(node) {
                    n.gain = to;
                }
            }
            FadeTarget::Control { node, control } => {
                if let Some(n) = self.model.by_key_mut(node) {
                    n.values[control as usize] = to;
                }
            }
        }
        Ok(format!("{path} → {to} over {cycles} cycle(s)"))
    }

    /// A control's (or a node's `gain`, or `master`'s) value as it sounds now: mid-fade, or as
    /// its pattern drives it; otherwise the value last set.
    pub fn get(&self, path: &str) -> Result<f32, SessionError> {
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
        let members = self.model.group(name)?;
        for m in &members {
            self.mute(m, on, at)?;
        }
        Ok(format!("{} {}", members.join(", "), if on { "muted" } else { "unmuted" }))
    }

    pub fn master(&mut self, gain: f32, at: u64) -> Result<String, SessionError> {
        self.scheduler.cancel_fade("master");
        self.send(0, RtEventKind::Master(gain), at)?;
        self.master = gain;
        Ok(format!("master = {gain}"))
    }
}
