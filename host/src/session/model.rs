//! The graph model: nodes by name, their routes, and the questions asked of them (which node a
//! path names, what a path's value is, the processing order, who is heard while soloing).

use super::SessionError;
use crate::backend::NodePorts;
use crate::rt::NodeCell;
use basedrop::Shared;
use kr_faust::Factory;
use kr_osc::DspSource;
use std::collections::BTreeMap;
use std::sync::Arc;

/// One node as the control thread knows it.
pub(super) struct NodeModel {
    /// Stable identity in real-time events (never reused; names can be).
    pub key: u32,
    pub name: String,
    pub source: DspSource,
    pub factory: Arc<Factory>,
    pub count: u32,
    /// How many of the voices are computed in lanes (see `kr_faust::lanes`).
    pub lanes: u32,
    pub gain: f32,
    pub muted: bool,
    pub soloed: bool,
    /// Client data kept with the node (`/kr/node/new`'s `meta`).
    pub meta: String,
    /// Current value of each control (as last set by a command).
    pub values: Vec<f32>,
    pub cell: Shared<NodeCell>,
    /// Previous definition while crossfading, and the frame after which it can go.
    pub prev: Option<(Shared<NodeCell>, u64)>,
    pub ports: NodePorts,
    /// An orbit's sample player: its real-time cell and the ring its triggers go through.
    pub sampler: Option<OrbitSampler>,
    /// The voices in lanes, waiting for the audio thread to take them up, and how many.
    pub upgrade: Option<(Shared<crate::rt::LaneUpgrade>, u32)>,
}

/// The control thread's side of an orbit's sample player.
pub(super) struct OrbitSampler {
    pub cell: Shared<crate::dirt::SamplerCell>,
    pub triggers: rtrb::Producer<crate::dirt::SampleTrigger>,
}

impl NodeModel {
    /// Whether `<node>/gain` is the engine's fader: a node's `gain` is its fader unless its DSP
    /// has a control of that name.
    pub fn gain_is_fader(&self) -> bool {
        self.factory.info().control_index("gain").is_none()
    }

    /// The index of an input control, or an error listing the controls there are.
    pub fn control_index(&self, control: &str) -> Result<usize, SessionError> {
        let info = self.factory.info();
        info.control_index(control).filter(|&i| !info.controls[i].kind.is_output()).ok_or_else(|| {
            SessionError::NoControl {
                node: self.name.clone(),
                control: control.into(),
                available: available_controls(&self.factory),
            }
        })
    }
}

fn available_controls(f: &Factory) -> String {
    let names: Vec<&str> = f.info().controls.iter().filter(|c| !c.kind.is_output()).map(|c| c.path.as_str()).collect();
    if names.is_empty() {
        "no controls".into()
    } else {
        names.join(", ")
    }
}

/// A post-fader send.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Route {
    pub from: String,
    pub to: String,
    pub level: f32,
}

/// What a value path (`master`, `bass/gain`, `bass/cutoff`) names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ValuePath {
    Master,
    /// A node's fader, by position in the model.
    Gain {
        node: usize,
    },
    /// A node's control, by position and control index.
    Control {
        node: usize,
        control: usize,
    },
}

/// The nodes and routes.
#[derive(Default)]
pub(super) struct GraphModel {
    nodes: Vec<NodeModel>,
    routes: Vec<Route>,
    next_key: u32,
}

impl GraphModel {
    pub fn nodes(&self) -> &[NodeModel] {
        &self.nodes
    }

    pub fn nodes_mut(&mut self) -> &mut [NodeModel] {
        &mut self.nodes
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn position(&self, name: &str) -> Result<usize, SessionError> {
        self.nodes.iter().position(|n| n.name == name).ok_or_else(|| SessionError::NoNode(name.into()))
    }

    pub fn get(&self, name: &str) -> Result<&NodeModel, SessionError> {
        self.position(name).map(|i| &self.nodes[i])
    }

    pub fn get_mut(&mut self, name: &str) -> Result<&mut NodeModel, SessionError> {
        let i = self.position(name)?;
        Ok(&mut self.nodes[i])
    }

    pub fn by_key_mut(&mut self, key: u32) -> Option<&mut NodeModel> {
        self.nodes.iter_mut().find(|n| n.key == key)
    }

    /// A key for a new node.
    pub fn take_key(&mut self) -> u32 {
        self.next_key += 1;
        self.next_key
    }

    pub fn add(&mut self, node: NodeModel) {
        self.nodes.push(node);
    }

    /// Remove a node and its routes.
    pub fn remove(&mut self, name: &str) -> Result<NodeModel, SessionError> {
        let i = self.position(name)?;
        self.routes.retain(|r| r.from != name && r.to != name);
        Ok(self.nodes.remove(i))
    }

    /// Split `bass/cutoff` into a node and a control (node names may contain `/`).
    pub fn split_path<'a>(&self, path: &'a str) -> Result<(&'a str, &'a str), SessionError> {
        match path.rsplit_once('/') {
            Some((node, control)) if self.nodes.iter().any(|n| n.name == node) => Ok((node, control)),
            Some((node, _)) => Err(SessionError::NoNode(node.into())),
            None => Err(SessionError::NoNode(path.into())),
        }
    }

    /// What `path` names: master, a node's fader, or one of its controls.
    pub fn value_path(&self, path: &str) -> Result<ValuePath, SessionError> {
        if path == "master" {
            return Ok(ValuePath::Master);
        }
        let (node, control) = self.split_path(path)?;
        let i = self.position(node)?;
        let n = &self.nodes[i];
        if control == "gain" && n.gain_is_fader() {
            return Ok(ValuePath::Gain { node: i });
        }
        Ok(ValuePath::Control { node: i, control: n.control_index(control)? })
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

    /// Add a route (or change its level). Refuses sends into sources and cycles.
    pub fn route(&mut self, from: &str, to: &str, level: f32) -> Result<(), SessionError> {
        self.get(from)?;
        if self.get(to)?.factory.info().inputs == 0 {
            return Err(SessionError::NotAnEffect(to.into()));
        }
        if let Some(path) = self.path_between(to, from) {
            return Err(SessionError::Cycle { from: from.into(), to: to.into(), path });
        }
        match self.routes.iter_mut().find(|r| r.from == from && r.to == to) {
            Some(r) => r.level = level,
            None => self.routes.push(Route { from: from.into(), to: to.into(), level }),
        }
        Ok(())
    }

    pub fn unroute(&mut self, from: &str, to: &str) -> Result<(), SessionError> {
        let before = self.routes.len();
        self.routes.retain(|r| !(r.from == from && r.to == to));
        if self.routes.len() == before {
            return Err(SessionError::NoRoute { from: from.into(), to: to.into() });
        }
        Ok(())
    }

    /// A route path from `a` to `b` as text, if one exists (`a → x → b`).
    fn path_between(&self, a: &str, b: &str) -> Option<String> {
        if a == b {
            return Some(format!("{a} → {a}"));
        }
        let mut stack = vec![vec![a.to_string()]];
        while let Some(path) = stack.pop() {
            let last = path.last()?.clone();
            for r in self.routes.iter().filter(|r| r.from == last) {
                if path.contains(&r.to) {
                    continue;
                }
                let mut p = path.clone();
                p.push(r.to.clone());
                if r.to == b {
                    return Some(p.join(" → "));
                }
                stack.push(p);
            }
        }
        None
    }

    fn index(&self) -> BTreeMap<&str, usize> {
        self.nodes.iter().enumerate().map(|(i, m)| (m.name.as_str(), i)).collect()
    }

    /// Nodes in an order where every route goes forward (routes are acyclic by construction).
    pub fn topological_order(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let index = self.index();
        let mut indegree = vec![0usize; n];
        for r in &self.routes {
            if let Some(&t) = index.get(r.to.as_str()) {
                indegree[t] += 1;
            }
        }
        let mut ready: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).rev().collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop() {
            order.push(i);
            for r in self.routes.iter().filter(|r| r.from == self.nodes[i].name) {
                if let Some(&t) = index.get(r.to.as_str()) {
                    indegree[t] -= 1;
                    if indegree[t] == 0 {
                        ready.push(t);
                    }
                }
            }
        }
        order
    }

    /// Who is heard while something is soloed (solo in place): soloed nodes and everything they
    /// feed reach master; nodes feeding a soloed node keep their sends but not their direct
    /// output. With nothing soloed, everyone is heard. Indexed like [`GraphModel::nodes`]:
    /// (reaches master, keeps its sends).
    pub fn solo_reach(&self) -> (Vec<bool>, Vec<bool>) {
        let n = self.nodes.len();
        if !self.nodes.iter().any(|m| m.soloed) {
            return (vec![true; n], vec![true; n]);
        }
        let index = self.index();
        let walk = |forward: bool| {
            let mut reached: Vec<bool> = self.nodes.iter().map(|m| m.soloed).collect();
            let mut stack: Vec<usize> = (0..n).filter(|&i| reached[i]).collect();
            while let Some(i) = stack.pop() {
                for r in &self.routes {
                    let (from, to) = if forward { (&r.from, &r.to) } else { (&r.to, &r.from) };
                    if *from == self.nodes[i].name {
                        if let Some(&j) = index.get(to.as_str()) {
                            if !reached[j] {
                                reached[j] = true;
                                stack.push(j);
                            }
                        }
                    }
                }
            }
            reached
        };
        let downstream = walk(true);
        let upstream = walk(false);
        let sends = downstream.iter().zip(&upstream).map(|(d, u)| *d || *u).collect();
        (downstream, sends)
    }
}
