//! Routing, solo, and compiling the model into the real-time graph.

use super::{Session, SessionError};
use crate::rt::{RtGraph, RtNode, RtTap, TapSource};
use std::collections::BTreeMap;

impl Session {
    pub fn route(&mut self, from: &str, to: &str, level: f32) -> Result<String, SessionError> {
        self.model.route(from, to, level)?;
        self.rebuild();
        Ok(format!("{from} → {to} at {level}"))
    }

    pub fn unroute(&mut self, from: &str, to: &str) -> Result<String, SessionError> {
        self.model.unroute(from, to)?;
        self.rebuild();
        Ok(format!("{from} → {to} removed"))
    }

    /// Solo a node or a group (or stop soloing it).
    pub fn solo(&mut self, name: &str, on: bool) -> Result<String, SessionError> {
        let members = self.model.group(name)?;
        for m in &members {
            self.model.get_mut(m)?.soloed = on;
        }
        self.rebuild();
        Ok(format!("{} {}", members.join(", "), if on { "soloed" } else { "unsoloed" }))
    }

    /// Compile the model into a real-time graph and publish it.
    pub(super) fn rebuild(&mut self) {
        let nodes = self.model.nodes();
        let order = self.model.topological_order();
        let position: BTreeMap<&str, usize> =
            order.iter().enumerate().map(|(pos, &i)| (nodes[i].name.as_str(), pos)).collect();
        let (to_master, sends_on) = self.model.solo_reach();
        let rt_nodes: Vec<RtNode> = order
            .iter()
            .map(|&i| {
                let m = &nodes[i];
                let sends = self
                    .model
                    .routes()
                    .iter()
                    .filter(|r| r.from == m.name && sends_on[i])
                    .filter_map(|r| position.get(r.to.as_str()).map(|&p| (p, r.level)))
                    .collect();
                let (in_ports, out_ports) = m.ports.copies();
                RtNode {
                    key: m.key,
                    cell: m.cell.clone(),
                    prev: m.prev.as_ref().map(|p| p.0.clone()),
                    sends,
                    out_ports,
                    in_ports,
                    to_master: to_master[i],
                    sampler: m.sampler.as_ref().map(|s| s.cell.clone()),
                    upgrade: m.upgrade.as_ref().map(|u| u.0.clone()),
                }
            })
            .collect();
        let taps = self
            .recordings
            .iter()
            .filter_map(|r| {
                let source = match &r.target {
                    None => TapSource::Master,
                    Some(t) => TapSource::Node(*position.get(t.as_str())?),
                };
                Some(RtTap { source, cell: r.cell.clone() })
            })
            .collect();
        let midi = self.midi_graph();
        self.rt.publish(RtGraph { nodes: rt_nodes, generation: 0, taps, midi });
    }
}
