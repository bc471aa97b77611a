//! Creating, redefining and freeing nodes.

use super::model::NodeModel;
use super::{Session, SessionError};
use crate::backend::NodePorts;
use crate::rt::{LaneUpgrade, NodeCell, NodeState, VoiceGroup};
use basedrop::Shared;
use kr_faust::lanes::LANES;
use kr_faust::Factory;
use kr_osc::DspSource;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Names no node may take.
pub const RESERVED_NAMES: &[&str] = &["master"];

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
        if self.midi.is_out(name) {
            return Err(SessionError::Dsp {
                name: name.into(),
                message: "the name is taken by a MIDI out; choose another (or free the out first)".into(),
            });
        }
        if RESERVED_NAMES.contains(&name) {
            return Err(SessionError::Dsp {
                name: name.into(),
                message: "the name is reserved (krd:master/out_1 and out_2 are the master bus); choose another".into(),
            });
        }
        let existing = self.model.position(name).ok();
        if existing.is_none() && self.model.len() >= self.settings.max_nodes {
            return Err(SessionError::TooManyNodes(self.settings.max_nodes));
        }
        let info = factory.info().clone();
        self.rt.check_port_names(&self.settings.client_name, name, info.inputs.max(info.outputs))?;
        self.check_memory(name, &factory, count)?;
        if info.outputs == 0 {
            return Err(SessionError::Dsp {
                name: name.into(),
                message: "the program has no outputs, so it would be silent".into(),
            });
        }
        let mut values: Vec<f32> = info.controls.iter().map(|c| c.init).collect();
        if let Some(i) = existing {
            // Keep the values of controls that exist in both definitions.
            let old = &self.model.nodes()[i];
            for (v, spec) in values.iter_mut().zip(&info.controls) {
                if let Some(j) = old.factory.info().control_index(&spec.path) {
                    *v = spec.clamp(old.values[j]);
                }
            }
        }
        let built = self.node_state(name, &factory, count, gain, &values)?;
        let lanes = built.1;
        let Some(i) = existing else {
            let mut ports = NodePorts::default();
            self.rt.resize_ports(&mut ports, name, info.inputs, info.outputs).map_err(port_error(name))?;
            let cell = Shared::new(&self.rt.handle(), NodeCell::new(built.0));
            let sampler = self.orbit_sampler(&source);
            let key = self.model.take_key();
            self.model.add(NodeModel {
                key,
                name: name.into(),
                source,
                factory,
                count,
                lanes,
                gain,
                muted: false,
                soloed: false,
                meta: String::new(),
                values,
                cell,
                prev: None,
                ports,
                sampler,
                upgrade: None,
            });
            self.rebuild();
            return Ok(format!("node '{name}' created ({} in, {} out, {} voice(s))", info.inputs, info.outputs, count));
        };
        self.redefine(i, built, source, factory, count, values)?;
        Ok(format!("node '{name}' redefined (crossfading)"))
    }

    /// Refuse a node whose voices would take more memory than a node may, or than is left of the
    /// engine's budget (the node's own current definition does not count: it is replaced).
    fn check_memory(&self, name: &str, factory: &Factory, count: u32) -> Result<(), SessionError> {
        let per_voice = factory.instance_bytes();
        let needs = per_voice.saturating_mul(u64::from(count.max(1)));
        let others: u64 = self
            .model
            .nodes()
            .iter()
            .filter(|n| n.name != name)
            .map(|n| n.factory.instance_bytes().saturating_mul(u64::from(n.count.max(1))))
            .sum();
        let mib = |b: u64| b.div_ceil(1 << 20);
        let limit = if needs > self.settings.max_node_bytes {
            format!("a node may take {} MiB (engine.max_node_memory_mb)", mib(self.settings.max_node_bytes))
        } else if others.saturating_add(needs) > self.settings.max_total_bytes {
            format!(
                "the other nodes take {} MiB of the engine's {} MiB (engine.max_memory_mb)",
                mib(others),
                mib(self.settings.max_total_bytes)
            )
        } else {
            return Ok(());
        };
        Err(SessionError::Memory {
            name: name.into(),
            needs_mib: mib(needs),
            voices: count.max(1),
            per_voice_mib: mib(per_voice),
            limit,
        })
    }

    /// Whether a node of `count` voices computes them in lanes when its program is a source
    /// (its compile should then bring the lanes program; see `kr_faust::lanes`).
    pub fn wants_lanes(&self, count: u32) -> bool {
        self.settings.voice_lanes && count as usize >= LANES
    }

    /// The real-time state of a node: `count` voices of `factory` with controls at `values`;
    /// and how many of them are computed in lanes.
    fn node_state(
        &self,
        name: &str,
        factory: &Arc<Factory>,
        count: u32,
        gain: f32,
        values: &[f32],
    ) -> Result<(NodeState, u32), SessionError> {
        let info = factory.info();
        let (groups, in_lanes) = self.voice_groups(name, factory, count, values)?;
        let gate = info.control_index("gate").map(|i| i as u16);
        Ok((NodeState::new(groups, info.inputs, info.outputs, gate, gain), in_lanes))
    }

    /// `count` voices of `factory` with controls at `values`, 8 to a lanes program when the
    /// factory has one (see `kr_faust::lanes`), one instance each for the rest; and how many
    /// are in lanes.
    fn voice_groups(
        &self,
        name: &str,
        factory: &Arc<Factory>,
        count: u32,
        values: &[f32],
    ) -> Result<(Vec<VoiceGroup>, u32), SessionError> {
        let instance = |f: &Arc<Factory>| {
            f.instance(self.sample_rate).map_err(|e| SessionError::Dsp { name: name.into(), message: e.detail() })
        };
        let count = count.max(1) as usize;
        let controls = factory.info().controls.len();
        let mut groups = Vec::new();
        if let Some(lanes) = factory.lanes().filter(|_| self.wants_lanes(count as u32)) {
            while count - groups.len() * LANES >= LANES {
                let mut dsp = instance(lanes.factory())?;
                for lane in 0..LANES {
                    for (i, v) in values.iter().enumerate() {
                        dsp.set(lane * lanes.controls() + i, *v);
                    }
                }
                groups.push(VoiceGroup::lanes(Box::new(dsp), groups.len() * LANES, LANES, lanes.controls()));
            }
        }
        let in_lanes = groups.len() * LANES;
        for voice in in_lanes..count {
            let mut dsp = instance(factory)?;
            for (i, v) in values.iter().enumerate() {
                dsp.set(i, *v);
            }
            groups.push(VoiceGroup::single(Box::new(dsp), voice, controls));
        }
        Ok((groups, in_lanes as u32))
    }

    /// `factory` has its lanes program now: the nodes made of it before, one instance per
    /// voice, get their voices in lanes, which the audio thread takes up once all of a node's
    /// voices are idle (a node that never falls silent keeps its instances until it is next
    /// made). A node whose lanes cannot be made keeps its voices as they are.
    pub fn lanes_ready(&mut self, factory: &Arc<Factory>) {
        if factory.lanes().is_none() {
            return;
        }
        let mut changed = false;
        for i in 0..self.model.len() {
            let n = &self.model.nodes()[i];
            let waiting = Arc::ptr_eq(&n.factory, factory) && n.lanes == 0 && n.upgrade.is_none();
            if !waiting || !self.wants_lanes(n.count) {
                continue;
            }
            let (name, count, values) = (n.name.clone(), n.count, n.values.clone());
            match self.voice_groups(&name, factory, count, &values) {
                Ok((groups, in_lanes)) if in_lanes > 0 => {
                    let up = Shared::new(&self.rt.handle(), LaneUpgrade::new(groups));
                    self.model.nodes_mut()[i].upgrade = Some((up, in_lanes));
                    changed = true;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(node = %name, error = %e, "no voices in lanes"),
            }
        }
        if changed {
            self.rebuild();
        }
    }

    /// Nodes whose voices the audio thread took up in lanes: count them so, and let the
    /// instances they replaced go.
    pub(super) fn lanes_taken_up(&mut self) {
        let done = |n: &super::model::NodeModel| n.upgrade.as_ref().is_some_and(|u| u.0.done());
        if !self.model.nodes().iter().any(done) {
            return;
        }
        for n in self.model.nodes_mut().iter_mut().filter(|n| done(n)) {
            if let Some((_, in_lanes)) = n.upgrade.take() {
                n.lanes = in_lanes;
            }
        }
        self.rebuild();
    }

    /// Replace node `i`'s definition with `built` (its state, and its voices in lanes), crossfading
    /// from the old one.
    fn redefine(
        &mut self,
        i: usize,
        (mut state, lanes): (NodeState, u32),
        source: DspSource,
        factory: Arc<Factory>,
        count: u32,
        values: Vec<f32>,
    ) -> Result<(), SessionError> {
        let now = self.now();
        let fresh_sampler = self.orbit_sampler(&source);
        let fade = (self.settings.crossfade_seconds * self.sample_rate as f64) as u32;
        let linger = 2 * fade as u64 + self.sample_rate as u64 / 10;
        let n = &mut self.model.nodes_mut()[i];
        state.fade_len = fade.max(1);
        state.gain = n.gain;
        state.muted = n.muted;
        let (inputs, outputs) = (state.inputs, state.outputs);
        self.rt.resize_ports(&mut n.ports, &n.name, inputs, outputs).map_err(port_error(&n.name))?;
        let cell = Shared::new(&self.rt.handle(), NodeCell::new(state));
        let old_cell = std::mem::replace(&mut n.cell, cell);
        n.prev = Some((old_cell, now + linger));
        // An orbit keeps its sample player (and its voices) when its program is redefined.
        n.sampler = match (n.sampler.take(), fresh_sampler) {
            (Some(kept), Some(_)) => Some(kept),
            (_, fresh) => fresh,
        };
        n.source = source;
        n.factory = factory;
        n.count = count;
        n.lanes = lanes;
        n.upgrade = None;
        n.values = values;
        let name = n.name.clone();
        self.retarget_patterns(&name);
        self.rebuild();
        Ok(())
    }

    pub fn node_free(&mut self, name: &str) -> Result<String, SessionError> {
        if self.model.get(name).is_err() {
            if let Some(done) = self.midi_out_free(name) {
                return Ok(done);
            }
        }
        let key = self.model.get(name)?.key;
        self.scheduler.cancel_fades_of(key);
        for t in self.scheduler.targets_of(name) {
            self.scheduler.stop(&t);
        }
        let node = self.model.remove(name)?;
        self.rebuild();
        self.rt.retire(name, node.ports);
        Ok(format!("node '{name}' freed"))
    }

    /// The backend now runs at `rate`: keep the cycle position, and re-create every node's
    /// instances at the new rate (crossfading, keeping control values).
    pub fn change_sample_rate(&mut self, rate: u32) -> Result<String, SessionError> {
        let at = self.scheduler.scheduled_until();
        let (old_rate, bpm, meter) = (self.sample_rate, self.clock.bpm, self.clock.meter);
        self.clock.set_tempo(bpm, meter, at);
        self.clock.sample_rate = rate as f64;
        self.sample_rate = rate;
        let nodes: Vec<(String, DspSource, Arc<Factory>, u32, f32)> = self
            .model
            .nodes()
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
        self.model.get_mut(name)?.meta = meta.into();
        Ok(())
    }

    /// Nodes playing `faust:<type_name>`: (name, voices, gain).
    pub fn nodes_of_type(&self, type_name: &str) -> Vec<(String, u32, f32)> {
        self.model
            .nodes()
            .iter()
            .filter(|n| matches!(&n.source, DspSource::File(t) if t == type_name))
            .map(|n| (n.name.clone(), n.count, n.gain))
            .collect()
    }

    /// Every node's compiled DSP, by node name.
    pub fn factories(&self) -> BTreeMap<String, Arc<Factory>> {
        self.model.nodes().iter().map(|n| (n.name.clone(), Arc::clone(&n.factory))).collect()
    }
}

/// A port registration failure as the node's error.
fn port_error(name: &str) -> impl Fn(String) -> SessionError + '_ {
    move |message| SessionError::Dsp { name: name.into(), message }
}
