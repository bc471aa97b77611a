//! Creating, redefining and freeing nodes.

use super::*;

impl Session {
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
}
