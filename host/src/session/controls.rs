//! Controls, faders, mutes, fades and master.

use super::*;

impl Session {
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

    pub fn master(&mut self, gain: f32) -> Result<String, SessionError> {
        self.scheduler.fades.retain(|f| f.path != "master");
        self.send_now(0, RtEventKind::Master(gain))?;
        self.master = gain;
        Ok(format!("master = {gain}"))
    }
}
